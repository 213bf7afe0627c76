import type { Queryable } from '../db/database.js';
import type { Actor } from '../domain/actor.js';
import { refusalError, type Refusal } from '../domain/messages.js';
import { refusal, type OrderAction } from '../domain/order-state.js';
import { AppError } from '../errors.js';
import { findStockLevels, MAX_STOCK } from '../repositories/books-repository.js';
import { findOrderFacts } from '../repositories/orders-repository.js';
import { findStore } from '../repositories/stores-repository.js';
import { findCredentialFacts, MAX_BALANCE, type CredentialFacts } from '../repositories/users-repository.js';

/**
 * What a refused write was about. Writes are single guarded statements that either act or
 * change nothing; when one changes nothing, this says why — in the contract's order ("which code
 * wins", API.md): the user, the credential, the store and its owner, the books and their stock,
 * the order and its state, the money. Only refusals pay for these queries.
 */
export interface Attempt {
  actor: Actor;
  /** A store the actor wants to open (its id must be free). */
  newStoreId?: string;
  /** A store the actor acts in: as its owner, or as a customer (it must exist and be open). */
  store?: { id: string; as: 'owner' | 'customer' };
  /** Books of that store and, when stock is taken or added, the change per book. */
  books?: { ids: readonly string[]; change?: readonly number[] };
  /** An order and what the actor tried to do with it; `storeId` when the caller named the store. */
  order?: { id: string; action: Exclude<OrderAction, 'expire'>; storeId?: string | null };
  /** A change of the actor's own balance. */
  balanceChange?: number;
}

/** Why an attempt changed nothing, precisely (worded in domain/messages.ts), or null when nothing stands in its way (any more). */
export async function explainRefusal(q: Queryable, attempt: Attempt): Promise<Refusal | null> {
  const { actor } = attempt;
  const credential = actor.credential;
  const user = await findCredentialFacts(q, actor.userId, credential.kind === 'session' ? credential.terminal : null);
  const credentialRefusal = refuseCredential(actor, user);
  if (credentialRefusal) return credentialRefusal;
  const userPk = user!.id;

  if (attempt.newStoreId !== undefined && (await findStore(q, attempt.newStoreId)) !== null) {
    return { reason: 'store exists', storeId: attempt.newStoreId };
  }
  if (attempt.store) {
    const storeId = attempt.store.id;
    const store = await findStore(q, storeId);
    if (store === null) return { reason: 'no such store', storeId };
    if (store.closed) return { reason: 'store closed', storeId };
    if (attempt.store.as === 'owner' && store.owner_pk !== userPk) return { reason: "another seller's store", storeId };
    if (attempt.books) {
      const levels = await findStockLevels(q, storeId, attempt.books.ids);
      const missing = attempt.books.ids.find((id) => !levels.has(id));
      if (missing !== undefined) return { reason: 'no such book', storeId, bookId: missing };
      const change = attempt.books.change ?? [];
      for (const [i, id] of attempt.books.ids.entries()) {
        const after = levels.get(id)! + (change[i] ?? 0);
        if (after < 0) return { reason: 'stock too low', bookId: id, stock: levels.get(id)! };
        if (after > MAX_STOCK) return { reason: 'stock over limit', max: MAX_STOCK };
      }
    }
  }

  if (attempt.order) {
    const { id, action, storeId } = attempt.order;
    const order = await findOrderFacts(q, id);
    if (order === null) return { reason: 'no such order', orderId: id };
    // A store the caller named that is not the order's: the order is not found there.
    if (storeId != null && storeId !== order.store_id) return { reason: 'order not in store', storeId };
    if (action === 'ship') {
      if (order.seller_pk !== userPk) return { reason: "another seller's order" };
    } else if (order.buyer_pk !== userPk) {
      return { reason: "another buyer's order" };
    }
    if (refusal(action, order.status)) return { reason: 'order state', action, status: order.status, cancelReason: order.cancel_reason };
    if (action === 'pay' && user!.balance < order.total_price) {
      return { reason: 'funds too low for order', total: order.total_price, balance: user!.balance };
    }
  }

  if (attempt.balanceChange !== undefined) {
    const after = user!.balance + attempt.balanceChange;
    if (after < 0) return { reason: 'funds too low', balance: user!.balance };
    if (after > MAX_BALANCE) return { reason: 'balance over limit' };
  }
  return null;
}

/** The refusal of an attempt as the error to throw, or null (see explainRefusal). */
export async function refusalOf(q: Queryable, attempt: Attempt): Promise<AppError | null> {
  const why = await explainRefusal(q, attempt);
  return why === null ? null : refusalError(why);
}

/** Steps 2 and 3: the user exists, and the credential is still theirs and current. */
function refuseCredential(actor: Actor, user: CredentialFacts | null): Refusal | null {
  if (user === null) return { reason: 'unknown user', userId: actor.userId };
  const c = actor.credential;
  if (c.kind === 'password') return user.password_hash === c.passwordHash ? null : { reason: 'password changed' };
  if (user.token_id === null) return { reason: 'session ended' };
  if (user.token_id !== c.tokenId) return { reason: 'token replaced', terminal: c.terminal };
  if (user.expired) return { reason: 'token expired' };
  return null;
}

/**
 * Runs a guarded write, and when it changes nothing, throws the reason. Should nothing stand in
 * its way by the time the reason is looked for (the state changed in between), the write is tried
 * again, a few times.
 */
export async function attemptWrite<T>(
  q: Queryable,
  write: () => Promise<T | null>,
  attempt: Attempt,
  tries = 3,
): Promise<T> {
  for (let i = 1; ; i++) {
    const result = await write();
    if (result !== null) return result;
    const why = await explainRefusal(q, attempt);
    if (why) throw refusalError(why);
    if (i >= tries) throw new AppError('UNAVAILABLE', 'the request kept conflicting with others; try again');
  }
}
