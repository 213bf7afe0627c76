import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { openPglite } from '../../src/db/pglite.js';
import { freePort, serverDatabase, sleep, spawnServer, stopServer, type ServerProcess } from '../helpers/process.js';
import { DB_KIND } from '../helpers/server.js';

/**
 * Crash soak: a mixed workload from concurrent clients while the real server is killed with
 * SIGKILL and restarted on the same data, several times. Every write acknowledged with 200 must
 * be there afterwards, money and stock must add up, and no request may get a 5xx except while
 * the server is down (when it gets no answer at all).
 *
 * Each client acts for its own buyer, so it knows that buyer's history exactly, except for
 * the one request it had in flight when the server died: that outcome is unknown, and is
 * either settled by reading the buyer's orders once the server is back, or (a deposit) allowed
 * for in the final sums.
 */

const KILLS = 4;
const CLIENTS = 6;
const RUN_MS = { min: 2000, max: 4000 }; // between a restart and the next kill
const password = 'soak-password';

type Status = 'unpaid' | 'paid' | 'shipped' | 'received' | 'cancelled';
interface Line {
  id: string;
  count: number;
}
interface Listing {
  storeId: string;
  bookId: string;
  price: number;
  /** Known to exist (acknowledged), or its add_book's outcome is unknown. */
  certain: boolean;
  initialStock: number;
}
interface Store {
  storeId: string;
  seller: Account;
  certain: boolean;
  /** A word in the title of every book of the store, to list them all by search. */
  word: string;
}
interface Account {
  userId: string;
  token: string;
}
interface Order {
  orderId: string;
  storeId: string;
  lines: Line[];
  total: number;
  status: Status;
}
interface Reply {
  status: number;
  body: Record<string, any>;
}

/** The server under test, killed and restarted by the controller. */
class Target {
  server!: ServerProcess;
  /** Resolves once the server answers again after the latest kill. */
  private upNow: Promise<void> = Promise.resolve();
  private markUp: () => void = () => {};
  /** [killed at, answering again at] for every kill. */
  readonly windows: [number, number][] = [];
  readonly fiveHundreds: { path: string; status: number; at: number; body: unknown }[] = [];

  constructor(
    readonly dataDir: string,
    readonly env: Record<string, string>,
    readonly port: number,
  ) {}

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    this.server = await spawnServer(this.dataDir, this.env, this.port);
  }

  async killAndRestart() {
    const killedAt = Date.now();
    this.upNow = new Promise((r) => (this.markUp = r));
    this.server.child.kill('SIGKILL');
    await this.server.exited;
    await this.start();
    this.windows.push([killedAt, Date.now()]);
    this.markUp();
  }

  up(): Promise<void> {
    return this.upNow;
  }

  /** One request: its reply, or undefined when the server died under it (outcome unknown). */
  async call(pathname: string, body: unknown, token?: string): Promise<Reply | undefined> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.token = token;
    const sentAt = Date.now();
    try {
      const res = await fetch(this.url + pathname, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
      const reply = { status: res.status, body: (await res.json()) as Record<string, any> };
      if (reply.status >= 500) this.fiveHundreds.push({ path: pathname, status: reply.status, at: sentAt, body: reply.body });
      return reply;
    } catch {
      return undefined;
    }
  }

  /** For reads and setup: retried across restarts until answered. */
  async must(pathname: string, body: unknown, token?: string): Promise<Reply> {
    for (;;) {
      const reply = await this.call(pathname, body, token);
      if (reply) return reply;
      await this.up();
      await sleep(20);
    }
  }
}

const random = (n: number) => Math.floor(Math.random() * n);
const pick = <T>(items: T[]): T | undefined => items[random(items.length)];

class World {
  readonly stores: Store[] = [];
  readonly listings: Listing[] = [];
  readonly extraUsers: { userId: string; certain: boolean }[] = [];
  private next = 0;
  constructor(readonly target: Target) {}
  id(prefix: string) {
    return `${prefix}-${++this.next}-${randomUUID().slice(0, 6)}`;
  }
}

