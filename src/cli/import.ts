import type { Actor } from '../domain/actor.js';
import type { BookInfo } from '../domain/book.js';
import type { Services } from '../services/index.js';
import { CatalogueReader } from './catalogue-reader.js';
import { ensureStore, sellerSession, writeBooks, type InvalidBook, type WriteCounts } from './catalogue-writer.js';
import { CheckpointFile, type Checkpoint } from './import-checkpoint.js';
import { CliError } from './io.js';
import { createProgress, type ProgressCounts } from './progress.js';

export interface ImportOptions {
  sellerId: string;
  storeId: string;
  /** Stock level of every imported book. */
  stock: number;
  /** Password for a seller the import creates; generated when absent. */
  password?: string;
  /** `password` hashed beforehand (see sellerSession). */
  passwordHash?: string;
  batchSize?: number;
  /** A batch also ends once its rows reach this many bytes (catalogues with very large pictures). */
  maxBatchBytes?: number;
  /** Progress (bar or lines) and warnings. */
  progressStream: NodeJS.WritableStream;
  isTTY: boolean;
  /** Folder for the file that lets an interrupted import resume; without one, every run starts at the beginning. */
  checkpointDir?: string;
  /** Names the target database in the checkpoint, so that another database never resumes from it. */
  databaseId?: string;
  /** Read the whole catalogue again even if an interrupted import left a checkpoint. */
  restart?: boolean;
  /** When aborted, the import stops after the batch in progress (resumable). */
  signal?: AbortSignal;
}

export interface ImportResult {
  total: number;
  imported: number;
  skipped: number;
  invalid: number;
  /** The first invalid books of this run (at most MAX_REPORTED_INVALID). */
  invalidBooks: InvalidBook[];
  sellerCreated: boolean;
  /** Set when the import created the seller. */
  sellerPassword: string | null;
  storeCreated: boolean;
  /** Catalogue rows an earlier, interrupted run had already done (0: started at the beginning). */
  resumedFrom: number;
  /** Stopped by the signal before the end; running again continues. */
  interrupted: boolean;
}

/** Where batches of valid books go. */
export interface BookSink {
  write(books: readonly BookInfo[], onInvalid: (book: InvalidBook) => void): Promise<WriteCounts>;
  /** Whether the store lists any of these books (checks that a checkpoint belongs to this database). */
  listsAny(bookIds: readonly string[]): Promise<boolean>;
}

/** Present when Node runs with --expose-gc. */
const gc = (globalThis as { gc?: () => void }).gc;
const GC_EVERY_BYTES = 16 * 1024 * 1024;

/** Kept in memory for the report; the counts cover the rest (a broken catalogue may have millions). */
export const MAX_REPORTED_INVALID = 100;

/** The seller's store, through the same services as HTTP add_book. */
export function storeSink(services: Services, seller: Actor, storeId: string, stock: number): BookSink {
  return {
    write: (books, onInvalid) => writeBooks(services, seller, storeId, books, stock, onInvalid),
    listsAny: async (bookIds) => (await services.stores.listedBooks(storeId, bookIds)).length > 0,
  };
}

/**
 * Imports a course catalogue into one store: creates the seller and the store when missing,
 * then lists every book with its tags and cover, indexed for search, a batch per transaction.
 * Books the store already lists are skipped, so running it again adds nothing twice; with a
 * checkpoint folder, a run after an interruption also starts where the last one stopped.
 */
export async function importCatalogue(services: Services, source: string | CatalogueReader, options: ImportOptions): Promise<ImportResult> {
  const reader = typeof source === 'string' ? CatalogueReader.open(source) : source;
  try {
    const seller = await sellerSession(services, options.sellerId, options.password, options.passwordHash);
    try {
      const storeCreated = await ensureStore(services, seller.actor, options.storeId);
      const result = await runImport(reader, storeSink(services, seller.actor, options.storeId, options.stock), options);
      return { ...result, sellerCreated: seller.created, sellerPassword: seller.password, storeCreated };
    } finally {
      await services.accounts.logout(seller.actor).catch(() => {});
    }
  } finally {
    reader.close();
  }
}

type RunResult = Omit<ImportResult, 'sellerCreated' | 'sellerPassword' | 'storeCreated'>;

