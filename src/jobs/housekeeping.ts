import type { FastifyBaseLogger } from 'fastify';

export interface Housekeeping {
  /** Runs one purge now (at start, and in tests). */
  runOnce(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

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
  let running: Promise<Record<string, number>> | null = null;
  let stopped = false;

  const runOnce = (): Promise<Record<string, number>> => {
    running ??= purge()
      .then((purged) => {
        for (const [kind, rows] of Object.entries(purged)) if (rows > 0) onPurged(kind, rows);
        if (Object.values(purged).some((n) => n > 0)) log.info({ purged }, 'purged expired rows');
        return purged;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };

  const timer = setInterval(() => {
    if (!stopped) runOnce().catch((err: unknown) => log.error({ err }, 'housekeeping failed'));
  }, intervalMs);
  timer.unref();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => ({}));
    },
  };
}
