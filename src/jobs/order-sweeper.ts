import type { FastifyBaseLogger } from 'fastify';
import { startPeriodicJob, type PeriodicJob } from './periodic-job.js';

export type OrderSweeper = PeriodicJob<number>;

/**
 * Cancels unpaid orders past their timeout, in the background, every `intervalMs`. Each server
 * process runs one; the guarded, SKIP LOCKED statement makes them cooperate on one database.
 */
export function startOrderSweeper(
  cancelExpiredOrders: () => Promise<number>,
  intervalMs: number,
  log: FastifyBaseLogger,
): OrderSweeper {
  return startPeriodicJob(cancelExpiredOrders, intervalMs, log, {
    report: (n) => {
      if (n > 0) log.info({ cancelled: n }, 'cancelled unpaid orders past their timeout');
    },
    failure: 'order sweep failed',
  });
}
