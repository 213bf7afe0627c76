import type { FastifyBaseLogger } from 'fastify';

export interface OrderSweeper {
  /** Runs one sweep now (tests call this after moving the clock). */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Cancels unpaid orders past their timeout, in the background, every `intervalMs`. Each server
 * process runs one; the guarded, SKIP LOCKED statement makes them cooperate on one database.
 */
export function startOrderSweeper(
  cancelExpiredOrders: () => Promise<number>,
  intervalMs: number,
  log: FastifyBaseLogger,
): OrderSweeper {
  let running: Promise<number> | null = null;
  let stopped = false;

  const runOnce = (): Promise<number> => {
    running ??= cancelExpiredOrders()
      .then((n) => {
        if (n > 0) log.info({ cancelled: n }, 'cancelled unpaid orders past their timeout');
        return n;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };

  const timer = setInterval(() => {
    if (!stopped) runOnce().catch((err: unknown) => log.error({ err }, 'order sweep failed'));
  }, intervalMs);
  timer.unref();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => 0);
    },
  };
}
