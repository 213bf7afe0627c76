import type { Database, Queryable } from '../db/database.js';
import * as fences from '../repositories/read-fences-repository.js';

/** A WAL position ("16/B374D848") as a number, to compare two. */
function lsnValue(lsn: string): bigint {
  const [high = '0', low = '0'] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

/** How long a replica's replay position is reused before it is asked again. */
const POSITION_TTL_MS = 20;

/** What a write changed, or a read depends on: a user's account and orders, a store's, the catalogue. */
export const fenceKey = {
  user: (userId: string) => `user:${userId}`,
  store: (storeId: string) => `store:${storeId}`,
  catalogue: 'catalogue',
};

export interface ReadRouting {
  /**
   * Where a read goes: the replica once it has replayed every write fenced under these keys (and,
   * given a seller, under their stores'); otherwise the primary.
   */
  forReader(keys: readonly string[], storesOfOwner?: number | null): Promise<Queryable>;
  /** After a write has committed: fences the keys of what it changed (with a replica only). */
  recordWrite(keys: readonly string[]): Promise<void>;
  /** Whether reads may go to a replica at all. */
  readonly hasReplica: boolean;
  /** The replica's lag (null without a replica or when it cannot be read). */
  lag(): Promise<{ seconds: number | null; bytes: number | null } | null>;
}

/**
 * For work inside a transaction that commits later (an Idempotency-Key request): its fences are
 * kept, and recorded by `flush` once that transaction has committed — a fence recorded before the
 * commit could let a reader past it too early.
 */
export function deferFences(reads: ReadRouting): { reads: ReadRouting; flush(): Promise<void> } {
  const pending = new Set<string>();
  return {
    reads: { ...reads, forReader: reads.forReader, lag: reads.lag, recordWrite: async (keys) => void keys.forEach((k) => pending.add(k)) },
    flush: async () => {
      if (pending.size > 0) await reads.recordWrite([...pending]);
    },
  };
}

/**
 * Read-your-writes with a streaming replica: each write records the primary's WAL position under
 * the keys of what it changed (read_fences: both parties of an order, its store, the catalogue),
 * and a read goes to the replica only once it has replayed past the fences of what the reader
 * depends on (their own account, a seller's stores, the catalogue for searches); otherwise, and
 * whenever the replica cannot answer, to the primary. Without a replica every read is the primary's.
 */
export function createReadRouting(primary: Database, replica: Database | null): ReadRouting {
  if (replica === null) {
    return { forReader: async () => primary, recordWrite: async () => {}, hasReplica: false, lag: async () => null };
  }
  let position: { lsn: bigint | null; at: number } = { lsn: null, at: 0 };

  async function replayed(): Promise<bigint | null> {
    if (Date.now() - position.at > POSITION_TTL_MS) {
      const lsn = await fences.replayPosition(replica!);
      position = { lsn: lsn === null ? null : lsnValue(lsn), at: Date.now() };
    }
    return position.lsn;
  }

  return {
    hasReplica: true,
    async forReader(keys, storesOfOwner = null) {
      try {
        const fence = await fences.latestFence(primary, keys, storesOfOwner);
        const at = await replayed();
        if (at === null) return primary; // not a standby (or not replaying): never trust it
        return fence === null || at >= lsnValue(fence) ? replica! : primary;
      } catch {
        return primary;
      }
    },
    recordWrite: (keys) => fences.recordFences(primary, keys),
    async lag() {
      try {
        const [seconds, replayedAt, current] = await Promise.all([
          fences.replayDelaySeconds(replica!),
          fences.replayPosition(replica!),
          fences.currentPosition(primary),
        ]);
        const bytes = replayedAt === null ? null : Math.max(0, Number(lsnValue(current) - lsnValue(replayedAt)));
        return { seconds, bytes };
      } catch {
        return { seconds: null, bytes: null };
      }
    },
  };
}
