import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { CatalogueReader } from '../../src/cli/catalogue-reader.js';
import { CheckpointFile } from '../../src/cli/import-checkpoint.js';
import { runImport, type BookSink } from '../../src/cli/import.js';
import type { Database } from '../../src/db/database.js';
import { openPglite } from '../../src/db/pglite.js';
import { connectPostgres } from '../../src/db/postgres.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { generateCatalogue } from '../../tools/catalogue-gen/catalogue-gen.js';
import { createScratchDatabase, DB_KIND } from '../helpers/server.js';

/**
 * `bookstore import` on generated course-format catalogues, through the real command: a killed
 * import and a Ctrl-C'd one resume where they stopped, and memory does not grow with the file.
 */

const BIN = path.join(PROJECT_ROOT, 'bin', 'bookstore.js');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Peak resident memory of the import process (VmHWM), MB. */
  peakMb: number;
}

/** A process and its descendants: `bookstore import` does its work in a child process. */
function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    // exited
  }
  return [pid, ...children.flatMap(processTree)];
}

/**
 * Starts `bookstore import …`; `until` may interrupt it (with a signal) once the condition holds.
 * Samples the VmHWM (peak RSS so far) of the process and its children until it exits.
 */
function runImportCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  until?: { ready: () => boolean; signal: NodeJS.Signals },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'import', ...args], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peakMb = 0;
    let sent = false;
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    // Only the end is kept: catalogues of rejected rows print a line per row.
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-200_000)));
    const timer = setInterval(() => {
      for (const pid of processTree(child.pid!)) {
        try {
          const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
          if (hwm) peakMb = Math.max(peakMb, Number(hwm[1]) / 1024);
        } catch {
          // exited between two samples
        }
      }
      if (until && !sent && until.ready()) {
        sent = true;
        child.kill(until.signal);
      }
    }, 50);
    const deadline = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearInterval(timer);
      clearTimeout(deadline);
      resolve({ code, signal, stdout, stderr, peakMb });
    });
  });
}

/** Rows the checkpoint of the import in progress says are committed (0 before the first batch). */
function checkpointDone(dataDir: string): number {
  const dir = path.join(dataDir, 'imports');
  if (!existsSync(dir)) return 0;
  let done = 0;
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    try {
      done = Math.max(done, (JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as { done: number }).done);
    } catch {
      // being replaced
    }
  }
  return done;
}

/** A database for the command: a fresh PostgreSQL database, or an embedded data folder. */
async function commandDatabase(dir: string) {
  const dataDir = path.join(dir, 'data');
  const base: NodeJS.ProcessEnv = { ...process.env, BOOKSTORE_SCRYPT_LOG_N: '10', BOOKSTORE_DATA_DIR: dataDir };
  const url = process.env.DATABASE_URL;
  if (!url) {
    delete base.DATABASE_URL;
    return { env: base, dataDir, open: () => openPglite(dataDir), drop: async () => {} };
  }
  const scratch = await createScratchDatabase(url, 'bookstore_import');
  return { env: { ...base, DATABASE_URL: scratch.url }, dataDir, open: async () => connectPostgres(scratch.url, 1), drop: scratch.drop };
}

/** Listings and pictures of a store, and whether any book is listed twice (it cannot: the key). */
async function storeContents(db: Database, storeId: string) {
  const { rows } = await db.query<{ listings: number; books: number; pictures: number; bytes: number }>(
    `SELECT (SELECT count(*)::int FROM listings WHERE store_id = $1) AS listings,
            (SELECT count(*)::int FROM books WHERE store_id = $1) AS books,
            (SELECT count(*)::int FROM book_pictures WHERE store_id = $1) AS pictures,
            (SELECT coalesce(sum(length(data)), 0)::int FROM book_pictures WHERE store_id = $1) AS bytes`,
    [storeId],
  );
  return rows[0]!;
}

const SUMMARY = /^imported (\d+) of (\d+) books into store \S+: (\d+) skipped \(already listed\), (\d+) invalid$/m;

