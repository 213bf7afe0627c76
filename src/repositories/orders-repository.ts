import { sqlState, type Queryable } from '../db/database.js';
import { ORDER_TRANSITIONS, type OrderAction, type OrderStatus } from '../domain/order-state.js';
import type { OrderView } from '../schemas/common.js';
import type { VerifiedCredential } from '../security/passwords.js';

export interface NewOrder {
  orderId: string;
  buyerId: string;
  /** The login session the request claims; checked in the same statement. */
  terminal: string;
  tokenId: string;
  storeId: string;
  now: Date;
  /** Distinct, sorted: rows are locked in this order. */
  bookIds: readonly string[];
  counts: readonly number[];
}

/** SQLSTATE raised by place_order when a line cannot be reserved (see migrations/003). */
const RESERVATION_REFUSED = 'BK001';

/**
 * Places an order in one statement, all of it or none of it (the place_order function of
 * migrations/003): checks the buyer's session, decrements each line's stock with a guarded
 * UPDATE in book id order (the fixed lock order), and writes the unpaid order with its lines,
 * priced from the rows it updated. A line that cannot be reserved undoes the whole statement.
 */
export async function placeOrder(q: Queryable, o: NewOrder): Promise<{ authorized: boolean; created: boolean }> {
  try {
    const { rows } = await q.query<{ authorized: boolean; created: boolean }>(
      'SELECT authorized, created FROM place_order($1, $2, $3, $4, $5, $6, $7, $8)',
      [o.orderId, o.buyerId, o.storeId, o.bookIds, o.counts, o.now, o.terminal, o.tokenId],
    );
    return rows[0]!;
  } catch (err) {
    if (sqlState(err) === RESERVATION_REFUSED) return { authorized: true, created: false };
    throw err;
  }
}

export interface PayResult {
  /** The credential was current (the user exists and the password hash is still this one). */
  authorized: boolean;
  /** The order's total, or null when the order was not payable by this buyer. */
  total: number | null;
  paid: boolean;
}

/**
 * unpaid → paid for the buyer's own order that is still within its payment window, with the
 * buyer's balance debited by its total — one statement, so all of it happens or none of it.
 * The buyer must still have the password hash the caller verified. The order row is locked
 * first (order before balance, the fixed lock order), the debit is guarded by
 * `balance >= total`, and the status change by `status = 'unpaid'` and by the debit.
 */
export async function payOrder(
  q: Queryable,
  orderId: string,
  buyer: VerifiedCredential,
  now: Date,
  createdAfter: Date,
): Promise<PayResult> {
  const { rows } = await q.query<PayResult>(
    `WITH buyer AS (
       SELECT id FROM users WHERE id = $2 AND password_hash = $5 AND unregistered_at IS NULL),
     payable AS (
       SELECT o.order_id, o.total_price FROM orders o JOIN buyer b ON b.id = o.buyer_pk
        WHERE o.order_id = $1 AND o.status = 'unpaid' AND o.created_at > $4
        FOR UPDATE OF o),
     debit AS (
       UPDATE users SET balance = users.balance - payable.total_price
         FROM payable
        WHERE users.id = $2 AND users.balance >= payable.total_price
        RETURNING payable.order_id),
     paid AS (
       UPDATE orders SET status = 'paid', paid_at = $3
         FROM debit
        WHERE orders.order_id = debit.order_id AND orders.status = 'unpaid'
        RETURNING orders.order_id)
     SELECT EXISTS (SELECT 1 FROM buyer) AS authorized, (SELECT total_price FROM payable) AS total,
            EXISTS (SELECT 1 FROM paid) AS paid`,
    [orderId, buyer.userPk, now, createdAfter, buyer.passwordHash],
  );
  return rows[0] ?? { authorized: false, total: null, paid: false };
}

export interface LockedOrder {
  order_id: string;
  buyer_pk: number;
  store_id: string;
  seller_pk: number;
  status: OrderStatus;
  total_price: number;
  created_at: Date;
}

/** Locks one order row for a state change, with what callers check before changing it. */
export async function lockOrder(q: Queryable, orderId: string): Promise<LockedOrder | null> {
  const { rows } = await q.query<LockedOrder>(
    `SELECT o.order_id, o.buyer_pk, o.store_id, s.owner_pk AS seller_pk, o.status, o.total_price, o.created_at
       FROM orders o JOIN stores s ON s.store_id = o.store_id
      WHERE o.order_id = $1
      FOR UPDATE OF o`,
    [orderId],
  );
  return rows[0] ?? null;
}

