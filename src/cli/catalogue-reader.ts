import { closeSync, mkdtempSync, openSync, readSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sqlite from 'node-sqlite3-wasm';
import type { BookInfo } from '../domain/book.js';
import { invalidReason, type InvalidBook } from './catalogue-writer.js';
import { CliError } from './io.js';

/**
 * Reads a course catalogue (shared/data/README.md: one table `book`, tags newline-separated,
 * one cover BLOB) a batch at a time, straight from the file: SQLite (WebAssembly,
 * node-sqlite3-wasm) reads the pages a batch needs through a small page cache, so memory does
 * not grow with the file. Batches are keyed by rowid, which is what makes an import resumable.
 */

const TEXT_COLUMNS = [
  'title', 'author', 'publisher', 'original_title', 'translator', 'pub_year', 'currency_unit', 'binding', 'isbn',
  'author_intro', 'book_intro', 'content',
] as const;
const INTEGER_COLUMNS = ['pages', 'price'] as const;
/** Read as bytes: the library decodes TEXT only up to a NUL, and some course rows contain one. */
const BYTE_COLUMNS = new Set<string>(['id', ...TEXT_COLUMNS, 'tags', 'picture']);
const KNOWN_COLUMNS = new Set<string>([...BYTE_COLUMNS, ...INTEGER_COLUMNS]);

export type SqlValue = number | bigint | string | Uint8Array | null;

export interface CatalogueBatch {
  /** Valid books, in rowid order. */
  books: BookInfo[];
  /** Rows that add_book would refuse, with the reason. */
  invalid: InvalidBook[];
  /** Rows read (books + invalid). */
  rows: number;
  /** The rowid of the batch's last row: reading again after it continues with the next batch. */
  lastRowid: number;
  /** Bytes of row data read (text, numbers and pictures). */
  bytes: number;
}

/**
 * A batch ends once its rows reach this many bytes, whatever `batchSize` says: a batch's books are
 * held several times over while written (cover bytes, base64 text, protocol messages), so bytes,
 * not rows, decide the import's memory when covers are large.
 */
export const DEFAULT_MAX_BATCH_BYTES = 4 * 1024 * 1024;

export interface ReadOptions {
  /** Start after this rowid (0: from the beginning). */
  afterRowid?: number;
  /** Rows per batch at most. */
  batchSize: number;
  /** A batch ends early once its rows reach this many bytes (default DEFAULT_MAX_BATCH_BYTES). */
  maxBatchBytes?: number;
}

const FILE_ERRORS: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'is a directory' };
const SQLITE_HEADER = 'SQLite format 3\u0000';

function fileError(file: string, err: unknown): CliError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return new CliError(`cannot read ${file}: ${FILE_ERRORS[code] ?? (code || (err as Error).message)}`);
}

export class CatalogueReader {
  /** The file as named, its size in bytes and modification time (a changed file is a new catalogue). */
  readonly file: string;
  readonly realPath: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly columns: readonly string[];
  private readonly db: sqlite.Database;
  private readonly select: sqlite.Statement;
  private readonly release: () => void;

  private constructor(file: string, realPath: string, size: number, mtimeMs: number, opened: ReadOnlySqlite) {
    this.file = file;
    this.realPath = realPath;
    this.size = size;
    this.mtimeMs = mtimeMs;
    this.db = opened.db;
    this.release = opened.close;
    const db = opened.db;
    try {
      const columns = (db.all("SELECT name FROM pragma_table_info('book')") as { name: string }[]).map((r) => r.name);
      if (columns.length === 0) throw new CliError(`${file} has no table "book" (expected the course book.db format)`);
      if (!columns.includes('id')) throw new CliError(`${file}: table "book" has no "id" column`);
      this.columns = columns.filter((c) => KNOWN_COLUMNS.has(c));
      try {
        db.get('SELECT rowid FROM book LIMIT 1');
      } catch {
        throw new CliError(`${file}: table "book" has no rowid (WITHOUT ROWID), which the course format always has`);
      }
      const list = this.columns.map((c) => (BYTE_COLUMNS.has(c) ? `CAST("${c}" AS BLOB) AS "${c}"` : `"${c}"`));
      this.select = db.prepare(`SELECT rowid AS "rowid", ${list.join(', ')} FROM book WHERE rowid > ? ORDER BY rowid LIMIT ?`);
    } catch (err) {
      this.release();
      throw err;
    }
  }

