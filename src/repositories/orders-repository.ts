import { sqlState, type Queryable } from '../db/database.js';
import { credentialParams, type Actor } from '../domain/actor.js';
import type { OrderLine, OrderRecord } from '../domain/order.js';
import { ORDER_TRANSITIONS, type OrderAction, type OrderStatus, type Transition } from '../domain/order-state.js';

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

const quoted = (states: readonly OrderStatus[]) => states.map((s) => `'${s}'`).join(', ');

/**
 * The effect CTEs of a transition over the locked `target` orders, ending in `done` (the orders
 * whose effect happened): the state change is applied to exactly those.
 */
function effectSql(t: Transition): string {
  switch (t.effect) {
    case 'none':
      return 'done AS (SELECT order_id FROM target)';
    case 'debit_buyer':
      // Guarded: the whole payment happens only if the balance covers it.
      return `done AS (
        UPDATE users u SET balance = u.balance - t.total_price FROM target t
         WHERE u.id = t.buyer_pk AND u.balance >= t.total_price
        RETURNING t.order_id)`;
    case 'credit_seller':
      return `done AS (
        UPDATE users u SET balance = u.balance + t.total_price FROM target t
         WHERE u.id = t.seller_pk
        RETURNING t.order_id)`;
    case 'restock_and_refund':
      // Listings are locked in (store_id, book_id) order, sorted by the database (the lock order
      // place_order uses too), before their stock is given back.
      return `lines AS (
        SELECT t.store_id, ol.book_id, sum(ol.count)::int8 AS count
          FROM target t JOIN order_lines ol ON ol.order_id = t.order_id
         GROUP BY t.store_id, ol.book_id),
      locked AS (
        SELECT l.store_id, l.book_id FROM listings l JOIN lines x ON x.store_id = l.store_id AND x.book_id = l.book_id
         ORDER BY l.store_id, l.book_id
           FOR UPDATE OF l),
      restocked AS (
        UPDATE listings l SET stock_level = l.stock_level + x.count
          FROM lines x JOIN locked k ON k.store_id = x.store_id AND k.book_id = x.book_id
         WHERE l.store_id = x.store_id AND l.book_id = x.book_id
        RETURNING 1),
      refunded AS (
        UPDATE users u SET balance = u.balance + r.total
          FROM (SELECT buyer_pk, sum(total_price) AS total FROM target WHERE from_status = 'paid' GROUP BY buyer_pk) r
         WHERE u.id = r.buyer_pk
        RETURNING 1),
      done AS (SELECT order_id FROM target)`;
  }
}

/** The state change itself, named by the states it expects, for the orders in `done`. */
function moveSql(t: Transition): string {
  const reason = t.cancelReason ? `, cancel_reason = '${t.cancelReason}'` : '';
  // The timeout cancels an order as of its deadline, whenever the sweeper gets to it.
  const at = t.by === 'sweeper' ? 'o.pay_by' : 'clock_now()';
  return `moved AS (
    UPDATE orders o SET status = '${t.to}', ${t.stamp} = ${at}${reason}
      FROM done d
     WHERE o.order_id = d.order_id AND o.status IN (${quoted(t.from)})
    RETURNING o.order_id, o.store_id, o.buyer_pk)`;
}

/**
 * One order's transition as one statement, built from the state machine's table: re-check and
 * hold the actor's credential, lock the order if it is in a state the action accepts (as it
 * stands now: an expired unpaid order is cancelled) and the actor may act on it, apply the
 * effect, then the state change. $1 order id, $2–$5 the credential, $6 the store it must be in (or null).
 */
function transitionSql(action: Exclude<OrderAction, 'expire'>): string {
  const t = ORDER_TRANSITIONS[action];
  const who = t.by === 'buyer' ? 'o.buyer_pk = a.pk' : 's.owner_pk = a.pk';
  return `WITH a AS MATERIALIZED (SELECT actor_pk($2, $3, $4, $5) AS pk),
  target AS (
    SELECT o.order_id, o.store_id, o.buyer_pk, s.owner_pk AS seller_pk, o.total_price, o.status AS from_status
      FROM orders o JOIN stores s ON s.store_id = o.store_id CROSS JOIN a
     WHERE o.order_id = $1 AND o.status IN (${quoted(t.from)}) AND order_status_now(o.status, o.pay_by) IN (${quoted(t.from)})
       AND ${who} AND ($6::text IS NULL OR o.store_id = $6)
       FOR UPDATE OF o),
  ${effectSql(t)},
  ${moveSql(t)}
  SELECT m.store_id, u.user_id AS buyer_id FROM moved m JOIN users u ON u.id = m.buyer_pk`;
}

const TRANSITION_SQL = {
  pay: transitionSql('pay'),
  ship: transitionSql('ship'),
  receive: transitionSql('receive'),
  cancel: transitionSql('cancel'),
};

/** Applies `action` to the actor's order: the order's store and buyer, or null when refused for any reason (nothing changed). */
export async function transitionOrder(
  q: Queryable,
  action: keyof typeof TRANSITION_SQL,
  orderId: string,
  actor: Actor,
  storeId: string | null = null,
): Promise<{ store_id: string; buyer_id: string } | null> {
  const { rows } = await q.query<{ store_id: string; buyer_id: string }>(TRANSITION_SQL[action], [orderId, ...credentialParams(actor), storeId]);
  return rows[0] ?? null;
}

const EXPIRE_SQL = (() => {
  const t = ORDER_TRANSITIONS.expire;
  return `WITH target AS (
    SELECT o.order_id, o.store_id, o.buyer_pk, o.total_price, o.status AS from_status
      FROM orders o
     WHERE o.status IN (${quoted(t.from)}) AND past_deadline(o.pay_by)
     ORDER BY o.pay_by
     LIMIT $1
       FOR UPDATE OF o SKIP LOCKED),
  ${effectSql(t)},
  ${moveSql(t)}
  SELECT count(*)::int AS moved FROM moved`;
})();

/**
 * Cancels up to `limit` unpaid orders past their deadline and restocks them, as one statement.
 * SKIP LOCKED lets several processes sweep together; the status guard makes each cancellation
 * happen once.
 */
export async function expireOrders(q: Queryable, limit: number): Promise<number> {
  const { rows } = await q.query<{ moved: number }>(EXPIRE_SQL, [limit]);
  return rows[0]?.moved ?? 0;
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
