import { readFileSync, statSync } from 'node:fs';
import initSqlJs from 'sql.js';
import type { BookInfo } from '../domain/book.js';
import type { Services } from '../services/index.js';
import { ensureStore, sellerSession, writeBooks, type InvalidBook } from './catalogue-writer.js';
import { CliError } from './io.js';
import { createProgress, type ProgressCounts } from './progress.js';

/** The course catalogue format (data/README.md): one table `book`, tags newline-separated, one cover BLOB. */
const TEXT_COLUMNS = [
  'title', 'author', 'publisher', 'original_title', 'translator', 'pub_year', 'currency_unit', 'binding', 'isbn',
  'author_intro', 'book_intro', 'content',
] as const;
const INTEGER_COLUMNS = ['pages', 'price'] as const;
const KNOWN_COLUMNS = new Set<string>(['id', ...TEXT_COLUMNS, ...INTEGER_COLUMNS, 'tags', 'picture']);

export interface ImportOptions {
  sellerId: string;
  storeId: string;
  /** Stock level of every imported book. */
  stock: number;
  /** Password for a seller the import creates; generated when absent. */
  password?: string;
  batchSize?: number;
  /** Progress (bar or lines) and warnings. */
  progressStream: NodeJS.WritableStream;
  isTTY: boolean;
}

export interface ImportResult {
  total: number;
  imported: number;
  skipped: number;
  invalid: number;
  invalidBooks: InvalidBook[];
  sellerCreated: boolean;
  /** Set when the import created the seller. */
  sellerPassword: string | null;
  storeCreated: boolean;
}

type SqlValue = number | string | Uint8Array | null;

export interface Catalogue {
  file: string;
  sqlite: import('sql.js').Database;
  columns: string[];
}

const FILE_ERRORS: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'is a directory' };

/** Opens a SQLite file in memory (sql.js, WASM); one clear error when it is not the course format. */
export async function openCatalogue(file: string): Promise<Catalogue> {
  let bytes: Buffer;
  try {
    if (!statSync(file).isFile()) throw new CliError(`${file} is not a file`);
    bytes = readFileSync(file);
  } catch (err) {
    if (err instanceof CliError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new CliError(`cannot read ${file}: ${FILE_ERRORS[code] ?? (code || (err as Error).message)}`);
  }
  if (bytes.subarray(0, 16).toString('latin1') !== 'SQLite format 3\u0000') {
    throw new CliError(`${file} is not a SQLite database (expected the course book.db format)`);
  }
  const SQL = await initSqlJs();
  const sqlite = new SQL.Database(bytes);
  const columns = sqlite.exec("SELECT name FROM pragma_table_info('book')")[0]?.values.map((v) => String(v[0])) ?? [];
  if (columns.length === 0) {
    sqlite.close();
    throw new CliError(`${file} has no table "book" (expected the course book.db format)`);
  }
  if (!columns.includes('id')) {
    sqlite.close();
    throw new CliError(`${file}: table "book" has no "id" column`);
  }
  return { file, sqlite, columns: columns.filter((c) => KNOWN_COLUMNS.has(c)) };
}

/** Text as PostgreSQL can store it (no NUL), and empty strings as absent. */
function text(value: SqlValue | undefined): string | null {
  if (value === null || value === undefined) return null;
  const s = (value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : String(value)).replace(/\u0000/g, '');
  return s === '' ? null : s;
}

function integer(value: SqlValue | undefined): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  return Number.isFinite(n) ? n : NaN;
}

/** One row of `book` as add_book's book_info: tags split on newlines, the cover as base64. */
export function rowToBook(row: Record<string, SqlValue>): BookInfo {
  const book: BookInfo = { id: text(row.id) ?? '' };
  for (const c of TEXT_COLUMNS) book[c] = text(row[c]);
  for (const c of INTEGER_COLUMNS) book[c] = integer(row[c]);
  book.tags = (text(row.tags) ?? '')
    .split(/\r?\n/)
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const picture = row.picture;
  book.pictures = picture instanceof Uint8Array && picture.length > 0 ? [Buffer.from(picture).toString('base64')] : [];
  return book;
}

/**
 * Imports a course catalogue into one store: creates the seller and the store when missing,
 * then lists every book with its tags and cover, indexed for search, in batches. Books the store
 * already lists are skipped, so running it again adds nothing twice.
 */
export async function importCatalogue(services: Services, source: string | Catalogue, options: ImportOptions): Promise<ImportResult> {
  const { sqlite, columns } = typeof source === 'string' ? await openCatalogue(source) : source;
  try {
    const seller = await sellerSession(services, options.sellerId, options.password);
    const storeCreated = await ensureStore(services, seller.actor, options.storeId);

    const total = Number(sqlite.exec('SELECT count(*) FROM book')[0]?.values[0]?.[0] ?? 0);
    const counts: ProgressCounts = { done: 0, total, imported: 0, skipped: 0, invalid: 0 };
    const invalidBooks: InvalidBook[] = [];
    const progress = createProgress(options.progressStream, options.isTTY, 'import');
    const onInvalid = (b: InvalidBook) => {
      invalidBooks.push(b);
      if (!options.isTTY) options.progressStream.write(`import: book "${b.id.slice(0, 80)}" not imported: ${b.reason}\n`);
    };

    const batchSize = options.batchSize ?? 50;
    const statement = sqlite.prepare(`SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM book ORDER BY rowid`);
    try {
      let batch: BookInfo[] = [];
      const flush = async () => {
        const written = await writeBooks(services, seller.actor, options.storeId, batch, options.stock, onInvalid);
        counts.done += batch.length;
        counts.imported += written.imported;
        counts.skipped += written.skipped;
        counts.invalid += written.invalid;
        batch = [];
        progress.update(counts);
      };
      while (statement.step()) {
        batch.push(rowToBook(statement.getAsObject() as Record<string, SqlValue>));
        if (batch.length >= batchSize) await flush();
      }
      if (batch.length > 0) await flush();
    } finally {
      statement.free();
    }
    progress.finish(counts);
    await services.accounts.logout(seller.actor);
    return {
      total,
      imported: counts.imported,
      skipped: counts.skipped,
      invalid: counts.invalid,
      invalidBooks,
      sellerCreated: seller.created,
      sellerPassword: seller.password,
      storeCreated,
    };
  } finally {
    sqlite.close();
  }
}