/** Applies a transition of the state machine to an order expected to be in state `from`. */
export async function transitionOrder(
  q: Queryable,
  orderId: string,
  action: OrderAction,
  from: OrderStatus,
  now: Date,
  cancelReason: 'buyer' | 'timeout' | null = null,
): Promise<boolean> {
  const t = ORDER_TRANSITIONS[action];
  if (!t.from.includes(from)) return false;
  const { rowCount } = await q.query(
    `UPDATE orders SET status = $3, ${t.stamp} = $4, cancel_reason = COALESCE($5, cancel_reason)
      WHERE order_id = $1 AND status = $2`,
    [orderId, from, t.to, now, cancelReason],
  );
  return rowCount === 1;
}

/**
 * Cancels up to `limit` unpaid orders created at or before `deadline`. SKIP LOCKED lets several
 * server processes sweep together, and the status guard makes each cancellation happen once.
 */
export async function cancelExpiredUnpaid(q: Queryable, deadline: Date, now: Date, limit: number): Promise<string[]> {
  const { rows } = await q.query<{ order_id: string }>(
    `UPDATE orders SET status = 'cancelled', cancel_reason = 'timeout', cancelled_at = $2
      WHERE order_id IN (SELECT order_id FROM orders
                          WHERE status = 'unpaid' AND created_at <= $1
                          ORDER BY created_at LIMIT $3
                          FOR UPDATE SKIP LOCKED)
        AND status = 'unpaid'
      RETURNING order_id`,
    [deadline, now, limit],
  );
  return rows.map((r) => r.order_id);
}

export interface OrderFilter {
  buyerPk?: number;
  storeId?: string;
  sellerPk?: number;
  status?: OrderStatus;
  limit: number;
  offset: number;
}

interface OrderRow {
  order_id: string;
  buyer_id: string;
  store_id: string;
  status: OrderStatus;
  cancel_reason: 'buyer' | 'timeout' | null;
  total_price: number;
  created_at: Date;
  paid_at: Date | null;
  shipped_at: Date | null;
  received_at: Date | null;
  cancelled_at: Date | null;
}

const FILTER_SQL = `
  FROM orders o
 WHERE ($1::int8 IS NULL OR o.buyer_pk = $1)
   AND ($2::text IS NULL OR o.store_id = $2)
   AND ($3::int8 IS NULL OR o.store_id IN (SELECT store_id FROM stores WHERE owner_pk = $3))
   AND ($4::text IS NULL OR o.status = $4)`;

/** One page of orders, newest first, with their lines, and the number of all matches. */
export async function listOrders(q: Queryable, f: OrderFilter): Promise<{ orders: OrderView[]; total: number }> {
  const filter = [f.buyerPk ?? null, f.storeId ?? null, f.sellerPk ?? null, f.status ?? null];
  const count = await q.query<{ n: number }>(`SELECT count(*)::int AS n ${FILTER_SQL}`, filter);
  const total = count.rows[0]?.n ?? 0;
  if (total === 0 || f.offset >= total) return { orders: [], total };
  const page = await q.query<OrderRow>(
    `SELECT o.order_id, u.user_id AS buyer_id, o.store_id, o.status, o.cancel_reason, o.total_price,
            o.created_at, o.paid_at, o.shipped_at, o.received_at, o.cancelled_at
       FROM (SELECT o.* ${FILTER_SQL} ORDER BY o.created_at DESC, o.order_id DESC LIMIT $5 OFFSET $6) o
       JOIN users u ON u.id = o.buyer_pk
      ORDER BY o.created_at DESC, o.order_id DESC`,
    [...filter, f.limit, f.offset],
  );
  const ids = page.rows.map((r) => r.order_id);
  const lines = await q.query<{ order_id: string; id: string; title: string | null; count: number; price: number }>(
    `SELECT ol.order_id, ol.book_id AS id, b.title, ol.count, ol.price
       FROM order_lines ol
       JOIN orders o ON o.order_id = ol.order_id
       LEFT JOIN books b ON b.store_id = o.store_id AND b.book_id = ol.book_id
      WHERE ol.order_id = ANY($1::uuid[])
      ORDER BY ol.order_id, ol.book_id`,
    [ids],
  );
  const byOrder = new Map<string, OrderView['books']>();
  for (const { order_id, ...line } of lines.rows) {
    const list = byOrder.get(order_id) ?? [];
    list.push(line);
    byOrder.set(order_id, list);
  }
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  const orders = page.rows.map((r) => ({
    ...r,
    created_at: r.created_at.toISOString(),
    paid_at: iso(r.paid_at),
    shipped_at: iso(r.shipped_at),
    received_at: iso(r.received_at),
    cancelled_at: iso(r.cancelled_at),
    books: byOrder.get(r.order_id) ?? [],
  }));
  return { orders, total };
}
