import { chmodSync, existsSync } from 'node:fs';
import sqlite from 'node-sqlite3-wasm';
import { syntheticBooks } from '../order-bench/catalogue.js';
import { Rng } from '../order-bench/rng.js';

/** The course catalogue schema (shared/data/README.md), as the course's own files declare it. */
export const COURSE_SCHEMA = `CREATE TABLE "book"(
  id TEXT, title TEXT, author TEXT, publisher TEXT, original_title TEXT, translator TEXT, pub_year TEXT,
  pages INT, price INT, currency_unit TEXT, binding TEXT, isbn TEXT, author_intro TEXT, book_intro TEXT,
  content TEXT, tags TEXT, picture
)`;

export interface GenerateOptions {
  books: number;
  /** Each cover's size in bytes, uniform in [min, max]. */
  pictureBytes: readonly [number, number];
  seed?: number;
  /** The first book's id (ids are consecutive numbers, as in the course files). */
  firstId?: number;
  /**
   * Only the first this-many books are valid; the others get a negative price, which the importer
   * reports and skips without writing: a large file that tests the reader, not the database.
   */
  validBooks?: number;
  /** Called after each committed chunk. */
  onProgress?: (books: number, pictureBytes: number) => void;
}

export interface GenerateResult {
  books: number;
  pictureBytes: number;
}

const CHUNK = 500;

/**
 * Incompressible bytes framed as a JPEG (SOI, APP0, …, EOI): sized like real covers, and a
 * compressing file system or PostgreSQL's TOAST cannot make the test cheaper than real data.
 */
function fakeJpeg(size: number, rng: Rng): Uint8Array {
  const bytes = new Uint8Array(Math.max(size, 24));
  const words = new Uint32Array(bytes.buffer, 0, bytes.length >>> 2);
  for (let i = 0; i < words.length; i++) words[i] = rng.nextU32();
  bytes.set([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00], 0);
  bytes.set([0xff, 0xd9], bytes.length - 2);
  return bytes;
}

/** Repeats a sentence up to about `length` characters: intros as long as the course's (~1 KB). */
function padded(sentence: string, length: number): string {
  let out = sentence;
  while (out.length < length) out += sentence;
  return out;
}

/**
 * Writes a new course-format catalogue of synthetic books with cover pictures, chunk by chunk
 * (bounded memory whatever the size). Deterministic for a given seed.
 */
export function generateCatalogue(file: string, options: GenerateOptions): GenerateResult {
  if (existsSync(file)) throw new Error(`${file} already exists; choose a new file name`);
  const [minPicture, maxPicture] = options.pictureBytes;
  const rng = new Rng(options.seed ?? 1, 7);
  const firstId = options.firstId ?? 3_000_000;
  const db = new sqlite.Database(file);
  let pictureBytes = 0;
  try {
    // A file written once and read later needs no journal or fsync while it is being made.
    db.exec('PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;');
    db.exec(COURSE_SCHEMA);
    const insert = db.prepare(
      `INSERT INTO book (id, title, author, publisher, original_title, translator, pub_year, pages, price, currency_unit,
         binding, isbn, author_intro, book_intro, content, tags, picture)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    try {
      for (let done = 0; done < options.books; ) {
        const count = Math.min(CHUNK, options.books - done);
        const books = syntheticBooks(count, rng);
        db.exec('BEGIN');
        for (let i = 0; i < count; i++) {
          const b = books[i]!;
          const id = String(firstId + done + i);
          const picture = fakeJpeg(rng.int(minPicture, maxPicture), rng);
          pictureBytes += picture.length;
          insert.run([
            id,
            `${b.title} ${id}`,
            b.author ?? null,
            b.publisher ?? null,
            rng.next() < 0.2 ? b.title : null,
            rng.next() < 0.2 ? b.author ?? null : null,
            b.pub_year ?? null,
            b.pages ?? null,
            options.validBooks !== undefined && done + i >= options.validBooks ? -1 : b.price,
            b.currency_unit ?? null,
            b.binding ?? null,
            b.isbn ?? null,
            padded(b.author_intro ?? '', 300),
            padded(b.book_intro ?? '', 220),
            padded(b.content ?? '', 260),
            (b.tags ?? []).join('\n'),
            picture,
          ]);
        }
        db.exec('COMMIT');
        done += count;
        options.onProgress?.(done, pictureBytes);
      }
    } finally {
      insert.finalize();
    }
  } finally {
    db.close();
  }
  // The library creates files readable by their owner only; a catalogue is meant to be shared.
  chmodSync(file, 0o644);
  return { books: options.books, pictureBytes };
}
