import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Where an interrupted import stopped: the last catalogue rowid whose batch was committed, for one
 * (catalogue file, database, store). Kept in a small JSON file in the data folder, written after
 * each committed batch, removed when the import completes. A re-run reads it and starts after
 * that rowid; books are never written twice anyway (already-listed books are skipped), so a
 * checkpoint one batch behind (a kill between commit and save) only costs re-reading one batch.
 */
export interface Checkpoint {
  /** The catalogue as it was: a file changed since is imported from the start. */
  catalogue: { path: string; size: number; mtimeMs: number };
  database: string;
  store: string;
  lastRowid: number;
  /** Catalogue rows read so far and what became of them, for progress and the final summary. */
  done: number;
  imported: number;
  skipped: number;
  invalid: number;
  /**
   * Ids of valid books of the last committed batch: on resume, one of them must be listed in the
   * store, otherwise the database is not the one the checkpoint was written for (recreated,
   * restored from a backup, …) and the import starts from the beginning.
   */
  witnesses: string[];
}

export interface CheckpointKey {
  catalogue: string;
  database: string;
  store: string;
}

export class CheckpointFile {
  readonly path: string;
  private readonly key: CheckpointKey;

  constructor(dir: string, key: CheckpointKey) {
    this.key = key;
    const hash = createHash('sha256').update(JSON.stringify([key.catalogue, key.database, key.store])).digest('hex').slice(0, 24);
    this.path = path.join(dir, `import-${hash}.json`);
  }

  /** The saved checkpoint for this key, or null (none, unreadable, or for another file/store/database). */
  load(): Checkpoint | null {
    let parsed: Checkpoint;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8')) as Checkpoint;
    } catch {
      return null;
    }
    const ok =
      parsed !== null &&
      typeof parsed === 'object' &&
      parsed.catalogue?.path === this.key.catalogue &&
      parsed.database === this.key.database &&
      parsed.store === this.key.store &&
      Number.isSafeInteger(parsed.lastRowid) &&
      Array.isArray(parsed.witnesses);
    return ok ? parsed : null;
  }

  /** Written to a temporary file and renamed over the old one: a crash leaves one or the other, whole. */
  save(checkpoint: Checkpoint): void {
    mkdirSync(path.dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(checkpoint));
    renameSync(temporary, this.path);
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}