describe(`bookstore import: large catalogues, interruption and resume (${DB_KIND})`, () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof commandDatabase>>;
  let catalogue: string;
  let catalogueBytes: number;
  const BOOKS = 300;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'bookstore-import-'));
    database = await commandDatabase(dir);
    catalogue = path.join(dir, 'catalogue.db');
    catalogueBytes = generateCatalogue(catalogue, { books: BOOKS, pictureBytes: [8_000, 16_000], seed: 3 }).pictureBytes;
  });
  after(async () => {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('killed (SIGKILL) mid-import, the same command resumes after the last committed batch: every book once', { timeout: 300_000 }, async () => {
    const args = [catalogue, '--seller', 'gen_seller', '--store', 'killed', '--batch', '20'];
    const first = await runImportCli(args, database.env, { ready: () => checkpointDone(database.dataDir) >= 100, signal: 'SIGKILL' });
    assert.equal(first.signal, 'SIGKILL', `the import ended before it was killed: ${first.stdout}${first.stderr}`);
    assert.match(first.stderr, /^import: 0\/300 \(0%\)/m, 'plain progress lines on a pipe');
    const stoppedAt = checkpointDone(database.dataDir);
    assert.ok(stoppedAt >= 100 && stoppedAt < BOOKS, `checkpoint at ${stoppedAt}`);

    const second = await runImportCli(args, database.env);
    assert.equal(second.code, 0, second.stderr);
    const resumed = /^import: resuming an interrupted import after book (\d+) of 300 /m.exec(second.stderr);
    assert.ok(resumed, second.stderr);
    assert.ok(Number(resumed[1]) >= stoppedAt, `resumed after ${resumed[1]}, checkpoint said ${stoppedAt}`);
    assert.match(second.stderr, /^import: 300\/300 \(100%\) .*; [\d.]+ books\/s, [\d.]+ MB\/s, in \d+/m);
    const [, imported, total, skipped, invalid] = SUMMARY.exec(second.stdout)!.map(Number);
    assert.equal(total, BOOKS);
    assert.equal(invalid, 0);
    assert.equal(imported! + skipped!, BOOKS, second.stdout);
    // Only a batch committed just before the kill, whose checkpoint was not yet saved, is read twice.
    assert.ok(skipped! <= 20, `${skipped} books read again`);
    assert.deepEqual(readdirSync(path.join(database.dataDir, 'imports')), [], 'the checkpoint is removed when the import completes');

    const db = await database.open();
    try {
      assert.deepEqual(await storeContents(db, 'killed'), { listings: BOOKS, books: BOOKS, pictures: BOOKS, bytes: catalogueBytes });
    } finally {
      await db.close();
    }
  });

  test('Ctrl-C/SIGTERM stops after the batch in progress (exit 130); a re-run continues, --restart reads everything again', { timeout: 300_000 }, async () => {
    const args = [catalogue, '--seller', 'gen_seller', '--store', 'interrupted', '--batch', '20'];
    // SIGTERM, handled as Ctrl-C's SIGINT is: a shell starts background jobs with SIGINT ignored.
    const first = await runImportCli(args, database.env, { ready: () => checkpointDone(database.dataDir) >= 60, signal: 'SIGTERM' });
    assert.equal(first.code, 130, first.stderr);
    assert.match(first.stderr, /^import: SIGTERM: stopping after the batch in progress/m);
    const interrupted = /^interrupted: (\d+) of 300 books imported into store interrupted so far, 0 skipped \(already listed\), 0 invalid; run the same command again to continue where it stopped$/m.exec(first.stdout);
    assert.ok(interrupted, first.stdout);
    const done = Number(interrupted[1]);
    assert.ok(done >= 60 && done < BOOKS);

    const restarted = await runImportCli([...args, '--restart'], database.env, { ready: () => checkpointDone(database.dataDir) >= done + 20, signal: 'SIGTERM' });
    assert.equal(restarted.code, 130, restarted.stderr);
    assert.doesNotMatch(restarted.stderr, /resuming/);
    assert.match(restarted.stdout, new RegExp(`^interrupted: \\d+ of 300 books imported into store interrupted so far, ${done} skipped`, 'm'));

    const second = await runImportCli(args, database.env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /^import: resuming an interrupted import after book \d+ of 300 /m);
    assert.deepEqual(SUMMARY.exec(second.stdout)!.slice(1).map(Number), [BOOKS - done, BOOKS, done, 0]);

    const db = await database.open();
    try {
      assert.equal((await storeContents(db, 'interrupted')).listings, BOOKS);
    } finally {
      await db.close();
    }
  });

  test('memory does not grow with the file: a 300 MB catalogue takes no more than a 7 MB one', { timeout: 300_000 }, async (t) => {
    // Most rows of the large file carry a negative price, which the importer refuses without
    // writing: the whole file goes through the reader while the database work stays small.
    const small = path.join(dir, 'small.db');
    const large = path.join(dir, 'large.db');
    generateCatalogue(small, { books: 150, pictureBytes: [40_000, 60_000], seed: 5 });
    generateCatalogue(large, { books: 6_000, pictureBytes: [40_000, 60_000], seed: 5, validBooks: 150 });
    const largeMb = statSync(large).size / 1e6;
    assert.ok(largeMb > 250, `${largeMb} MB`);

    const runSmall = await runImportCli([small, '--seller', 'mem_seller', '--store', 'mem_small'], database.env);
    assert.equal(runSmall.code, 0, runSmall.stderr);
    const runLarge = await runImportCli([large, '--seller', 'mem_seller', '--store', 'mem_large'], database.env);
    assert.equal(runLarge.code, 0, runLarge.stderr.slice(-2000));
    assert.deepEqual(SUMMARY.exec(runLarge.stdout)!.slice(1).map(Number), [150, 6_000, 0, 5_850]);
    assert.match(runLarge.stdout, /^not imported: book "\d+": price: must be >= 0/m);

    t.diagnostic(`peak RSS: ${runSmall.peakMb.toFixed(0)} MB (7 MB file), ${runLarge.peakMb.toFixed(0)} MB (${largeMb.toFixed(0)} MB file)`);
    assert.ok(runLarge.peakMb - runSmall.peakMb < 60, `peak RSS ${runSmall.peakMb.toFixed(0)} → ${runLarge.peakMb.toFixed(0)} MB`);
    // The embedded database alone keeps about 250 MB in the process; PostgreSQL runs elsewhere.
    if (DB_KIND === 'postgres') assert.ok(runLarge.peakMb < 250, `peak RSS ${runLarge.peakMb.toFixed(0)} MB`);
  });
});

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Records what it is given; lists nothing unless told. */
function memorySink(listed: boolean): BookSink & { written: string[] } {
  const written: string[] = [];
  return {
    written,
    async write(books) {
      written.push(...books.map((b) => b.id));
      return { imported: books.length, skipped: 0, invalid: 0 };
    },
    async listsAny() {
      return listed;
    },
  };
}

