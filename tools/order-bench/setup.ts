import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { BookInfo } from './catalogue.js';
import { replyMessage, statusLabel, type Headers, type HttpClient, type JsonReply } from './client.js';
import type { BenchOptions } from './options.js';
import { mapLimit } from './parallel.js';
import type { Rng } from './rng.js';

export interface User {
  id: string;
  /** `id` already JSON-encoded, for building request bodies by concatenation. */
  idJson: string;
  /** Request headers carrying this user's login token. */
  headers: Headers;
}

export interface StoreBook {
  id: string;
  idJson: string;
  price: number;
}

export interface Store {
  id: string;
  idJson: string;
  seller: number;
  books: StoreBook[];
}

/** Everything the setup phase created; ids carry `runId` so reruns never collide. */
export interface World {
  runId: string;
  password: string;
  passwordJson: string;
  sellers: User[];
  stores: Store[];
  buyers: User[];
  stock: number;
  funds: number;
}

export interface SetupPlan extends Pick<BenchOptions, 'sellers' | 'storesPerSeller' | 'booksPerStore' | 'buyers' | 'stock' | 'funds'> {
  parallelism: number;
}

export class SetupError extends Error {}

/** Fails the setup unless the reply is 200. */
function expectOk(reply: JsonReply, what: string): JsonReply {
  if (reply.status !== 200) {
    const why = replyMessage(reply);
    throw new SetupError(`${what}: expected 200, got ${statusLabel(reply.status)}${why ? ` (${why})` : ''}`);
  }
  return reply;
}

export function newRunId(): string {
  return `bench-${randomBytes(4).toString('hex')}`;
}

/** Registers and logs in one user; returns its token headers. */
async function registerAndLogin(http: HttpClient, userId: string, password: string, terminal: string): Promise<User> {
  expectOk(await http.postJson('/auth/register', { user_id: userId, password }), `register ${userId}`);
  const login = expectOk(
    await http.postJson('/auth/login', { user_id: userId, password, terminal }),
    `login ${userId}`,
  );
  const token = login.body['token'];
  if (typeof token !== 'string') throw new SetupError(`login ${userId}: reply has no token`);
  return { id: userId, idJson: JSON.stringify(userId), headers: { 'content-type': 'application/json', token } };
}

function toStoreBook(book: BookInfo): StoreBook {
  return { id: book.id, idJson: JSON.stringify(book.id), price: book.price };
}

function assignBooks(catalogue: readonly BookInfo[], perStore: number, rng: Rng): BookInfo[] {
  return catalogue.length <= perStore ? catalogue.slice() : rng.shuffled(catalogue).slice(0, perStore);
}

interface SetupContext {
  http: HttpClient;
  plan: SetupPlan;
  runId: string;
  password: string;
  terminal: string;
}

const indexes = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function createSellers(ctx: SetupContext): Promise<User[]> {
  return mapLimit(indexes(ctx.plan.sellers), ctx.plan.parallelism, (i) =>
    registerAndLogin(ctx.http, `${ctx.runId}-seller-${i}`, ctx.password, ctx.terminal));
}

/** Creates every store, then stocks it with its share of the catalogue. */
async function createStores(ctx: SetupContext, sellers: User[], catalogue: readonly BookInfo[], rng: Rng): Promise<Store[]> {
  const { http, plan } = ctx;
  const planned = sellers.flatMap((seller, s) => indexes(plan.storesPerSeller).map((j) => {
    const id = `${ctx.runId}-store-${s}-${j}`;
    return { seller, store: { id, idJson: JSON.stringify(id), seller: s, books: [] as StoreBook[] }, infos: assignBooks(catalogue, plan.booksPerStore, rng) };
  }));
  await mapLimit(planned, plan.parallelism, async ({ seller, store }) => {
    const body = { user_id: seller.id, store_id: store.id };
    expectOk(await http.postJson('/seller/create_store', body, seller.headers), `create_store ${store.id}`);
  });
  const additions = planned.flatMap((p) => p.infos.map((book) => ({ ...p, book })));
  await mapLimit(additions, plan.parallelism, async ({ seller, store, book }) => {
    const body = { user_id: seller.id, store_id: store.id, book_info: book, stock_level: plan.stock };
    expectOk(await http.postJson('/seller/add_book', body, seller.headers), `add_book ${book.id} to ${store.id}`);
  });
  for (const p of planned) p.store.books = p.infos.map(toStoreBook);
  return planned.map((p) => p.store);
}

function createBuyers(ctx: SetupContext): Promise<User[]> {
  const { http, plan, password } = ctx;
  return mapLimit(indexes(plan.buyers), plan.parallelism, async (i) => {
    const buyer = await registerAndLogin(http, `${ctx.runId}-buyer-${i}`, password, ctx.terminal);
    const body = { user_id: buyer.id, password, add_value: plan.funds };
    expectOk(await http.postJson('/buyer/add_funds', body), `add_funds ${buyer.id}`);
    return buyer;
  });
}

export async function setupWorld(
  http: HttpClient,
  plan: SetupPlan,
  catalogue: readonly BookInfo[],
  rng: Rng,
  log: (line: string) => void,
): Promise<World> {
  const runId = newRunId();
  const ctx: SetupContext = { http, plan, runId, password: `pw-${runId}`, terminal: `terminal-${runId}` };
  let since = performance.now();
  const took = (): string => {
    const now = performance.now();
    const seconds = ((now - since) / 1000).toFixed(1);
    since = now;
    return `in ${seconds} s`;
  };
  const sellers = await createSellers(ctx);
  log(`registered ${sellers.length} sellers ${took()}`);
  const stores = await createStores(ctx, sellers, catalogue, rng);
  log(`created ${stores.length} stores with ${stores[0]?.books.length ?? 0} books each ${took()}`);
  const buyers = await createBuyers(ctx);
  log(`registered and funded ${buyers.length} buyers ${took()}`);
  return {
    runId,
    password: ctx.password,
    passwordJson: JSON.stringify(ctx.password),
    sellers,
    stores,
    buyers,
    stock: plan.stock,
    funds: plan.funds,
  };
}