/** Reads the catalogue batch by batch into the sink, keeping the checkpoint after each batch. */
export async function runImport(reader: CatalogueReader, sink: BookSink, options: ImportOptions): Promise<RunResult> {
  const out = options.progressStream;
  const checkpointFile =
    options.checkpointDir === undefined
      ? null
      : new CheckpointFile(options.checkpointDir, { catalogue: reader.realPath, database: options.databaseId ?? '', store: options.storeId });
  let checkpoint = checkpointFile && !options.restart ? checkpointFile.load() : null;
  if (checkpoint && (checkpoint.catalogue.size !== reader.size || checkpoint.catalogue.mtimeMs !== reader.mtimeMs)) {
    out.write(`import: ${reader.file} changed since the interrupted import; reading it from the beginning\n`);
    checkpoint = null;
  }
  if (checkpoint && checkpoint.witnesses.length > 0 && !(await sink.listsAny(checkpoint.witnesses))) {
    out.write(`import: the store does not have the books an earlier, interrupted import wrote; reading ${reader.file} from the beginning\n`);
    checkpoint = null;
  }

  const afterRowid = checkpoint?.lastRowid ?? 0;
  const { total, remaining } = reader.count(afterRowid);
  const counts: ProgressCounts = {
    done: checkpoint ? total - remaining : 0,
    total,
    imported: checkpoint?.imported ?? 0,
    skipped: checkpoint?.skipped ?? 0,
    invalid: checkpoint?.invalid ?? 0,
    bytes: 0,
  };
  const resumedFrom = counts.done;
  if (checkpoint) {
    out.write(`import: resuming an interrupted import after book ${resumedFrom} of ${total} (--restart reads the whole file again)\n`);
  }
  let witnesses = checkpoint?.witnesses ?? [];

  const invalidBooks: InvalidBook[] = [];
  const onInvalid = (b: InvalidBook) => {
    if (invalidBooks.length < MAX_REPORTED_INVALID) invalidBooks.push(b);
    if (!options.isTTY) out.write(`import: book "${b.id.slice(0, 80)}" not imported: ${b.reason}\n`);
  };
  const progress = createProgress(out, options.isTTY, 'import', { startDone: resumedFrom });
  progress.update(counts);

  let interrupted = false;
  let bytesSinceGc = 0;
  for (const batch of reader.batches({ afterRowid, batchSize: options.batchSize ?? 50, ...(options.maxBatchBytes ? { maxBatchBytes: options.maxBatchBytes } : {}) })) {
    for (const bad of batch.invalid) onInvalid(bad);
    const refused: InvalidBook[] = [];
    const written =
      batch.books.length > 0 ? await sink.write(batch.books, (b) => (refused.push(b), onInvalid(b))) : { imported: 0, skipped: 0, invalid: 0 };
    // Every book of a batch refused one by one is the database failing (gone, full, read-only),
    // not the books: stop before the checkpoint moves past them.
    if (batch.books.length > 1 && written.invalid === batch.books.length) {
      throw new CliError(`the database refused every book of a batch (${refused[0]?.reason ?? 'no reason given'}); stopped, run again to continue`);
    }
    counts.done += batch.rows;
    counts.bytes! += batch.bytes;
    counts.imported += written.imported;
    counts.skipped += written.skipped;
    counts.invalid += batch.invalid.length + written.invalid;
    if (written.imported + written.skipped > 0) witnesses = batch.books.slice(-10).map((b) => b.id);
    const saved: Checkpoint = {
      catalogue: { path: reader.realPath, size: reader.size, mtimeMs: reader.mtimeMs },
      database: options.databaseId ?? '',
      store: options.storeId,
      lastRowid: batch.lastRowid,
      done: counts.done,
      imported: counts.imported,
      skipped: counts.skipped,
      invalid: counts.invalid,
      witnesses,
    };
    checkpointFile?.save(saved);
    progress.update(counts);
    // The command runs with --expose-gc (bin/bookstore.js): a full collection every 16 MiB read
    // frees the copies of the covers written since, which V8 would otherwise let pile up in the
    // old generation (1 GB embedded import: peak RSS 321 → 272 MB for no measurable CPU; after
    // every 4 MiB batch instead, 231 MB for 40% more CPU).
    bytesSinceGc += batch.bytes;
    if (gc && bytesSinceGc >= GC_EVERY_BYTES) {
      gc();
      bytesSinceGc = 0;
    }
    // The embedded database answers without real I/O, so a whole import could run as one chain
    // of resolved promises: signals (Ctrl-C) and timers would wait for its end. Let them in.
    await new Promise((resolve) => setImmediate(resolve));
    if (options.signal?.aborted && counts.done < total) {
      interrupted = true;
      break;
    }
  }
  if (interrupted) {
    if (options.isTTY) out.write('\n');
  } else {
    progress.finish(counts);
    checkpointFile?.remove();
  }
  return {
    total,
    imported: counts.imported,
    skipped: counts.skipped,
    invalid: counts.invalid,
    invalidBooks,
    resumedFrom,
    interrupted,
  };
}
