import type { Queryable } from '../db/database.js';
import type { Actor } from '../domain/actor.js';
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

/** The refusal for an attempt that changed nothing, or null when nothing stands in its way (any more). */
export async function explainRefusal(q: Queryable, attempt: Attempt): Promise<AppError | null> {
  const { actor } = attempt;
  const credential = actor.credential;
  const user = await findCredentialFacts(q, actor.userId, credential.kind === 'session' ? credential.terminal : null);
  const credentialRefusal = refuseCredential(actor, user);
  if (credentialRefusal) return credentialRefusal;
  const userPk = user!.id;

  if (attempt.newStoreId !== undefined && (await findStore(q, attempt.newStoreId)) !== null) {
    return new AppError('STORE_EXISTS', `store ${attempt.newStoreId} already exists`);
  }
  if (attempt.store) {
    const store = await findStore(q, attempt.store.id);
    if (store === null) return new AppError('STORE_NOT_FOUND', `store ${attempt.store.id} does not exist`);
    if (store.closed) return new AppError('STORE_NOT_FOUND', `store ${attempt.store.id} is closed`);
    if (attempt.store.as === 'owner' && store.owner_pk !== userPk) {
      return new AppError('AUTH_FAILED', `store ${attempt.store.id} belongs to another seller`);
    }
    if (attempt.books) {
      const levels = await findStockLevels(q, attempt.store.id, attempt.books.ids);
      const missing = attempt.books.ids.find((id) => !levels.has(id));
      if (missing !== undefined) return new AppError('BOOK_NOT_FOUND', `book ${missing} is not in store ${attempt.store.id}`);
      const change = attempt.books.change ?? [];
      for (const [i, id] of attempt.books.ids.entries()) {
        const after = levels.get(id)! + (change[i] ?? 0);
        if (after < 0) return new AppError('STOCK_TOO_LOW', `stock level too low: book ${id} has ${levels.get(id)}`);
        if (after > MAX_STOCK) return new AppError('BAD_REQUEST', `add_stock_level: stock level would exceed ${MAX_STOCK}`);
      }
    }
  }

  if (attempt.order) {
    const { id, action, storeId } = attempt.order;
    const order = await findOrderFacts(q, id);
    if (order === null) return new AppError('INVALID_ORDER', `no such order: ${id}`);
    // A store the caller named that is not the order's: the order is not found there.
    if (storeId != null && storeId !== order.store_id) return new AppError('INVALID_ORDER', `no such order in store ${storeId}`);
    if (action === 'ship') {
      if (order.seller_pk !== userPk) return new AppError('AUTH_FAILED', "the order is another seller's");
    } else if (order.buyer_pk !== userPk) {
      return new AppError('INVALID_ORDER', 'not your order: it was placed by another buyer');
    }
    const refused = refusal(action, order.status, order.cancel_reason);
    if (refused) return new AppError(refused.code, refused.message);
    if (action === 'pay' && user!.balance < order.total_price) {
      return new AppError('INSUFFICIENT_FUNDS', `not sufficient funds: the order costs ${order.total_price}, the balance is ${user!.balance}`);
    }
  }

  if (attempt.balanceChange !== undefined) {
    const after = user!.balance + attempt.balanceChange;
    if (after < 0) return new AppError('INSUFFICIENT_FUNDS', `not sufficient funds: the balance is ${user!.balance}`);
    if (after > MAX_BALANCE) return new AppError('BAD_REQUEST', 'add_value: the balance would exceed the largest amount the service holds');
  }
  return null;
}

/** Steps 2 and 3: the user exists, and the credential is still theirs and current. */
function refuseCredential(actor: Actor, user: CredentialFacts | null): AppError | null {
  if (user === null) return new AppError('UNKNOWN_USER', `user ${actor.userId} does not exist`);
  const c = actor.credential;
  if (c.kind === 'password') {
    return user.password_hash === c.passwordHash ? null : new AppError('AUTH_FAILED', 'the password has just been changed');
  }
  if (user.token_id === null) return new AppError('AUTH_FAILED', 'token no longer valid: logged out, or the password was changed');
  if (user.token_id !== c.tokenId) return new AppError('AUTH_FAILED', `token replaced by a newer login on terminal ${c.terminal}`);
  if (user.expired) return new AppError('AUTH_FAILED', 'token expired: log in again');
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
    if (why) throw why;
    if (i >= tries) throw new AppError('UNAVAILABLE', 'the request kept conflicting with others; try again');
  }
}