async function register(target: Target, userId: string): Promise<Account> {
  assert.equal((await target.must('/auth/register', { user_id: userId, password })).status, 200);
  const login = await target.must('/auth/login', { user_id: userId, password, terminal: 'soak' });
  assert.equal(login.status, 200);
  return { userId, token: login.body.token as string };
}

/** One client: a buyer of its own, acting also as the sellers of the orders it placed. */
class Client {
  readonly orders = new Map<string, Order>();
  deposits = 0;
  readonly unknownDeposits: number[] = [];
  constructor(
    readonly world: World,
    readonly buyer: Account,
  ) {}

  private get target() {
    return this.world.target;
  }

  /** The buyer's orders as the server has them (read across restarts). */
  async actualOrders(): Promise<Map<string, { status: Status; store_id: string; total_price: number; books: Line[] }>> {
    const out = new Map();
    for (let page = 1; ; page++) {
      const reply = await this.target.must('/buyer/query_order', { user_id: this.buyer.userId, password, page, page_size: 100 });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      for (const o of reply.body.orders as any[]) out.set(o.order_id, o);
      if ((reply.body.orders as unknown[]).length < 100) return out;
    }
  }

  /** A transition whose reply was lost: the order is now in `before` or `after`, nothing else. */
  private async settle(order: Order, before: Status, after: Status, what: string) {
    await this.target.up();
    const actual = (await this.actualOrders()).get(order.orderId);
    assert.ok(actual, `order ${order.orderId} vanished`);
    assert.ok(actual.status === before || actual.status === after, `${what} of ${order.orderId}: found ${actual.status}, expected ${before} or ${after}`);
    order.status = actual.status;
  }

  async step() {
    const roll = random(100);
    const mine = [...this.orders.values()];
    if (roll < 18) return this.addFunds();
    if (roll < 40) return this.newOrder();
    if (roll < 55) return this.transition(mine.filter((o) => o.status === 'unpaid'), 'payment');
    if (roll < 63) return this.transition(mine.filter((o) => o.status === 'unpaid' || o.status === 'paid'), 'cancel');
    if (roll < 78) return this.transition(mine.filter((o) => o.status === 'paid'), 'ship');
    if (roll < 90) return this.transition(mine.filter((o) => o.status === 'shipped'), 'receive');
    if (roll < 94) return this.registerUser();
    if (roll < 96) return this.createStore();
    return this.addBook();
  }

  private async addFunds() {
    const value = random(5) === 0 ? -(1 + random(200)) : 1 + random(1000);
    const reply = await this.target.call('/buyer/add_funds', { user_id: this.buyer.userId, password, add_value: value });
    if (reply === undefined) {
      this.unknownDeposits.push(value);
      await this.target.up();
    } else if (reply.status === 200) this.deposits += value;
    else assert.ok(reply.status === 519 || reply.status >= 500, `add_funds ${value}: ${reply.status} ${JSON.stringify(reply.body)}`);
  }

  private async newOrder() {
    const store = pick(this.world.stores.filter((s) => s.certain && this.world.listings.some((l) => l.certain && l.storeId === s.storeId)));
    if (!store) return;
    const books = this.world.listings.filter((l) => l.certain && l.storeId === store.storeId);
    const chosen = new Map<string, Line>();
    for (let i = 0; i < 1 + random(2); i++) {
      const b = pick(books)!;
      const line = chosen.get(b.bookId) ?? { id: b.bookId, count: 0 };
      line.count += 1 + random(3);
      chosen.set(b.bookId, line);
    }
    const lines = [...chosen.values()];
    const total = lines.reduce((sum, l) => sum + l.count * books.find((b) => b.bookId === l.id)!.price, 0);
    const reply = await this.target.call('/buyer/new_order', { user_id: this.buyer.userId, store_id: store.storeId, books: lines }, this.buyer.token);
    if (reply?.status === 200) {
      this.orders.set(reply.body.order_id, { orderId: reply.body.order_id, storeId: store.storeId, lines, total, status: 'unpaid' });
    } else if (reply === undefined) {
      // Either it was placed (an unpaid order we have not seen) or not at all.
      await this.target.up();
      const actual = await this.actualOrders();
      const unseen = [...actual.entries()].filter(([id]) => !this.orders.has(id));
      assert.ok(unseen.length <= 1, `${unseen.length} orders appeared from one lost new_order`);
      for (const [orderId, o] of unseen) {
        assert.equal(o.status, 'unpaid');
        assert.equal(o.store_id, store.storeId);
        this.orders.set(orderId, { orderId, storeId: store.storeId, lines, total, status: 'unpaid' });
      }
    } else assert.ok(reply.status === 517 || reply.status >= 500, `new_order: ${reply.status} ${JSON.stringify(reply.body)}`);
  }