describe('bookstore import: when a checkpoint is not trusted', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bookstore-checkpoint-'));
    file = path.join(dir, 'c.db');
    generateCatalogue(file, { books: 30, pictureBytes: [100, 200] });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const options = (progress: Sink, checkpointDir: string) => ({
    sellerId: 's', storeId: 'st', stock: 1, progressStream: progress, isTTY: false, batchSize: 10, checkpointDir, databaseId: 'db1',
  });

  async function interruptedAfterTen(checkpointDir: string): Promise<void> {
    const stop = new AbortController();
    stop.abort();
    const reader = CatalogueReader.open(file);
    try {
      const result = await runImport(reader, memorySink(true), { ...options(new Sink(), checkpointDir), signal: stop.signal });
      assert.deepEqual([result.interrupted, result.imported], [true, 10]);
    } finally {
      reader.close();
    }
  }

  test('resumes when the store lists the last batch; starts over when it does not (another or a recreated database)', async () => {
    const checkpointDir = path.join(dir, 'a');
    await interruptedAfterTen(checkpointDir);
    const reader = CatalogueReader.open(file);
    try {
      const resumedSink = memorySink(true);
      const progress = new Sink();
      // A dry look first: a store without those books does not trust the checkpoint.
      const fresh = memorySink(false);
      const freshProgress = new Sink();
      const restarted = await runImport(reader, fresh, options(freshProgress, checkpointDir));
      assert.match(freshProgress.text, /the store does not have the books an earlier, interrupted import wrote; reading .* from the beginning/);
      assert.deepEqual([restarted.resumedFrom, fresh.written.length], [0, 30]);

      await interruptedAfterTen(checkpointDir);
      const resumed = await runImport(reader, resumedSink, options(progress, checkpointDir));
      assert.match(progress.text, /^import: resuming an interrupted import after book 10 of 30 /m);
      assert.deepEqual([resumed.resumedFrom, resumed.imported, resumedSink.written.length], [10, 30, 20]);
      assert.equal(resumedSink.written[0], '3000010');
    } finally {
      reader.close();
    }
  });

  test('a changed catalogue file or another database ignores the checkpoint', async () => {
    const checkpointDir = path.join(dir, 'b');
    await interruptedAfterTen(checkpointDir);
    const reader = CatalogueReader.open(file);
    try {
      const otherDb = memorySink(true);
      await runImport(reader, otherDb, { ...options(new Sink(), checkpointDir), databaseId: 'db2' });
      assert.equal(otherDb.written.length, 30, 'another database starts at the beginning');

      // The checkpoint of db1 is still there; pretend the file was rewritten since.
      const saved = new CheckpointFile(checkpointDir, { catalogue: reader.realPath, database: 'db1', store: 'st' });
      const checkpoint = saved.load()!;
      saved.save({ ...checkpoint, catalogue: { ...checkpoint.catalogue, size: checkpoint.catalogue.size + 1 } });
      const progress = new Sink();
      const changed = memorySink(true);
      await runImport(reader, changed, options(progress, checkpointDir));
      assert.match(progress.text, /changed since the interrupted import; reading it from the beginning/);
      assert.equal(changed.written.length, 30);
    } finally {
      reader.close();
    }
  });
});
