import { sqlState, type Queryable } from '../db/database.js';
import { credentialParams, type Actor } from '../domain/actor.js';
import type { OrderLine, OrderRecord } from '../domain/order.js';
import { ORDER_TRANSITIONS, type OrderAction, type OrderStatus } from '../domain/order-state.js';

export interface NewOrder {
  orderId: string;
  actor: Actor;
  storeId: string;
  /** As the buyer sent them: the statement adds up repeated books and sorts them itself. */
  bookIds: readonly string[];
  counts: readonly number[];
  /** Seconds the buyer has to pay. */
  timeoutS: number;
}

/** A book's counts added up, or the order's total, past what the columns hold. */
const OUT_OF_RANGE = new Set(['22003', '23514']);

/**
 * Places an order in one statement, all of it or none of it (place_order in migrations/004):
 * re-checks and holds the buyer's session, holds the store open, reserves each book's stock with a
 * guarded UPDATE in book id order and writes the unpaid order with its deadline.
 */
export async function placeOrder(q: Queryable, o: NewOrder): Promise<'placed' | 'unauthorized' | 'refused' | 'too large'> {
  try {
    const { rows } = await q.query<{ outcome: 'placed' | 'unauthorized' | 'refused' }>(
      'SELECT place_order($1, $2, $3, $4, $5, $6, $7, $8) AS outcome',
      [o.orderId, ...credentialParams(o.actor).slice(0, 3), o.storeId, o.bookIds, o.counts, o.timeoutS],
    );
    return rows[0]!.outcome;
  } catch (err) {
    if (OUT_OF_RANGE.has(sqlState(err) ?? '')) return 'too large';
    throw err;
  }
}

/**
 * Applies one transition of the state machine to the actor's order, as one call of
 * transition_order (migrations/006): the table in domain/order-state.ts supplies the states it
 * accepts, the state it leads to, the time it stamps, who may take it and its effect. Returns the
 * order's store and buyer, or null when refused for any reason (nothing changed).
 */
export async function transitionOrder(
  q: Queryable,
  action: Exclude<OrderAction, 'expire'>,
  orderId: string,
  actor: Actor,
  storeId: string | null = null,
): Promise<{ store_id: string; buyer_id: string } | null> {
  const t = ORDER_TRANSITIONS[action];
  const { rows } = await q.query<{ store_id: string; buyer_id: string }>(
    `SELECT order_store_id AS store_id, order_buyer_id AS buyer_id
       FROM transition_order($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    [orderId, ...credentialParams(actor), storeId, t.from, t.to, t.stamp, t.by, t.effect, t.cancelReason ?? null],
  );
  return rows[0] ?? null;
}

/**
 * The timeout (the `expire` transition) for up to `limit` unpaid orders past their deadline, each
 * restocked and cancelled as of its deadline (expire_orders in migrations/006); returns how many.
 * SKIP LOCKED lets several processes sweep together; the state guard makes each cancellation
 * happen once.
 */
export async function expireOrders(q: Queryable, limit: number): Promise<number> {
  const t = ORDER_TRANSITIONS.expire;
  const { rows } = await q.query<{ expired: number }>('SELECT expire_orders($1, $2, $3, $4) AS expired', [limit, t.from, t.to, t.cancelReason ?? null]);
  return rows[0]?.expired ?? 0;
}

/** What a refusal explanation needs to know about an order, as it stands now. */
export interface OrderFacts {
  buyer_pk: number;
  store_id: string;
  seller_pk: number;
  status: OrderStatus;
  cancel_reason: 'buyer' | 'timeout' | null;
  total_price: number;
}

export async function findOrderFacts(q: Queryable, orderId: string): Promise<OrderFacts | null> {
  const { rows } = await q.query<OrderFacts>(
    `SELECT o.buyer_pk, o.store_id, s.owner_pk AS seller_pk, o.status, o.cancel_reason, o.total_price
       FROM orders_now o JOIN stores s ON s.store_id = o.store_id
      WHERE o.order_id = $1`,
    [orderId],
  );
  return rows[0] ?? null;
}

export interface OrderFilter {
  buyerPk?: number;
  storeId?: string;
  sellerPk?: number;
  status?: OrderStatus;
  limit: number;
  offset: number;
}

const FILTER_SQL = `
  FROM orders_now o
 WHERE ($1::int8 IS NULL OR o.buyer_pk = $1)
   AND ($2::text IS NULL OR o.store_id = $2)
   AND ($3::int8 IS NULL OR o.store_id IN (SELECT store_id FROM stores WHERE owner_pk = $3))
   AND ($4::text IS NULL OR o.status = $4)`;

/** One page of orders as they stand now, newest first, with their lines, and the number of all matches. */
export async function listOrders(q: Queryable, f: OrderFilter): Promise<{ orders: OrderRecord[]; total: number }> {
  const filter = [f.buyerPk ?? null, f.storeId ?? null, f.sellerPk ?? null, f.status ?? null];
  const count = await q.query<{ n: number }>(`SELECT count(*)::int AS n ${FILTER_SQL}`, filter);
  const total = count.rows[0]?.n ?? 0;
  if (total === 0 || f.offset >= total) return { orders: [], total };
  const page = await q.query<Omit<OrderRecord, 'books'>>(
    `SELECT o.order_id, u.user_id AS buyer_id, o.store_id, o.status, o.cancel_reason, o.total_price,
            o.created_at, o.paid_at, o.shipped_at, o.received_at, o.cancelled_at
       FROM (SELECT o.* ${FILTER_SQL} ORDER BY o.created_at DESC, o.order_id DESC LIMIT $5 OFFSET $6) o
       JOIN users u ON u.id = o.buyer_pk
      ORDER BY o.created_at DESC, o.order_id DESC`,
    [...filter, f.limit, f.offset],
  );
  const lines = await q.query<OrderLine & { order_id: string }>(
    `SELECT ol.order_id, ol.book_id AS id, b.title, ol.count, ol.price
       FROM order_lines ol
       JOIN orders o ON o.order_id = ol.order_id
       LEFT JOIN books b ON b.store_id = o.store_id AND b.book_id = ol.book_id
      WHERE ol.order_id = ANY($1::uuid[])
      ORDER BY ol.order_id, ol.book_id`,
    [page.rows.map((r) => r.order_id)],
  );
  const byOrder = new Map<string, OrderLine[]>();
  for (const { order_id, ...line } of lines.rows) {
    const list = byOrder.get(order_id) ?? [];
    list.push(line);
    byOrder.set(order_id, list);
  }
  return { orders: page.rows.map((r) => ({ ...r, books: byOrder.get(r.order_id) ?? [] })), total };
}
