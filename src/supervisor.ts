import cluster from 'node:cluster';

/** Environment variable telling a server process started by the supervisor which one it is (0 … N-1). */
export const WORKER_INDEX_VARIABLE = 'BOOKSTORE_WORKER_INDEX';

/** A process that dies within this time of its start is crash-looping: wait longer before the next start. */
const STABLE_AFTER_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * `--workers N`: runs N server processes sharing one port (Node's cluster module: the supervisor
 * accepts connections and hands them out), restarts any that dies (sooner or later, backing off
 * when one keeps dying at start), and on SIGTERM or SIGINT passes the signal on and ends once all
 * have stopped. Each process is a whole server; they cooperate through the database.
 */
export function superviseWorkers(count: number, log: (message: string) => void): Promise<number> {
  let stopping = false;
  const delays = new Map<number, number>();

  const start = (index: number): void => {
    const startedAt = Date.now();
    const worker = cluster.fork({ [WORKER_INDEX_VARIABLE]: String(index) });
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      const delay = Date.now() - startedAt < STABLE_AFTER_MS ? Math.min((delays.get(index) ?? 500) * 2, MAX_RESTART_DELAY_MS) : 1000;
      delays.set(index, delay);
      log(`server process ${index} (pid ${worker.process.pid}) ended (${signal ?? `exit ${code}`}); starting it again in ${delay / 1000} s`);
      setTimeout(() => {
        if (!stopping) start(index);
      }, delay).unref();
    });
  };

  for (let i = 0; i < count; i++) start(i);
  log(`started ${count} server processes`);

  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: stopping ${count} server processes`);
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    cluster.on('exit', () => {
      if (stopping && Object.keys(cluster.workers ?? {}).length === 0) resolve(0);
    });
  });
}
