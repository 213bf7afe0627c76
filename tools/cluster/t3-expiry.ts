import { Api, mapLimit, metricsOf, metricValue, type Account } from './api.js';
import type { Context, TestResult } from './context.js';
import { sleep, waitFor } from './exec.js';

const ORDER_TIMEOUT_S = 3;
const ORDERS = 300;
const BUYERS = 20;
const BOOKS = 10;
const STOCK = 10_000;

/**
 * T3 exactly once. All servers restart with BOOKSTORE_ORDER_TIMEOUT_S=3 and a second worker
 * joins, so at least two sweepers race (and, until BOOKSTORE_ROLE lands, every api process
 * sweeps too). ORDERS unpaid orders are placed through HAProxy, i.e. through every api process;
 * then nobody touches them. Once they are past their deadline:
 * - on the primary, every one is `cancelled` with cancel_reason `timeout`, and every book's
 *   stock_level is back to exactly its initial value (a second restock would overshoot it);
 * - through the API, each buyer's query_order shows each of their orders cancelled by timeout;
 * - the servers' bookstore_orders_cancelled_total{reason="timeout"} counters grew by exactly
 *   ORDERS altogether (each cancellation counted by exactly one process);
 * - paying an expired order answers 518.
 */
export async function t3ExactlyOnce(ctx: Context): Promise<TestResult> {
  const { cluster, log, runId } = ctx;
  await cluster.startAll({ ...ctx.base, orderTimeoutS: ORDER_TIMEOUT_S }, 2);
  const sweepers = [...cluster.apis, ...cluster.workers];
  const api = new Api(cluster.lb.url, 16);
  const details: string[] = [];
  try {
    const tag = `t3${runId}${Date.now().toString(36)}`;
    const seller = await api.account(`${tag}-seller`);
    const storeId = `${tag}-store`;
    const books = Array.from({ length: BOOKS }, (_, i) => ({ id: `b${i}`, price: 100 + i }));
    await api.store(seller, storeId, books, STOCK);
    const buyers: Account[] = await mapLimit(Array.from({ length: BUYERS }, (_, i) => i), 8, (i) => api.account(`${tag}-buyer${i}`));

    const before = await counters(sweepers.map((s) => s.url));
    log(`T3: placing ${ORDERS} unpaid orders through HAProxy (order timeout ${ORDER_TIMEOUT_S} s, ${sweepers.length} sweeping processes at most)`);
    const placed = new Map<string, { buyer: number; lines: { id: string; count: number }[] }>();
    let rejected = 0;
    await mapLimit(Array.from({ length: ORDERS }, (_, i) => i), 16, async (i) => {
      const buyer = i % BUYERS;
      const lines = pickLines(i);
      const r = await api.post('/buyer/new_order', { user_id: buyers[buyer]!.id, store_id: storeId, books: lines }, { token: buyers[buyer]!.token });
      if (r.status === 200 && typeof r.body['order_id'] === 'string') placed.set(r.body['order_id'], { buyer, lines });
      else rejected += 1;
    });
    const placedAt = Date.now();
    details.push(`${placed.size} orders placed through ${cluster.apis.length} api processes (${rejected} refused)`);

    // Wait for the sweepers: no order of this store may stay 'unpaid' in the table itself (the
    // API shows an expired order as cancelled even before it is swept, so only SQL tells).
    await waitFor('every expired order to be swept', 60_000, async () => {
      const [row] = await cluster.primary.query<{ n: string }>(
        "SELECT count(*) AS n FROM orders WHERE store_id = $1 AND status = 'unpaid'", [storeId]);
      return Number(row?.n) === 0;
    }, 250);
    const sweptAfterS = (Date.now() - placedAt) / 1000;
    await sleep(2500); // more sweeps on every process: any double cancellation would now show

    // 1. Every order cancelled by the timeout, in the table.
    const rows = await cluster.primary.query<{ order_id: string; status: string; cancel_reason: string | null }>(
      'SELECT order_id::text, status, cancel_reason FROM orders WHERE store_id = $1', [storeId]);
    const wrong = rows.filter((r) => r.status !== 'cancelled' || r.cancel_reason !== 'timeout');
    const unknown = rows.filter((r) => !placed.has(r.order_id));
    const sqlOk = rows.length === placed.size && wrong.length === 0 && unknown.length === 0;
    details.push(`primary: ${rows.length} orders in the store, ${rows.length - wrong.length} cancelled with reason timeout` +
      `${wrong.length ? `, ${wrong.length} NOT (e.g. ${wrong[0]!.status}/${wrong[0]!.cancel_reason})` : ''}` +
      `${unknown.length ? `, ${unknown.length} never acknowledged` : ''} (all swept ${sweptAfterS.toFixed(1)} s after the last order)`);

    // 2. Stock back to exactly its initial level.
    const reserved = new Map<string, number>();
    for (const o of placed.values()) for (const l of o.lines) reserved.set(l.id, (reserved.get(l.id) ?? 0) + l.count);
    const stock = await cluster.primary.query<{ book_id: string; stock_level: number }>(
      'SELECT book_id, stock_level FROM listings WHERE store_id = $1 ORDER BY book_id', [storeId]);
    const off = stock.filter((s) => s.stock_level !== STOCK);
    const units = [...reserved.values()].reduce((a, b) => a + b, 0);
    const stockOk = stock.length === BOOKS && off.length === 0;
    details.push(`stock: ${units} reserved units returned; ${stock.length - off.length} of ${BOOKS} books back at exactly ${STOCK}` +
      (off.length ? ` — ${off.map((s) => `${s.book_id}=${s.stock_level}`).join(', ')}` : ''));

    // 3. The API's view, for every buyer.
    let apiSeen = 0;
    let apiWrong = 0;
    await mapLimit(buyers, 4, async (b) => {
      for (const o of await api.buyerOrders(b)) {
        if (!placed.has(o.order_id)) continue;
        apiSeen += 1;
        if (o.status !== 'cancelled' || o.cancel_reason !== 'timeout') apiWrong += 1;
      }
    });
    const apiOk = apiSeen === placed.size && apiWrong === 0;
    details.push(`query_order: ${apiSeen} of ${placed.size} orders listed to their buyers, ${apiSeen - apiWrong} shown cancelled/timeout`);

    // 4. Each cancellation counted once, by one process.
    const after = await counters(sweepers.map((s) => s.url));
    const perProcess = sweepers.map((s, i) => ({ name: s.name, n: (after[i] ?? 0) - (before[i] ?? 0) }));
    const counted = perProcess.reduce((a, p) => a + p.n, 0);
    const countOk = counted === placed.size;
    const active = perProcess.filter((p) => p.n > 0);
    details.push(`bookstore_orders_cancelled_total{reason="timeout"} grew by ${counted} in all (expected ${placed.size}): ` +
      perProcess.map((p) => `${p.name} ${p.n}`).join(', ') + ` — ${active.length} process(es) swept`);

    // 5. An expired order cannot be paid.
    const sample = [...placed.entries()].slice(0, 5);
    const payStatuses = await Promise.all(sample.map(([orderId, o]) =>
      api.post('/buyer/payment', { user_id: buyers[o.buyer]!.id, order_id: orderId, password: buyers[o.buyer]!.password }).then((r) => r.status)));
    const payOk = payStatuses.every((s) => s === 518);
    details.push(`payment of ${sample.length} expired orders answered ${payStatuses.join(', ')} (expected 518)`);

    const pass = placed.size >= 200 && sqlOk && stockOk && apiOk && countOk && payOk;
    return {
      id: 'T3', name: 'exactly once', pass,
      summary: `${placed.size} orders expired; ${rows.length - wrong.length} cancelled/timeout, stock exact on ${stock.length - off.length}/${BOOKS} books, ` +
        `counted ${counted}× over ${active.length} sweeping process(es)`,
      details,
    };
  } finally {
    await api.close();
  }
}

/** Deterministic 1–3 distinct books, 1–3 copies each. */
function pickLines(i: number): { id: string; count: number }[] {
  const n = 1 + (i % 3);
  return Array.from({ length: n }, (_, j) => ({ id: `b${(i * 7 + j * 3) % BOOKS}`, count: 1 + ((i + j) % 3) }));
}

/** The timeout-cancellation counter of each process (0 when it cannot be read). */
async function counters(urls: string[]): Promise<number[]> {
  return Promise.all(urls.map(async (u) => {
    try {
      return metricValue(await metricsOf(u), 'bookstore_orders_cancelled_total', { reason: 'timeout' }) ?? 0;
    } catch {
      return 0;
    }
  }));
}
