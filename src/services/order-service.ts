import { effectiveStatus, refusal, type OrderAction, type OrderStatus } from '../domain/order-state.js';
import { AppError, fail } from '../errors.js';
import * as books from '../repositories/books-repository.js';
import * as orders from '../repositories/orders-repository.js';
import type { LockedOrder } from '../repositories/orders-repository.js';
import * as users from '../repositories/users-repository.js';
import { sqlState, type Queryable } from '../db/database.js';
import type { VerifiedCredential } from '../security/passwords.js';
import type { AccountService } from './account-service.js';
import { isUuid, type ServiceContext } from './context.js';
import type { createStoreService } from './store-service.js';

export interface OrderLineInput {
  id: string;
  count: number;
}

export interface OrderQuery {
  status?: OrderStatus | null;
  page?: number | null;
  page_size?: number | null;
}

/** Same book twice in one order adds up; lines sorted by id so stock rows lock in a fixed order. */
export function mergeLines(lines: readonly OrderLineInput[]): { ids: string[]; counts: number[] } {
  const merged = new Map<string, number>();
  for (const { id, count } of lines) merged.set(id, (merged.get(id) ?? 0) + count);
  const ids = [...merged.keys()].sort();
  const counts = ids.map((id) => merged.get(id)!);
  if (counts.some((c) => c > 2_147_483_647)) fail('BAD_REQUEST', 'books: count too large');
  return { ids, counts };
}

export type OrderService = ReturnType<typeof createOrderService>;

