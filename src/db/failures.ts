import { sqlState } from './database.js';

/**
 * Database failures that are not the request's fault and that a client should simply retry:
 * the database is unreachable or lost the connection, something took too long, or contention
 * outlasted the retries. They answer 503 with Retry-After instead of 500.
 */
export type DatabaseFailure = 'unavailable' | 'timeout' | 'busy';

/** Thrown by the adapters for failures that carry no SQLSTATE (connecting, a dropped socket). */
export class DatabaseFailureError extends Error {
  constructor(
    readonly failure: DatabaseFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DatabaseFailureError';
  }
}

const BY_SQLSTATE: Record<string, DatabaseFailure> = {
  '40001': 'busy', // serialization failure, after the retries
  '40P01': 'busy', // deadlock, after the retries
  '55P03': 'timeout', // lock_timeout
  '57014': 'timeout', // statement_timeout (or a cancel request)
  '25P03': 'timeout', // idle_in_transaction_session_timeout
  '57P01': 'unavailable', // admin shutdown, pg_terminate_backend
  '57P02': 'unavailable', // crash shutdown
  '57P03': 'unavailable', // starting up / shutting down
};
// Whole SQLSTATE classes: connection exceptions, insufficient resources (too many connections…).
const BY_CLASS: Record<string, DatabaseFailure> = { '08': 'unavailable', '53': 'unavailable' };

export function databaseFailure(err: unknown): DatabaseFailure | undefined {
  if (err instanceof DatabaseFailureError) return err.failure;
  const state = sqlState(err);
  if (state === undefined || !/^[0-9A-Z]{5}$/.test(state)) return undefined;
  return BY_SQLSTATE[state] ?? BY_CLASS[state.slice(0, 2)];
}

const MESSAGES: Record<DatabaseFailure, string> = {
  unavailable: 'database unavailable, try again',
  timeout: 'database did not answer in time, try again',
  busy: 'database busy, try again',
};

/** The client's view of a database failure: 503, a short reason, when to retry. */
export function databaseFailureResponse(err: unknown): { message: string; retryAfterS: number } | undefined {
  const failure = databaseFailure(err);
  return failure === undefined ? undefined : { message: MESSAGES[failure], retryAfterS: 1 };
}