  private async transition(candidates: Order[], kind: 'payment' | 'cancel' | 'ship' | 'receive') {
    const order = pick(candidates);
    if (!order) return;
    const seller = this.world.stores.find((s) => s.storeId === order.storeId)!.seller;
    const [before, after, reply] =
      kind === 'payment'
        ? (['unpaid', 'paid', await this.target.call('/buyer/payment', { user_id: this.buyer.userId, order_id: order.orderId, password })] as const)
        : kind === 'cancel'
          ? ([order.status, 'cancelled', await this.target.call('/buyer/close_order', { user_id: this.buyer.userId, order_id: order.orderId, password })] as const)
          : kind === 'ship'
            ? (['paid', 'shipped', await this.target.call('/seller/send_books', { user_id: seller.userId, order_id: order.orderId }, seller.token)] as const)
            : (['shipped', 'received', await this.target.call('/buyer/receive_books', { buyer_id: this.buyer.userId, order_id: order.orderId }, this.buyer.token)] as const);
    if (reply?.status === 200) order.status = after;
    else if (reply === undefined) await this.settle(order, before, after, kind);
    else assert.ok((kind === 'payment' && reply.status === 519) || reply.status >= 500, `${kind} of a ${order.status} order: ${reply.status} ${JSON.stringify(reply.body)}`);
  }

  private async registerUser() {
    const userId = this.world.id('extra');
    const reply = await this.target.call('/auth/register', { user_id: userId, password });
    if (reply?.status === 200 || reply === undefined) this.world.extraUsers.push({ userId, certain: reply !== undefined });
    if (reply === undefined) await this.target.up();
  }

  private async createStore() {
    const owner = pick(this.world.stores)!.seller;
    const storeId = this.world.id('store');
    const reply = await this.target.call('/seller/create_store', { user_id: owner.userId, store_id: storeId }, owner.token);
    if (reply?.status === 200 || reply === undefined) this.world.stores.push({ storeId, seller: owner, certain: reply !== undefined, word: storeId.replace(/-/g, '') });
    if (reply === undefined) await this.target.up();
  }

  private async addBook() {
    const store = pick(this.world.stores.filter((s) => s.certain))!;
    const bookId = this.world.id('book');
    const price = 1 + random(50);
    const reply = await this.target.call(
      '/seller/add_book',
      { user_id: store.seller.userId, store_id: store.storeId, book_info: { id: bookId, title: `${store.word} ${bookId}`, price }, stock_level: 500 },
      store.seller.token,
    );
    if (reply?.status === 200 || reply === undefined) {
      this.world.listings.push({ storeId: store.storeId, bookId, price, certain: reply !== undefined, initialStock: 500 });
    }
    if (reply === undefined) await this.target.up();
  }
}

/** Whether `value` is the sum of some of `parts` (each used at most once). */
function isSubsetSum(value: number, parts: number[]): boolean {
  let sums = new Set([0]);
  for (const p of parts) sums = new Set([...sums, ...[...sums].map((s) => s + p)]);
  return sums.has(value);
}