  /** Opens the file read-only; one clear error when it is missing, unreadable or not the course format. */
  static open(file: string): CatalogueReader {
    let realPath: string;
    let stat: ReturnType<typeof statSync>;
    const header = Buffer.alloc(SQLITE_HEADER.length);
    try {
      realPath = realpathSync(file);
      stat = statSync(realPath);
      if (!stat.isFile()) throw new CliError(`${file} is not a file`);
      const fd = openSync(realPath, 'r');
      try {
        readSync(fd, header, 0, header.length, 0);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw fileError(file, err);
    }
    if (header.toString('latin1') !== SQLITE_HEADER) {
      throw new CliError(`${file} is not a SQLite database (expected the course book.db format)`);
    }
    let opened: ReadOnlySqlite;
    try {
      opened = openReadOnly(realPath);
    } catch (err) {
      throw new CliError(`cannot open ${file} as SQLite: ${(err as Error).message}`);
    }
    return new CatalogueReader(file, realPath, stat.size, stat.mtimeMs, opened);
  }

  /** Rows in the catalogue, and how many of them come after `afterRowid`. */
  count(afterRowid = 0): { total: number; remaining: number } {
    const row = this.db.get('SELECT count(*) AS total, coalesce(sum(rowid > ?), 0) AS remaining FROM book', [afterRowid]) as {
      total: number;
      remaining: number;
    };
    return { total: Number(row.total), remaining: Number(row.remaining) };
  }

  /** Yields the rows after `afterRowid` as batches of validated books, in rowid order. */
  *batches(options: ReadOptions): Generator<CatalogueBatch> {
    const maxBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    let after = options.afterRowid ?? 0;
    for (;;) {
      const batch: CatalogueBatch = { books: [], invalid: [], rows: 0, lastRowid: after, bytes: 0 };
      for (const row of this.select.iterate([after, options.batchSize]) as Iterable<Record<string, SqlValue>>) {
        batch.rows++;
        batch.lastRowid = Number(row.rowid);
        batch.bytes += rowBytes(row);
        const book = rowToBook(row);
        const reason = invalidReason(book);
        if (reason) batch.invalid.push({ id: book.id, reason });
        else batch.books.push(book);
        if (batch.bytes >= maxBytes) break;
      }
      if (batch.rows === 0) return;
      after = batch.lastRowid;
      yield batch;
    }
  }

  close(): void {
    if (!this.select.isFinalized) this.select.finalize();
    this.release();
  }
}

export interface ReadOnlySqlite {
  db: sqlite.Database;
  /** Closes the database; safe to call more than once. */
  close(): void;
}

/**
 * Opens a SQLite file read-only with node-sqlite3-wasm. The library locks a file by making a
 * directory "<file>.lock" beside it: that fails in a read-only folder, and one left behind by a
 * killed process would refuse every later run ("database is locked"). Opening the file through a
 * symbolic link in a private temporary folder puts that directory there instead. Only safe for
 * files nobody writes meanwhile, which is what a catalogue being imported is.
 */
export function openReadOnly(file: string): ReadOnlySqlite {
  const linkDir = mkdtempSync(path.join(tmpdir(), 'bookstore-sqlite-'));
  const removeLink = () => rmSync(linkDir, { recursive: true, force: true });
  try {
    const link = path.join(linkDir, 'catalogue.db');
    symlinkSync(realpathSync(file), link);
    const db = new sqlite.Database(link, { readOnly: true, fileMustExist: true });
    return {
      db,
      close() {
        if (db.isOpen) db.close();
        removeLink();
      },
    };
  } catch (err) {
    removeLink();
    throw err;
  }
}

function rowBytes(row: Record<string, SqlValue>): number {
  let bytes = 0;
  for (const value of Object.values(row)) bytes += value instanceof Uint8Array ? value.length : 8;
  return bytes;
}

/** Text as PostgreSQL can store it (no NUL), and empty strings as absent. */
function text(value: SqlValue | undefined): string | null {
  if (value === null || value === undefined) return null;
  const s = (value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.length).toString('utf8') : String(value)).replace(
    /\u0000/g,
    '',
  );
  return s === '' ? null : s;
}

function integer(value: SqlValue | undefined): number | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number.MIN_SAFE_INTEGER <= value && value <= Number.MAX_SAFE_INTEGER ? Number(value) : NaN;
  const s = (value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value).trim();
  if (s === '') return null;
  const n = Number(s);
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
  book.pictures =
    picture instanceof Uint8Array && picture.length > 0 ? [Buffer.from(picture.buffer, picture.byteOffset, picture.length).toString('base64')] : [];
  return book;
}
