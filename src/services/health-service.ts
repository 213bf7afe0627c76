import { pingDatabase } from '../repositories/health-repository.js';
import type { ServiceContext } from './context.js';

export type HealthService = ReturnType<typeof createHealthService>;

/** How long readiness waits for the database before it says no. */
export const READY_TIMEOUT_MS = 2000;

export function createHealthService({ db }: Pick<ServiceContext, 'db'>) {
  let draining = false;

  /** Null when the process should get traffic; else why not. */
  async function readiness(): Promise<string | null> {
    if (draining) return 'shutting down';
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        pingDatabase(db),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer in time')), READY_TIMEOUT_MS);
        }),
      ]);
      return null;
    } catch {
      return 'database unavailable';
    } finally {
      clearTimeout(timer);
    }
  }

  /** From now on readiness says no, so load balancers move traffic away before the process stops. */
  function startDraining(): void {
    draining = true;
  }

  return { readiness, startDraining };
}
