import { transactionDatabase, type Database } from '../db/database.js';
import { AppError } from '../errors.js';
import * as keys from '../repositories/idempotency-repository.js';
import { deferFences, type ReadRouting } from './read-routing.js';

export interface IdempotentOutcome {
  status: number;
  body: unknown;
  /** The stored first response, given again. */
  replayed: boolean;
}

export interface IdempotencyService<S> {
  run(
    scope: string,
    key: string,
    requestHash: Buffer,
    write: (services: S) => Promise<unknown>,
    statusOf: (err: AppError) => number,
  ): Promise<IdempotentOutcome>;
}

/**
 * Runs a write at most once per (scope, key): the write, and the record of its response, in one
 * transaction. A repeat with the same request gets the recorded response; a different request
 * under the same key is refused (422); a repeat while the first is still running, 409. A refusal
 * (400, 401, 511–526) is recorded too, the write it refused undone; a failure of the server itself
 * records nothing, so a retry runs the write again. `servicesOn` gives the services working inside that transaction.
 */
export function createIdempotencyService<S>(
  { db, reads }: { db: Database; reads: ReadRouting },
  servicesOn: (db: Database, reads: ReadRouting) => S,
): IdempotencyService<S> {
  async function run(
    scope: string,
    key: string,
    requestHash: Buffer,
    write: (services: S) => Promise<unknown>,
    statusOf: (err: AppError) => number,
  ): Promise<IdempotentOutcome> {
    const fences = deferFences(reads);
    const outcome = await db.transaction(async (tx): Promise<IdempotentOutcome> => {
      if (!(await keys.tryLockKey(tx, scope, key))) throw new AppError('IDEMPOTENCY_BUSY');
      const first = await keys.findResponse(tx, scope, key);
      if (first !== null) {
        if (!Buffer.from(first.request_hash).equals(requestHash)) throw new AppError('IDEMPOTENCY_MISMATCH');
        return { status: first.status, body: first.response, replayed: true };
      }
      await tx.exec('SAVEPOINT idempotent_write');
      let outcome: IdempotentOutcome;
      try {
        outcome = { status: 200, body: await write(servicesOn(transactionDatabase(tx, db.kind), fences.reads)), replayed: false };
      } catch (err) {
        // The contract's refusals (4xx and 511–526) are answers to record; a failure of the server
        // itself (500, 503) is not: a retry should run the write again.
        if (!(err instanceof AppError) || err.status === 500 || err.status === 503) throw err;
        await tx.exec('ROLLBACK TO SAVEPOINT idempotent_write');
        outcome = { status: statusOf(err), body: { message: err.message }, replayed: false };
      }
      await keys.saveResponse(tx, scope, key, requestHash, outcome.status, outcome.body);
      return outcome;
    });
    await fences.flush();
    return outcome;
  }

  return { run };
}
