import { replyMessage, statusLabel, type HttpClient } from './client.js';
import type { Ledger, OrderRecord } from './ledger.js';
import { mapLimit } from './parallel.js';
import type { Store, User, World } from './setup.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Verification {
  ok: boolean;
  checks: Check[];
}

interface OrderLine {
  id: string;
  count: number;
  price: number;
}

interface ServerOrder {
  orderId: string;
  status: string;
  totalPrice: number;
  books: OrderLine[];
}

const PAGE_SIZE = 100;

class VerifyError extends Error {}

/**
 * Compares the server's state, read through the API only, with the generator's ledger.
 * With `stateChecks` off only the replies seen during the run are judged.
 */
export async function verify(http: HttpClient, ledger: Ledger, parallelism: number, stateChecks: boolean): Promise<Verification> {
  const checks = [repliesCheck(ledger)];
  if (stateChecks) {
    checks.push(...(await orderChecks(http, ledger, parallelism)));
    checks.push(await balancesCheck(http, ledger, parallelism));
  }
  return { ok: checks.every((c) => c.ok), checks };
}

async function orderChecks(http: HttpClient, ledger: Ledger, parallelism: number): Promise<Check[]> {
  try {
    return compareOrders(ledger, await fetchAllOrders(http, ledger.world, parallelism));
  } catch (err) {
    const detail = err instanceof VerifyError ? err.message : String(err);
    return [{ name: 'orders', ok: false, detail: `could not list orders: ${detail}` }];
  }
}

function repliesCheck(ledger: Ledger): Check {
  const entries = [...ledger.unexpected.entries()];
  if (entries.length === 0) {
    return { name: 'replies', ok: true, detail: 'no 5xx, no lost responses, no unexpected status in the whole run' };
  }
  let detail = entries.map(([key, n]) => `${key} ×${n}`).join(', ');
  if (ledger.serverErrors > 0) detail += `; ${ledger.serverErrors} of them server errors (5xx or no response)`;
  if (ledger.indeterminate > 0) {
    detail += `; ${ledger.indeterminate} request(s) got no usable reply, so later checks may differ by them`;
  }
  return { name: 'replies', ok: false, detail };
}

// ---- orders, totals and stock, via POST /seller/query_order --------------------------------

async function queryPage(http: HttpClient, seller: User, store: Store, page: number): Promise<{ total: number; orders: ServerOrder[] }> {
  const body = { user_id: seller.id, store_id: store.id, page, page_size: PAGE_SIZE };
  const reply = await http.postJson('/seller/query_order', body, seller.headers);
  const orders = reply.body['orders'];
  const total = reply.body['total'];
  if (reply.status !== 200 || !Array.isArray(orders) || typeof total !== 'number') {
    const why = reply.status === 200 ? 'reply lacks orders/total' : `${statusLabel(reply.status)} ${replyMessage(reply)}`;
    throw new VerifyError(`query_order ${store.id} page ${page}: ${why}`);
  }
  return { total, orders: orders.map(toServerOrder) };
}

function toServerOrder(raw: unknown): ServerOrder {
  const o = (raw ?? {}) as Record<string, unknown>;
  const books = Array.isArray(o['books']) ? o['books'] : [];
  return {
    orderId: String(o['order_id']),
    status: String(o['status']),
    totalPrice: Number(o['total_price']),
    books: books.map((b) => {
      const line = (b ?? {}) as Record<string, unknown>;
      return { id: String(line['id']), count: Number(line['count']), price: Number(line['price']) };
    }),
  };
}

/** Every order of every store, fetched page by page; page 1 of each store tells how many pages. */
async function fetchAllOrders(http: HttpClient, world: World, parallelism: number): Promise<ServerOrder[][]> {
  const sellerOf = (store: Store): User => world.sellers[store.seller]!;
  const first = await mapLimit(world.stores, parallelism, (store) => queryPage(http, sellerOf(store), store, 1));
  const rest = world.stores.flatMap((store, s) => {
    const pages = Math.ceil(first[s]!.total / PAGE_SIZE);
    return Array.from({ length: Math.max(0, pages - 1) }, (_, p) => ({ store, s, page: p + 2 }));
  });
  const more = await mapLimit(rest, parallelism, ({ store, page }) => queryPage(http, sellerOf(store), store, page));
  const byStore = first.map((p) => p.orders.slice());
  rest.forEach(({ s }, i) => byStore[s]!.push(...more[i]!.orders));
  return byStore;
}

