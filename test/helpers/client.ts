import { randomUUID } from 'node:crypto';

export interface Reply {
  status: number;
  body: Record<string, any>;
}

/** A thin HTTP client speaking the contract: POST JSON, `token` header, status + JSON body. */
export class Api {
  constructor(public url: string) {}

  async post(path: string, body: unknown, token?: string): Promise<Reply> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== undefined) headers.token = token;
    const res = await fetch(this.url + path, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  async get(path: string, token?: string): Promise<Reply & { text: string; contentType: string | null }> {
    const res = await fetch(this.url + path, token === undefined ? {} : { headers: { token } });
    const text = await res.text();
    let body: Record<string, any> = {};
    try {
      body = JSON.parse(text) as Record<string, any>;
    } catch {
      /* not JSON (metrics, docs) */
    }
    return { status: res.status, body, text, contentType: res.headers.get('content-type') };
  }
}

export const uid = (prefix: string): string => `${prefix}_${randomUUID().slice(0, 8)}`;

export interface User {
  userId: string;
  password: string;
  token: string;
}

/** Registers a user and logs in on one terminal. */
export async function newUser(api: Api, prefix = 'user', password = 'secret-pw'): Promise<User> {
  const userId = uid(prefix);
  const reg = await api.post('/auth/register', { user_id: userId, password });
  if (reg.status !== 200) throw new Error(`register ${userId}: ${reg.status}`);
  const login = await api.post('/auth/login', { user_id: userId, password, terminal: 'terminal-1' });
  if (login.status !== 200) throw new Error(`login ${userId}: ${login.status}`);
  return { userId, password, token: login.body.token as string };
}

export interface Book {
  id: string;
  price: number;
  stock: number;
}

/** A seller with one store and the given books in stock. */
export async function newStore(
  api: Api,
  books: { price: number; stock: number; title?: string }[],
): Promise<{ seller: User; storeId: string; books: Book[] }> {
  const seller = await newUser(api, 'seller');
  const storeId = uid('store');
  const created = await api.post('/seller/create_store', { user_id: seller.userId, store_id: storeId }, seller.token);
  if (created.status !== 200) throw new Error(`create_store: ${created.status}`);
  const out: Book[] = [];
  for (const [i, b] of books.entries()) {
    const id = `book-${i + 1}`;
    const res = await api.post(
      '/seller/add_book',
      { user_id: seller.userId, store_id: storeId, book_info: { id, title: b.title ?? `Book ${i + 1}`, price: b.price }, stock_level: b.stock },
      seller.token,
    );
    if (res.status !== 200) throw new Error(`add_book: ${res.status} ${JSON.stringify(res.body)}`);
    out.push({ id, price: b.price, stock: b.stock });
  }
  return { seller, storeId, books: out };
}

/** A buyer with money on their account. */
export async function newBuyer(api: Api, funds: number): Promise<User> {
  const buyer = await newUser(api, 'buyer');
  if (funds > 0) {
    const res = await api.post('/buyer/add_funds', { user_id: buyer.userId, password: buyer.password, add_value: funds });
    if (res.status !== 200) throw new Error(`add_funds: ${res.status}`);
  }
  return buyer;
}

export async function placeOrder(api: Api, buyer: User, storeId: string, books: { id: string; count: number }[]): Promise<Reply> {
  return api.post('/buyer/new_order', { user_id: buyer.userId, store_id: storeId, books }, buyer.token);
}

export async function pay(api: Api, buyer: User, orderId: string): Promise<Reply> {
  return api.post('/buyer/payment', { user_id: buyer.userId, order_id: orderId, password: buyer.password });
}

/**
 * The buyer's exact balance, read through the API alone: the contract has no balance query, but
 * withdrawing everything and putting it back tells it. Only for tests with no concurrent activity.
 */
export async function balanceOf(api: Api, user: User): Promise<number> {
  let low = 0;
  let high = 1;
  const canWithdraw = async (amount: number) => {
    const res = await api.post('/buyer/add_funds', { user_id: user.userId, password: user.password, add_value: -amount });
    if (res.status === 200) await api.post('/buyer/add_funds', { user_id: user.userId, password: user.password, add_value: amount });
    return res.status === 200;
  };
  while (await canWithdraw(high)) {
    low = high;
    high *= 2;
  }
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (await canWithdraw(mid)) low = mid;
    else high = mid;
  }
  return low;
}

/** Stock of one listing, read through the seller's own view: tries to remove one more than asked. */
export async function stockOf(api: Api, seller: User, storeId: string, bookId: string): Promise<number> {
  let low = 0;
  let high = 1;
  const canRemove = async (n: number) => {
    const body = { user_id: seller.userId, store_id: storeId, book_id: bookId, add_stock_level: -n };
    const res = await api.post('/seller/add_stock_level', body, seller.token);
    if (res.status === 200) await api.post('/seller/add_stock_level', { ...body, add_stock_level: n }, seller.token);
    return res.status === 200;
  };
  while (await canRemove(high)) {
    low = high;
    high *= 2;
  }
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (await canRemove(mid)) low = mid;
    else high = mid;
  }
  return low;
}

/** Asserts a balance exactly, through the API: all of it can be withdrawn, one cent more cannot. */
export async function hasBalance(api: Api, user: User, expected: number): Promise<boolean> {
  const take = (v: number) => api.post('/buyer/add_funds', { user_id: user.userId, password: user.password, add_value: v });
  if (expected > 0) {
    if ((await take(-expected)).status !== 200) return false;
  }
  const over = await take(-1);
  if (expected > 0) await take(expected);
  if (over.status === 200) {
    await take(1);
    return false;
  }
  return over.status === 519;
}
