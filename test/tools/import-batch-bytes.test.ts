import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { CatalogueReader, DEFAULT_MAX_BATCH_BYTES } from '../../src/cli/catalogue-reader.js';
import { runImport, type BookSink } from '../../src/cli/import.js';
import type { BookInfo } from '../../src/domain/book.js';
import { generateCatalogue } from '../../tools/catalogue-gen/catalogue-gen.js';

/**
 * The import's memory follows the bytes of a batch, not its row count: with large covers, a
 * batch must end at the byte cap even when far fewer rows than `--batch` have been read.
 */

const pictureBytes = (book: BookInfo) => (book.pictures ?? []).reduce((n, p) => n + Buffer.byteLength(p, 'base64'), 0);

/** A sink that writes nothing and keeps the cover bytes of each batch it was given. */
function recordingSink() {
  const batches: number[][] = [];
  const sink: BookSink = {
    async write(books) {
      batches.push(books.map(pictureBytes));
      return { imported: books.length, skipped: 0, invalid: 0 };
    },
    listsAny: async () => false,
  };
  return { sink, batches };
}

const quiet = () => new Writable({ write: (_chunk, _encoding, done) => done() });

describe('bookstore import: batches are bounded by bytes as well as rows', () => {
  let dir: string;
  let catalogue: string;
  const BOOKS = 40;
  const LARGEST = 600_000;

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bookstore-batch-bytes-'));
    catalogue = path.join(dir, 'large-covers.db');
    generateCatalogue(catalogue, { books: BOOKS, pictureBytes: [400_000, LARGEST], seed: 5 });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, maxBatchBytes] of [
    ['the default cap', undefined],
    ['a 1 MiB cap', 1024 * 1024],
  ] as const) {
    test(`${name}: every batch stops at the first row that reaches it, far below --batch rows`, async () => {
      const cap = maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
      const { sink, batches } = recordingSink();
      const reader = CatalogueReader.open(catalogue);
      try {
        const result = await runImport(reader, sink, {
          sellerId: 's',
          storeId: 'st',
          stock: 1,
          batchSize: 50,
          ...(maxBatchBytes ? { maxBatchBytes } : {}),
          progressStream: quiet(),
          isTTY: false,
        });
        assert.equal(result.imported, BOOKS);
      } finally {
        reader.close();
      }
      assert.equal(
        batches.reduce((n, b) => n + b.length, 0),
        BOOKS,
        'every book in exactly one batch',
      );
      // Cover bytes are most of a row's bytes: the rows before a batch's last stay under the cap,
      // so a batch holds at most the cap plus one row.
      assert.ok(batches.length >= Math.ceil((BOOKS * 400_000) / (cap + LARGEST)), `${batches.length} batches`);
      for (const [i, batch] of batches.entries()) {
        const total = batch.reduce((n, b) => n + b, 0);
        assert.ok(total - batch.at(-1)! < cap, `batch ${i}: ${total - batch.at(-1)!} bytes before its last row`);
        assert.ok(total <= cap + LARGEST, `batch ${i}: ${total} bytes`);
        if (i < batches.length - 1) assert.ok(total >= cap - 16 * 1024 || batch.length === 50, `batch ${i} ended early: ${total} bytes`);
      }
    });
  }
});