interface Tally {
  expected: number;
  expectedPaid: number;
  listed: number;
  listedPaid: number;
  unknown: number;
  wrongStatus: number;
  wrongTotal: number;
  wrongPrice: number;
  wrongSum: number;
  expectedSum: number;
  expectedPaidSum: number;
  listedSum: number;
  listedPaidSum: number;
}

function compareOrders(ledger: Ledger, byStore: ServerOrder[][]): Check[] {
  const tally = expectedTally(ledger);
  const stores = ledger.world.stores;
  const sold = stores.map((store) => new Map(store.books.map((b) => [b.id, 0])));
  const prices = stores.map((store) => new Map(store.books.map((b) => [b.id, b.price])));
  const seen = new Set<string>();
  byStore.forEach((orders, s) => {
    for (const order of orders) {
      seen.add(order.orderId);
      const record = ledger.orders.get(order.orderId);
      tallyOrder(order, record?.store === s ? record : undefined, tally);
      tallyLines(order, tally, prices[s]!, sold[s]!);
    }
  });
  const missing = [...ledger.orders.keys()].filter((id) => !seen.has(id)).length;
  return [ordersCheck(tally, missing), totalsCheck(tally), stockCheck(ledger, sold)];
}

function expectedTally(ledger: Ledger): Tally {
  const t: Tally = {
    expected: 0, expectedPaid: 0, listed: 0, listedPaid: 0, unknown: 0, wrongStatus: 0, wrongTotal: 0,
    wrongPrice: 0, wrongSum: 0, expectedSum: 0, expectedPaidSum: 0, listedSum: 0, listedPaidSum: 0,
  };
  for (const record of ledger.orders.values()) {
    t.expected += 1;
    t.expectedSum += record.total;
    if (record.paid) {
      t.expectedPaid += 1;
      t.expectedPaidSum += record.total;
    }
  }
  return t;
}

function tallyOrder(order: ServerOrder, record: OrderRecord | undefined, t: Tally): void {
  t.listed += 1;
  t.listedSum += order.totalPrice;
  if (order.status === 'paid') {
    t.listedPaid += 1;
    t.listedPaidSum += order.totalPrice;
  }
  if (record === undefined) t.unknown += 1;
  else {
    if (order.status !== (record.paid ? 'paid' : 'unpaid')) t.wrongStatus += 1;
    if (order.totalPrice !== record.total) t.wrongTotal += 1;
  }
}

/** Checks line prices against the catalogue and adds the units to the store's sold counts. */
function tallyLines(order: ServerOrder, t: Tally, prices: Map<string, number>, sold: Map<string, number>): void {
  let lineSum = 0;
  for (const line of order.books) {
    lineSum += line.count * line.price;
    if (prices.get(line.id) !== line.price) t.wrongPrice += 1;
    // A cancelled order has given its stock back.
    if (order.status !== 'cancelled') sold.set(line.id, (sold.get(line.id) ?? 0) + line.count);
  }
  if (lineSum !== order.totalPrice) t.wrongSum += 1;
}

function ordersCheck(t: Tally, missing: number): Check {
  const problems: string[] = [];
  if (missing > 0) problems.push(`${missing} placed orders not listed`);
  if (t.unknown > 0) problems.push(`${t.unknown} listed orders the generator never placed`);
  if (t.wrongStatus > 0) problems.push(`${t.wrongStatus} with the wrong status`);
  if (t.listedPaid !== t.expectedPaid) problems.push(`${t.listedPaid} paid, expected ${t.expectedPaid}`);
  const ok = problems.length === 0 && t.listed === t.expected;
  const detail = ok
    ? `${t.listed} orders (${t.listedPaid} paid) listed by the sellers, exactly the ones placed`
    : `${t.listed} listed, expected ${t.expected}: ${problems.join('; ')}`;
  return { name: 'orders', ok, detail };
}

