import assert from 'node:assert/strict';
import type { OrderRecord } from '../../src/domain/order.js';
import { Api, newBuyer, newStore, pay, placeOrder, type Book, type Reply, type User } from './client.js';

/**
 * The contract's client with the conventions checked on every response: the body is a JSON
 * object with a `message` string, "ok" exactly on 200, and errors never leak internals.
 */
export class CheckedApi extends Api {
  override async post(path: string, body: unknown, token?: string): Promise<Reply> {
    const reply = await super.post(path, body, token);
    checkConventions(path, reply);
    return reply;
  }
}

export function checkConventions(path: string, reply: Reply): void {
  const { status, body } = reply;
  assert.ok(body !== null && typeof body === 'object' && !Array.isArray(body), `${path}: body is not a JSON object`);
  assert.equal(typeof body.message, 'string', `${path} → ${status}: no message in ${JSON.stringify(body)}`);
  if (status === 200) {
    assert.equal(body.message, 'ok', `${path}: 200 with message ${body.message}`);
  } else {
    assert.notEqual(body.message, 'ok', `${path}: ${status} with message "ok"`);
    assert.doesNotMatch(body.message, /\n\s+at |\bSELECT\b|\bINSERT\b|\bUPDATE\b|node_modules/, `${path}: leaks internals`);
  }
}

/** Asserts the status code, showing the body when it differs. */
export function expectCode<R extends Reply>(reply: R, status: number, what = ''): R {
  assert.equal(reply.status, status, `${what ? what + ': ' : ''}expected ${status}, got ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply;
}

export type OrderState = OrderView['status'];
export const ORDER_STATES: readonly OrderState[] = ['unpaid', 'paid', 'shipped', 'received', 'cancelled'];

export interface Shop {
  seller: User;
  storeId: string;
  books: Book[];
}

/** An order as the API shows it: the service's record with its times as ISO 8601 strings. */
export type OrderView = { [K in keyof OrderRecord]: OrderRecord[K] extends Date ? string : OrderRecord[K] extends Date | null ? string | null : OrderRecord[K] };

export const ship = (api: Api, shop: Shop, orderId: string): Promise<Reply> =>
  api.post('/seller/send_books', { user_id: shop.seller.userId, order_id: orderId }, shop.seller.token);

export const receive = (api: Api, buyer: User, orderId: string): Promise<Reply> =>
  api.post('/buyer/receive_books', { buyer_id: buyer.userId, order_id: orderId }, buyer.token);

export const cancel = (api: Api, buyer: User, orderId: string): Promise<Reply> =>
  api.post('/buyer/close_order', { user_id: buyer.userId, password: buyer.password, order_id: orderId });

export const addFunds = (api: Api, user: User, value: number): Promise<Reply> =>
  api.post('/buyer/add_funds', { user_id: user.userId, password: user.password, add_value: value });

/** The buyer's orders (first page of 100), through /buyer/query_order. */
export async function buyerOrders(api: Api, buyer: User, extra: Record<string, unknown> = {}): Promise<OrderView[]> {
  const res = expectCode(
    await api.post('/buyer/query_order', { user_id: buyer.userId, password: buyer.password, page_size: 100, ...extra }),
    200,
    'query_order',
  );
  return res.body.orders as OrderView[];
}

/** One order of the buyer, as query_order shows it. */
export async function orderOf(api: Api, buyer: User, orderId: string): Promise<OrderView> {
  const order = (await buyerOrders(api, buyer)).find((o) => o.order_id === orderId);
  assert.ok(order, `order ${orderId} is not among the buyer's orders`);
  return order;
}

export async function statusOf(api: Api, buyer: User, orderId: string): Promise<OrderState> {
  return (await orderOf(api, buyer, orderId)).status;
}

/** The seller's orders of all their stores, through /seller/query_order. */
export async function sellerOrders(api: Api, seller: User, extra: Record<string, unknown> = {}): Promise<OrderView[]> {
  const res = expectCode(
    await api.post('/seller/query_order', { user_id: seller.userId, page_size: 100, ...extra }, seller.token),
    200,
    'seller query_order',
  );
  return res.body.orders as OrderView[];
}

export interface PlacedOrder {
  shop: Shop;
  buyer: User;
  orderId: string;
  /** price × count of the one line. */
  total: number;
  /** Stock of the book right after ordering. */
  stockAfterOrder: number;
  /** Buyer's funds before paying. */
  funds: number;
}

/**
 * A fresh store (one book, stock 10) and a fresh buyer with `funds` (default 3 × total), and an
 * order of `count` copies driven into `state` through the API (cancelled = by the buyer).
 */
export async function orderIn(
  api: Api,
  state: OrderState,
  opts: { price?: number; count?: number; funds?: number } = {},
): Promise<PlacedOrder> {
  const price = opts.price ?? 1250;
  const count = opts.count ?? 2;
  const total = price * count;
  const funds = opts.funds ?? total * 3;
  const shop = await newStore(api, [{ price, stock: 10 }]);
  const buyer = await newBuyer(api, funds);
  const book = shop.books[0]!;
  const placed = expectCode(await placeOrder(api, buyer, shop.storeId, [{ id: book.id, count }]), 200, 'new_order');
  const orderId = placed.body.order_id as string;
  if (state === 'cancelled') expectCode(await cancel(api, buyer, orderId), 200, 'close_order');
  if (state === 'paid' || state === 'shipped' || state === 'received') expectCode(await pay(api, buyer, orderId), 200, 'payment');
  if (state === 'shipped' || state === 'received') expectCode(await ship(api, shop, orderId), 200, 'send_books');
  if (state === 'received') expectCode(await receive(api, buyer, orderId), 200, 'receive_books');
  return { shop, buyer, orderId, total, stockAfterOrder: 10 - count, funds };
}
