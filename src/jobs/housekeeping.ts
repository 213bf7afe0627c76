import type { FastifyBaseLogger } from 'fastify';
import { startPeriodicJob, type PeriodicJob } from './periodic-job.js';

export type Housekeeping = PeriodicJob<Record<string, number>>;

/**
 * Purges expired rows (sessions, idempotency records) every `intervalMs`, in the processes that
 * run the order sweeper (roles all and worker). Several such processes on one database are
 * harmless: each batch is one DELETE of rows already expired. `onPurged` counts them (metrics).
 */
export function startHousekeeping(
  purge: () => Promise<Record<string, number>>,
  intervalMs: number,
  log: FastifyBaseLogger,
  onPurged: (kind: string, rows: number) => void = () => {},
): Housekeeping {
  return startPeriodicJob(purge, intervalMs, log, {
    report: (purged) => {
      for (const [kind, rows] of Object.entries(purged)) if (rows > 0) onPurged(kind, rows);
      if (Object.values(purged).some((n) => n > 0)) log.info({ purged }, 'purged expired rows');
    },
    failure: 'housekeeping failed',
  });
}