function totalsCheck(t: Tally): Check {
  const problems: string[] = [];
  if (t.wrongTotal > 0) problems.push(`${t.wrongTotal} orders with a wrong total_price`);
  if (t.wrongPrice > 0) problems.push(`${t.wrongPrice} order lines priced unlike the book`);
  if (t.wrongSum > 0) problems.push(`${t.wrongSum} orders whose lines do not add up to total_price`);
  if (t.listedSum !== t.expectedSum) problems.push(`sum ${cents(t.listedSum)}, expected ${cents(t.expectedSum)}`);
  if (t.listedPaidSum !== t.expectedPaidSum) {
    problems.push(`paid sum ${cents(t.listedPaidSum)}, expected ${cents(t.expectedPaidSum)}`);
  }
  const ok = problems.length === 0;
  const detail = ok ? `order totals add up to ${cents(t.listedSum)} (paid ${cents(t.listedPaidSum)})` : problems.join('; ');
  return { name: 'totals', ok, detail };
}

function stockCheck(ledger: Ledger, sold: Map<string, number>[]): Check {
  let books = 0;
  let units = 0;
  let wrong = 0;
  let example = '';
  ledger.world.stores.forEach((store, s) => {
    store.books.forEach((book, b) => {
      const expected = ledger.sold[s]![b]!;
      const listed = sold[s]!.get(book.id) ?? 0;
      books += 1;
      units += listed;
      if (listed !== expected) {
        wrong += 1;
        example ||= ` (e.g. ${store.id}/${book.id}: orders hold ${listed}, expected ${expected})`;
      }
    });
  });
  const ok = wrong === 0;
  const detail = ok
    ? `${units} units sold over ${books} books: stock ${ledger.world.stock} − sold matches the generator for every book`
    : `${wrong} of ${books} books sold a different quantity${example}`;
  return { name: 'stock', ok, detail };
}

// ---- balances, via POST /buyer/add_funds -----------------------------------------------------

/**
 * There is no balance endpoint, so each balance is checked by withdrawing it: taking exactly the
 * expected balance must succeed and taking one more cent must then fail with 519.
 */
async function balancesCheck(http: HttpClient, ledger: Ledger, parallelism: number): Promise<Check> {
  const { buyers, password } = ledger.world;
  const problems = await mapLimit(buyers, parallelism, async (buyer, i) => {
    const expected = Math.round(ledger.balance[i]!);
    const withdraw = (amount: number): Promise<number> =>
      http.postJson('/buyer/add_funds', { user_id: buyer.id, password, add_value: -amount }).then((r) => r.status);
    if (expected > 0) {
      const status = await withdraw(expected);
      if (status === 519) return `${buyer.id} holds less than the expected ${cents(expected)}`;
      if (status !== 200) return `${buyer.id}: withdrawing ${cents(expected)} answered ${statusLabel(status)}`;
    }
    const status = await withdraw(1);
    if (status === 200) return `${buyer.id} held more than the expected ${cents(expected)}`;
    return status === 519 ? null : `${buyer.id}: withdrawing 0.01 more answered ${statusLabel(status)}, expected 519`;
  });
  const failed = problems.filter((p): p is string => p !== null);
  const total = Math.round(ledger.balance.reduce((a, b) => a + b, 0));
  const detail = failed.length === 0
    ? `all ${buyers.length} buyers held exactly their expected balance (together ${cents(total)}, now withdrawn)`
    : `${failed.length} of ${buyers.length} buyers differ: ${failed.slice(0, 3).join('; ')}`;
  return { name: 'balances', ok: failed.length === 0, detail };
}

/** Cents as a yuan amount, e.g. 123456 → "¥1234.56". */
export function cents(value: number): string {
  const sign = value < 0 ? '-' : '';
  const abs = Math.abs(Math.round(value));
  return `${sign}¥${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