describe(`crash soak: SIGKILL and restart under a mixed workload (${DB_KIND})`, () => {
  let dataDir: string;
  let database: Awaited<ReturnType<typeof serverDatabase>>;
  let target: Target;
  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'bookstore-soak-'));
    database = await serverDatabase('bookstore_soak');
    target = new Target(dataDir, { ...database.env, LOG_LEVEL: 'error' }, await freePort());
    await target.start();
  });
  after(async () => {
    if (target?.server) await stopServer(target.server, 'SIGKILL');
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test(`${KILLS} kills: every acknowledged write is kept, money and stock add up, no 5xx while the server runs`, { timeout: 240_000 }, async (t) => {
    const world = new World(target);
    for (let s = 0; s < 2; s++) {
      const seller = await register(target, world.id('seller'));
      const storeId = world.id('store');
      assert.equal((await target.must('/seller/create_store', { user_id: seller.userId, store_id: storeId }, seller.token)).status, 200);
      const store: Store = { storeId, seller, certain: true, word: storeId.replace(/-/g, '') };
      world.stores.push(store);
      for (let b = 0; b < 4; b++) {
        const bookId = world.id('book');
        const price = 1 + random(50);
        const reply = await target.must(
          '/seller/add_book',
          { user_id: seller.userId, store_id: storeId, book_info: { id: bookId, title: `${store.word} ${bookId}`, price }, stock_level: 1000 },
          seller.token,
        );
        assert.equal(reply.status, 200);
        world.listings.push({ storeId, bookId, price, certain: true, initialStock: 1000 });
      }
    }
    const clients: Client[] = [];
    for (let c = 0; c < CLIENTS; c++) {
      const client = new Client(world, await register(target, world.id('buyer')));
      assert.equal((await target.must('/buyer/add_funds', { user_id: client.buyer.userId, password, add_value: 5000 })).status, 200);
      client.deposits = 5000;
      clients.push(client);
    }

    let running = true;
    const work = clients.map(async (client) => {
      while (running) await client.step();
    });
    for (let k = 0; k < KILLS; k++) {
      await sleep(RUN_MS.min + random(RUN_MS.max - RUN_MS.min));
      await target.killAndRestart();
    }
    await sleep(RUN_MS.min);
    running = false;
    await Promise.all(work);

    // No 5xx from a running server.
    const inWindow = (at: number) => target.windows.some(([from, to]) => at >= from && at <= to);
    assert.deepEqual(target.fiveHundreds.filter((r) => !inWindow(r.at)), [], '5xx outside the restart windows');

    // Orders: each acknowledged one is there in the state its acknowledged transitions left it; none appeared from nowhere.
    const placed = new Map<string, { status: Status; store_id: string; total_price: number; books: Line[] }>();
    for (const client of clients) {
      const actual = await client.actualOrders();
      assert.deepEqual([...actual.keys()].sort(), [...client.orders.keys()].sort(), `orders of ${client.buyer.userId}`);
      for (const [orderId, model] of client.orders) {
        const o = actual.get(orderId)!;
        assert.equal(o.status, model.status, `status of ${orderId}`);
        assert.equal(o.total_price, model.total, `total of ${orderId}`);
        assert.deepEqual(
          o.books.map((b) => ({ id: b.id, count: b.count })).sort((a, b) => a.id.localeCompare(b.id)),
          [...model.lines].sort((a, b) => a.id.localeCompare(b.id)),
        );
        placed.set(orderId, o);
      }
    }
    const orders = [...placed.values()];
    const stats = orders.reduce<Record<string, number>>((acc, o) => ((acc[o.status] = (acc[o.status] ?? 0) + 1), acc), {});
    assert.ok(orders.length >= 10 && Object.keys(stats).length >= 3, `a mixed workload ran: ${JSON.stringify(stats)}`);

    // Users, stores and books acknowledged are there.
    for (const u of world.extraUsers.filter((u) => u.certain)) {
      assert.equal((await target.must('/auth/login', { user_id: u.userId, password, terminal: 'check' })).status, 200, `user ${u.userId}`);
    }
    const stock = new Map<string, number>();
    for (const store of world.stores) {
      const found = await target.must('/search/books', { keyword: store.word, scope: ['title'], store_id: store.storeId, page_size: 100 });
      if (!store.certain && found.status === 513) continue;
      assert.equal(found.status, 200, `store ${store.storeId}: ${JSON.stringify(found.body)}`);
      for (const b of found.body.books as { id: string; stock_level: number }[]) stock.set(`${store.storeId}/${b.id}`, b.stock_level);
    }
    for (const l of world.listings) {
      if (l.certain) assert.ok(stock.has(`${l.storeId}/${l.bookId}`), `book ${l.bookId} in ${l.storeId}`);
    }

    // Stock adds up: what is on the shelf plus what open or completed orders hold is what was listed.
    for (const l of world.listings) {
      const key = `${l.storeId}/${l.bookId}`;
      if (!stock.has(key)) continue;
      const held = orders
        .filter((o) => o.store_id === l.storeId && o.status !== 'cancelled')
        .reduce((sum, o) => sum + (o.books.find((b) => b.id === l.bookId)?.count ?? 0), 0);
      assert.equal(stock.get(key)! + held, l.initialStock, `stock of ${key}`);
    }

    // Money adds up, read from the database once the server is stopped.
    assert.equal(await stopServer(target.server), 0);
    const balances = new Map<string, number>();
    let escrow = 0;
    if (DB_KIND === 'postgres') {
      const c = new pg.Client({ connectionString: database.url });
      await c.connect();
      for (const r of (await c.query<{ user_id: string; balance: string }>('SELECT user_id, balance FROM users')).rows) balances.set(r.user_id, Number(r.balance));
      escrow = Number((await c.query<{ s: string }>("SELECT coalesce(sum(total_price), 0) AS s FROM orders WHERE status IN ('paid', 'shipped')")).rows[0]!.s);
      await c.end();
    } else {
      const db = await openPglite(dataDir);
      for (const r of (await db.query<{ user_id: string; balance: number }>('SELECT user_id, balance FROM users')).rows) balances.set(r.user_id, r.balance);
      escrow = (await db.query<{ s: number }>("SELECT coalesce(sum(total_price), 0)::bigint AS s FROM orders WHERE status IN ('paid', 'shipped')")).rows[0]!.s;
      await db.close();
    }
    let deposited = 0;
    for (const client of clients) {
      // What the buyer put in = what is left + what went to orders that stayed paid.
      const spent = [...client.orders.values()].filter((o) => ['paid', 'shipped', 'received'].includes(o.status)).reduce((s, o) => s + o.total, 0);
      const applied = balances.get(client.buyer.userId)! + spent;
      assert.ok(
        isSubsetSum(applied - client.deposits, client.unknownDeposits),
        `${client.buyer.userId}: ${applied} deposited, ${client.deposits} acknowledged, unknown ${JSON.stringify(client.unknownDeposits)}`,
      );
      deposited += applied;
    }
    const sellers = new Map(world.stores.map((s) => [s.seller.userId, 0]));
    for (const o of orders) {
      if (o.status !== 'received') continue;
      const seller = world.stores.find((s) => s.storeId === o.store_id)!.seller.userId;
      sellers.set(seller, sellers.get(seller)! + o.total_price);
    }
    for (const [seller, earned] of sellers) assert.equal(balances.get(seller), earned, `balance of seller ${seller}`);
    const total = [...balances.values()].reduce((s, b) => s + b, 0);
    assert.equal(total + escrow, deposited, 'all balances plus escrow = deposits - withdrawals');
    t.diagnostic(
      `orders ${JSON.stringify(stats)}; deposits of unknown outcome ${clients.reduce((n, c) => n + c.unknownDeposits.length, 0)}; ` +
        `restarts took ${target.windows.map(([a, b]) => b - a).join(', ')} ms`,
    );
  });
});
