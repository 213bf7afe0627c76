import type { Queryable } from '../db/database.js';
import type { Actor } from '../domain/actor.js';
import { refuse, refusalError } from '../domain/messages.js';
import { isOrderId, type OrderPage } from '../domain/order.js';
import { pageOf, type PageRequest } from '../domain/paging.js';
import type { OrderAction, OrderStatus } from '../domain/order-state.js';
import { fail } from '../errors.js';
import * as orders from '../repositories/orders-repository.js';
import * as stores from '../repositories/stores-repository.js';
import * as users from '../repositories/users-repository.js';
import type { ServiceContext } from './context.js';
import { fenceKey } from './read-routing.js';
import { attemptWrite, refusalOf } from './refusals.js';

export interface OrderLineInput {
  id: string;
  count: number;
}

export interface OrderQuery extends PageRequest {
  status?: OrderStatus | null;
}

/** The books of an order and their counts, the same book's lines added up (as place_order does). */
function totals(lines: readonly OrderLineInput[]): { ids: string[]; counts: number[] } {
  const merged = new Map<string, number>();
  for (const { id, count } of lines) merged.set(id, (merged.get(id) ?? 0) + count);
  return { ids: [...merged.keys()], counts: [...merged.values()] };
}

export type OrderService = ReturnType<typeof createOrderService>;

export function createOrderService(ctx: ServiceContext) {
  const { db, settings, events, reads } = ctx;

  /**
   * Reserves stock for every line (all or none) and creates an unpaid order: one statement that
   * also re-checks the buyer's session. Only a refusal costs further queries, to say why.
   */
  async function placeOrder(actor: Actor, storeId: string, lines: readonly OrderLineInput[]): Promise<string> {
    const orderId = ctx.ids.newId();
    const bookIds = lines.map((l) => l.id);
    const counts = lines.map((l) => l.count);
    const { ids, counts: wanted } = totals(lines);
    await attemptWrite(
      db,
      async () => {
        const placed = await orders.placeOrder(db, { orderId, actor, storeId, bookIds, counts, timeoutS: settings.orderTimeoutS });
        if (placed === 'too large') fail('BAD_REQUEST', 'books: the counts or the order total are too large');
        return placed === 'placed' ? true : null;
      },
      { actor, store: { id: storeId, as: 'customer' }, books: { ids, change: wanted.map((n) => -n) } },
    );
    events.created();
    if (reads.hasReplica) await reads.recordWrite([fenceKey.user(actor.userId), fenceKey.store(storeId)]);
    return orderId;
  }

  /**
   * Applies one transition of the state machine (payment included) as one statement; a refusal
   * is explained in the contract's order.
   */
  async function transition(action: Exclude<OrderAction, 'expire'>, actor: Actor, orderId: string, storeId: string | null = null) {
    if (!isOrderId(orderId)) {
      // Names no order; but an unknown user or a bad credential still answer first.
      throw (await refusalOf(db, { actor })) ?? refusalError({ reason: 'no such order', orderId });
    }
    const order = await attemptWrite(db, () => orders.transitionOrder(db, action, orderId, actor, storeId), {
      actor,
      order: { id: orderId, action, storeId },
    });
    // Both parties see it: the buyer in their orders, the seller in the store's.
    if (reads.hasReplica) await reads.recordWrite([fenceKey.user(order.buyer_id), fenceKey.user(actor.userId), fenceKey.store(order.store_id)]);
  }

  /** The order's total moves from the buyer's balance into escrow. */
  async function payOrder(actor: Actor, orderId: string): Promise<void> {
    await transition('pay', actor, orderId);
    events.paid();
  }

  async function shipOrder(actor: Actor, orderId: string, storeId: string | null = null): Promise<void> {
    await transition('ship', actor, orderId, storeId);
    events.shipped();
  }

  /** The escrowed payment reaches the seller when the buyer confirms receipt. */
  async function receiveOrder(actor: Actor, orderId: string): Promise<void> {
    await transition('receive', actor, orderId);
    events.received();
  }

  /** Cancels an unpaid or paid order: stock returns to the store, a payment to the buyer. */
  async function cancelOrder(actor: Actor, orderId: string): Promise<void> {
    await transition('cancel', actor, orderId);
    events.cancelled('buyer');
  }

  /** Cancels unpaid orders past their deadline and restocks them; returns how many it cancelled. */
  async function cancelExpiredOrders(batchSize = 500): Promise<number> {
    let cancelled = 0;
    for (;;) {
      const n = await orders.expireOrders(db, batchSize);
      cancelled += n;
      if (n < batchSize) break;
    }
    if (cancelled > 0) events.cancelled('timeout', cancelled);
    return cancelled;
  }

  /** The caller's id, once their credential is checked (always on the primary). */
  async function caller(q: Queryable, actor: Actor): Promise<number> {
    const pk = await users.lockActor(q, actor);
    if (pk !== null) return pk;
    throw (await refusalOf(q, { actor })) ?? refusalError({ reason: 'credential changed' });
  }

  /** The caller's orders as buyer, newest first (read from a replica once it has their writes). */
  async function listBuyerOrders(actor: Actor, query: OrderQuery): Promise<OrderPage> {
    const { limit, offset, ...page } = pageOf(query);
    const buyerPk = await caller(db, actor);
    const source = await reads.forReader([fenceKey.user(actor.userId)]);
    return { ...(await orders.listOrders(source, { buyerPk, status: query.status ?? undefined, limit, offset })), ...page };
  }

  /** Orders of the caller's stores (or one of them), newest first. */
  async function listSellerOrders(actor: Actor, storeId: string | null, query: OrderQuery): Promise<OrderPage> {
    const { limit, offset, ...page } = pageOf(query);
    const sellerPk = await caller(db, actor);
    if (storeId !== null) {
      const store = (await stores.findStore(db, storeId)) ?? refuse({ reason: 'no such store', storeId });
      if (store.owner_pk !== sellerPk) refuse({ reason: "another seller's store", storeId });
    }
    const source =
      storeId !== null
        ? await reads.forReader([fenceKey.user(actor.userId), fenceKey.store(storeId)])
        : await reads.forReader([fenceKey.user(actor.userId)], sellerPk);
    const scope = storeId !== null ? { storeId } : { sellerPk };
    return { ...(await orders.listOrders(source, { ...scope, status: query.status ?? undefined, limit, offset })), ...page };
  }

  return { placeOrder, payOrder, shipOrder, receiveOrder, cancelOrder, cancelExpiredOrders, listBuyerOrders, listSellerOrders };
}
