import type { FastifyBaseLogger } from 'fastify';

export interface PeriodicJob<T> {
  /** Runs the job now (at start, and in tests after moving the clock); joins a run in progress. */
  runOnce(): Promise<T>;
  /** No more runs; resolves once the one in progress, if any, has ended. */
  stop(): Promise<void>;
}

/**
 * Runs `work` every `intervalMs` in the background, never two runs at once; `report` sees each
 * result. The timer does not keep the process alive, and a failed run is logged, not thrown.
 */
export function startPeriodicJob<T>(
  work: () => Promise<T>,
  intervalMs: number,
  log: FastifyBaseLogger,
  { report, failure }: { report: (result: T) => void; failure: string },
): PeriodicJob<T> {
  let running: Promise<T> | null = null;
  let stopped = false;

  const runOnce = (): Promise<T> => {
    running ??= work()
      .then((result) => {
        report(result);
        return result;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };

  const timer = setInterval(() => {
    if (!stopped) runOnce().catch((err: unknown) => log.error({ err }, failure));
  }, intervalMs);
  timer.unref();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