export function createOrderService(
  ctx: ServiceContext,
  accounts: AccountService,
  storesService: Pick<ReturnType<typeof createStoreService>, 'assertOwnStore'>,
) {
  const { db, clock, settings } = ctx;
  const deadlineFor = (now: Date) => new Date(now.getTime() - settings.orderTimeoutS * 1000);

  /**
   * Reserves stock for every line (all or none) and creates an unpaid order. The common case is
   * one statement that also checks the session; only a refusal costs further queries, to tell
   * the caller exactly why.
   */
  async function placeOrder(userId: string, token: string | undefined, storeId: string, lines: OrderLineInput[]) {
    const { ids, counts } = mergeLines(lines);
    const orderId = ctx.ids.newId();
    const attempt = async (session: { terminal: string; tokenId: string }) => {
      try {
        return await orders.placeOrder(db, { orderId, buyerId: userId, ...session, storeId, now: clock.now(), bookIds: ids, counts });
      } catch (err) {
        // The total is out of range (total_price check, or bigint overflow).
        if (sqlState(err) === '23514' || sqlState(err) === '22003') fail('BAD_REQUEST', 'books: order total too large');
        throw err;
      }
    };
    const claimed = accounts.claimedSession(userId, token);
    let result = claimed ? await attempt(claimed) : null;
    if (!result?.authorized) {
      result = await attempt(await accounts.authenticateByToken(userId, token, 'BUYER_NOT_FOUND'));
      if (!result.authorized) fail('AUTH_FAILED'); // the session ended in between
    }
    if (!result.created) await explainReservationFailure(db, storeId, ids);
    return orderId;
  }

  /** Why a reservation failed, in the contract's order: store, then book, then stock. */
  async function explainReservationFailure(tx: Queryable, storeId: string, ids: string[]): Promise<never> {
    const levels = await books.findStockLevels(tx, storeId, ids);
    if (levels.size === 0 && (await storeMissing(tx, storeId))) fail('STORE_NOT_FOUND');
    if (ids.some((id) => !levels.has(id))) fail('BOOK_NOT_FOUND');
    fail('STOCK_TOO_LOW');
  }

  async function storeMissing(tx: Queryable, storeId: string): Promise<boolean> {
    const { rows } = await tx.query('SELECT 1 FROM stores WHERE store_id = $1', [storeId]);
    return rows.length === 0;
  }

  /**
   * Moves the order's total from the buyer's balance into escrow. With a recently verified
   * password this is one statement (which re-checks the password hash); otherwise the password
   * is verified first.
   */
  async function payOrder(userId: string, password: string, orderId: string): Promise<void> {
    const now = clock.now();
    const pay = (buyer: VerifiedCredential) => orders.payOrder(db, orderId, buyer, now, deadlineFor(now));
    const remembered = isUuid(orderId) ? ctx.passwords.recall(userId, password) : undefined;
    let result = remembered ? await pay(remembered) : null;
    if (!result?.authorized) {
      if (remembered) ctx.passwords.forget(userId, password);
      const user = await accounts.authenticateByPassword(userId, password, 'BUYER_NOT_FOUND');
      if (!isUuid(orderId)) fail('INVALID_ORDER');
      result = await pay({ userPk: user.id, passwordHash: user.password_hash });
      if (!result.authorized) fail('AUTH_FAILED'); // the password changed in between
    }
    if (result.total === null) fail('INVALID_ORDER');
    if (!result.paid) fail('INSUFFICIENT_FUNDS');
  }

  /**
   * The shared shape of ship, receive and cancel: lock the order, check who may act, check the
   * state machine, apply the transition guarded by the state just read, then its money/stock effects.
   */
  async function changeOrder(
    orderId: string,
    action: OrderAction,
    authorize: (order: LockedOrder) => void,
    effects: (tx: Queryable, order: LockedOrder) => Promise<void>,
    cancelReason: 'buyer' | null = null,
  ): Promise<void> {
    if (!isUuid(orderId)) fail('INVALID_ORDER');
    await db.transaction(async (tx) => {
      const order = (await orders.lockOrder(tx, orderId)) ?? fail('INVALID_ORDER');
      authorize(order);
      const now = clock.now();
      const refused = refusal(action, effectiveStatus(order.status, order.created_at, now, settings.orderTimeoutS));
      if (refused) fail(refused);
      if (!(await orders.transitionOrder(tx, orderId, action, order.status, now, cancelReason))) {
        throw new AppError('INTERNAL', `order ${orderId} changed under its lock`);
      }
      await effects(tx, order);
    });
  }

  async function shipOrder(userId: string, token: string | undefined, orderId: string, storeId?: string | null) {
    const { userPk } = await accounts.authenticateByToken(userId, token, 'USER_NOT_FOUND');
    await changeOrder(
      orderId,
      'ship',
      (order) => {
        if (storeId != null && storeId !== order.store_id) fail('INVALID_ORDER');
        if (order.seller_pk !== userPk) fail('AUTH_FAILED', 'order belongs to another seller');
      },
      async () => {},
    );
  }

  /** The escrowed payment reaches the seller when the buyer confirms receipt. */
  async function receiveOrder(userId: string, token: string | undefined, orderId: string) {
    const { userPk } = await accounts.authenticateByToken(userId, token, 'AUTH_FAILED');
    await changeOrder(
      orderId,
      'receive',
      (order) => {
        if (order.buyer_pk !== userPk) fail('INVALID_ORDER');
      },
      async (tx, order) => {
        if (!(await users.changeBalance(tx, order.seller_pk, order.total_price))) {
          throw new AppError('INTERNAL', 'seller balance out of range');
        }
      },
    );
  }

  /** Cancels an unpaid or paid order: stock returns to the store, a payment to the buyer. */
  async function cancelOrder(userId: string, password: string, orderId: string) {
    const user = await accounts.authenticateByPassword(userId, password, 'BUYER_NOT_FOUND');
    await changeOrder(
      orderId,
      'cancel',
      (order) => {
        if (order.buyer_pk !== user.id) fail('INVALID_ORDER');
      },
      async (tx, order) => {
        await books.restockOrders(tx, [order.order_id]);
        if (order.status === 'paid' && !(await users.changeBalance(tx, order.buyer_pk, order.total_price))) {
          throw new AppError('INTERNAL', 'buyer balance out of range');
        }
      },
      'buyer',
    );
  }

  /** Cancels unpaid orders past the timeout and restocks them; returns how many it cancelled. */
  async function cancelExpiredOrders(batchSize = 500): Promise<number> {
    let cancelled = 0;
    for (;;) {
      const now = clock.now();
      const ids = await db.transaction(async (tx) => {
        const expired = await orders.cancelExpiredUnpaid(tx, deadlineFor(now), now, batchSize);
        if (expired.length > 0) await books.restockOrders(tx, expired);
        return expired;
      });
      cancelled += ids.length;
      if (ids.length < batchSize) return cancelled;
    }
  }

  function pageOf(query: OrderQuery) {
    const page = query.page ?? 1;
    const pageSize = query.page_size ?? 20;
    return { page, pageSize, limit: pageSize, offset: (page - 1) * pageSize };
  }

  async function listBuyerOrders(userId: string, password: string, query: OrderQuery) {
    const user = await accounts.authenticateByPassword(userId, password, 'AUTH_FAILED');
    const { page, pageSize, limit, offset } = pageOf(query);
    const result = await orders.listOrders(db, { buyerPk: user.id, status: query.status ?? undefined, limit, offset });
    return { ...result, page, page_size: pageSize };
  }

  async function listSellerOrders(userId: string, token: string | undefined, storeId: string | null | undefined, query: OrderQuery) {
    const { userPk } = await accounts.authenticateByToken(userId, token, 'USER_NOT_FOUND');
    if (storeId != null) await storesService.assertOwnStore(db, storeId, userPk);
    const { page, pageSize, limit, offset } = pageOf(query);
    const result = await orders.listOrders(db, {
      ...(storeId != null ? { storeId } : { sellerPk: userPk }),
      status: query.status ?? undefined,
      limit,
      offset,
    });
    return { ...result, page, page_size: pageSize };
  }

  return { placeOrder, payOrder, shipOrder, receiveOrder, cancelOrder, cancelExpiredOrders, listBuyerOrders, listSellerOrders };
}
