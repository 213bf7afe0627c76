import { AppError } from '../errors.js';
import { refusal, type OrderAction, type OrderStatus } from './order-state.js';

/**
 * Why a request was refused, precisely: the explainers (services/refusals.ts, the authenticator)
 * return one of these, and `refusalError` is the one place each is worded and given its code.
 * The codes follow the contract; the words tell the caller what happened and what to do.
 */
export type Refusal =
  | { reason: 'unknown user'; userId: string }
  | { reason: 'no token' }
  | { reason: 'malformed token' }
  | { reason: 'token not ours' }
  | { reason: 'token expired' }
  | { reason: 'token of another user' }
  /** The session is gone: its terminal logged out, or the password changed (every session ends). */
  | { reason: 'session ended' }
  | { reason: 'token replaced'; terminal: string }
  | { reason: 'wrong password' }
  /** A password verified moments ago that the database no longer accepts. */
  | { reason: 'password changed' }
  /** The statement found the credential not current, yet nothing was wrong with it a moment later. */
  | { reason: 'credential changed' }
  | { reason: 'store exists'; storeId: string }
  | { reason: 'no such store'; storeId: string }
  | { reason: 'store closed'; storeId: string }
  | { reason: "another seller's store"; storeId: string }
  | { reason: 'no such book'; storeId: string; bookId: string }
  | { reason: 'stock too low'; bookId: string; stock: number }
  | { reason: 'stock over limit'; max: number }
  | { reason: 'no such order'; orderId: string }
  | { reason: 'order not in store'; storeId: string }
  | { reason: "another buyer's order" }
  | { reason: "another seller's order" }
  | { reason: 'order state'; action: Exclude<OrderAction, 'expire'>; status: OrderStatus; cancelReason: 'buyer' | 'timeout' | null }
  | { reason: 'funds too low for order'; total: number; balance: number }
  | { reason: 'funds too low'; balance: number }
  | { reason: 'balance over limit' };

/** Throws the refusal (for use in expressions: `?? refuse(…)`). */
export function refuse(r: Refusal): never {
  throw refusalError(r);
}

const LOG_IN_AGAIN = 'log in again';

/** The code and the words of a refusal. */
export function refusalError(r: Refusal): AppError {
  switch (r.reason) {
    case 'unknown user':
      return new AppError('UNKNOWN_USER', `user ${r.userId} does not exist`);
    case 'no token':
      return new AppError('AUTH_FAILED', 'no token: send the token from /auth/login in the `token` header');
    case 'malformed token':
      return new AppError('AUTH_FAILED', 'malformed token: send the token from /auth/login unchanged');
    case 'token not ours':
      return new AppError('AUTH_FAILED', `token not issued by this server (or its secret has changed): ${LOG_IN_AGAIN}`);
    case 'token expired':
      return new AppError('AUTH_FAILED', `token expired: ${LOG_IN_AGAIN}`);
    case 'token of another user':
      return new AppError('AUTH_FAILED', 'token of another user: it must belong to the user_id of the request');
    case 'session ended':
      return new AppError('AUTH_FAILED', `token no longer valid: its terminal logged out, or the password was changed; ${LOG_IN_AGAIN}`);
    case 'token replaced':
      return new AppError('AUTH_FAILED', `token replaced by a newer login on terminal ${r.terminal}: use the newer token, or ${LOG_IN_AGAIN}`);
    case 'wrong password':
      return new AppError('AUTH_FAILED', 'wrong password');
    case 'password changed':
      return new AppError('AUTH_FAILED', 'wrong password: it has just been changed');
    case 'credential changed':
      return new AppError('AUTH_FAILED', 'the credential changed while the request ran: try again, or log in again');
    case 'store exists':
      return new AppError('STORE_EXISTS', `store ${r.storeId} already exists`);
    case 'no such store':
      return new AppError('STORE_NOT_FOUND', `store ${r.storeId} does not exist`);
    case 'store closed':
      return new AppError('STORE_NOT_FOUND', `store ${r.storeId} is closed`);
    case "another seller's store":
      return new AppError('AUTH_FAILED', `store ${r.storeId} belongs to another seller`);
    case 'no such book':
      return new AppError('BOOK_NOT_FOUND', `book ${r.bookId} is not in store ${r.storeId}`);
    case 'stock too low':
      return new AppError('STOCK_TOO_LOW', `stock level too low: book ${r.bookId} has ${r.stock}`);
    case 'stock over limit':
      return new AppError('BAD_REQUEST', `add_stock_level: stock level would exceed ${r.max}`);
    case 'no such order':
      return new AppError('INVALID_ORDER', `no such order: ${r.orderId}`);
    case 'order not in store':
      return new AppError('INVALID_ORDER', `no such order in store ${r.storeId}`);
    case "another buyer's order":
      return new AppError('INVALID_ORDER', 'not your order: it was placed by another buyer');
    case "another seller's order":
      return new AppError('AUTH_FAILED', 'not your order: it was placed in another seller\'s store');
    case 'order state':
      return orderStateError(r.action, r.status, r.cancelReason);
    case 'funds too low for order':
      return new AppError('INSUFFICIENT_FUNDS', `not sufficient funds: the order costs ${r.total}, the balance is ${r.balance}`);
    case 'funds too low':
      return new AppError('INSUFFICIENT_FUNDS', `not sufficient funds: the balance is ${r.balance}`);
    case 'balance over limit':
      return new AppError('BAD_REQUEST', 'add_value: the balance would exceed the largest amount the service holds');
  }
}

/** What the order is, seen by the action refused (receiving a paid order: it is not shipped yet). */
function orderStateWords(action: OrderAction, status: OrderStatus, cancelReason: 'buyer' | 'timeout' | null): string {
  if (status === 'cancelled') {
    return cancelReason === 'timeout' ? 'order cancelled (not paid in time)' : cancelReason === 'buyer' ? 'order cancelled (by the buyer)' : 'order cancelled';
  }
  if (action === 'receive' && status === 'paid') return 'order not shipped yet';
  return { unpaid: 'order not paid yet', paid: 'order already paid', shipped: 'order already shipped', received: 'order already received' }[status];
}

const ORDER_ACTION_WORDS: Record<Exclude<OrderAction, 'expire'>, string> = {
  pay: 'it cannot be paid',
  ship: 'it cannot be shipped',
  receive: 'its receipt cannot be confirmed',
  cancel: 'it cannot be cancelled',
};

/** An order in a state the action does not accept: the state machine's code, and what the order is. */
function orderStateError(action: Exclude<OrderAction, 'expire'>, status: OrderStatus, cancelReason: 'buyer' | 'timeout' | null): AppError {
  // The state machine knows the code, this module the words.
  return new AppError(refusal(action, status)?.code ?? 'INVALID_ORDER', `${orderStateWords(action, status, cancelReason)}: ${ORDER_ACTION_WORDS[action]}`);
}
