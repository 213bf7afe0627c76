import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PGlite, protocol, types, type messages } from '@electric-sql/pglite';
import {
  DEFAULT_DATABASE_TIMEOUTS,
  retryDelay,
  shouldRetry,
  type Database,
  type DatabaseTimeouts,
  type Queryable,
  type QueryResult,
} from './database.js';
import { lockDataDir } from './data-dir-lock.js';
import { DatabaseFailureError } from './failures.js';
import { makePrivate, PRIVATE_UMASK } from './private-folder.js';
import type { PgliteThreadOptions, PgliteThreadReply, PgliteThreadRequest } from './pglite-worker.js';
import { ownTransfer } from './transfer.js';

const PGLITE_DEFAULT_START_PARAMS = (PGlite as unknown as { defaultStartParams: string[] }).defaultStartParams;
const { serialize } = protocol;
const SYNC = serialize.sync();
const EXECUTE_AND_SYNC = concat([serialize.execute({}), SYNC]);

interface PreparedStatement {
  name: string;
  paramTypes: number[];
  fields: { name: string; type: number }[];
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Bind (unnamed portal, the given statement; bytes in the binary format, anything else as text,
 * results as text), Execute and Sync, written straight into one buffer. PGlite's own serializer
 * grows its buffer piece by piece: about 20 ms for a 1.5 MB picture, against well under 1 ms here.
 */
function bindExecuteSync(statement: string, values: readonly (string | Uint8Array | null)[]): Uint8Array {
  const texts = values.map((v) => (typeof v === 'string' ? Buffer.byteLength(v) : 0));
  const bindLength =
    4 + 1 + Buffer.byteLength(statement) + 1 + 2 + 2 * values.length + 2 +
    values.reduce((n, v, i) => n + 4 + (v === null ? 0 : typeof v === 'string' ? texts[i]! : v.length), 0) + 2;
  // Memory of its own (never Node's shared pool), so the message moves to the database's thread uncopied.
  const out = Buffer.allocUnsafeSlow(1 + bindLength + EXECUTE_AND_SYNC.length);
  let at = out.writeUInt8(0x42, 0); // 'B'
  at = out.writeInt32BE(bindLength, at);
  out[at++] = 0; // the unnamed portal
  at += out.write(statement, at);
  out[at++] = 0;
  at = out.writeInt16BE(values.length, at);
  for (const v of values) at = out.writeInt16BE(v instanceof Uint8Array ? 1 : 0, at);
  at = out.writeInt16BE(values.length, at);
  values.forEach((v, i) => {
    if (v === null) {
      at = out.writeInt32BE(-1, at);
    } else if (typeof v === 'string') {
      at = out.writeInt32BE(texts[i]!, at);
      at += out.write(v, at);
    } else {
      at = out.writeInt32BE(v.length, at);
      out.set(v, at);
      at += v.length;
    }
  });
  at = out.writeInt16BE(0, at); // every result column as text
  out.set(EXECUTE_AND_SYNC, at);
  return out;
}

type BackendMessage = messages.BackendMessage;

/** The backend's answer as messages; a database error in it is thrown, as PGlite's own calls do. */
function backendMessages(raw: Uint8Array): BackendMessage[] {
  const messages: BackendMessage[] = [];
  new protocol.Parser().parse(raw, (message) => messages.push(message));
  const error = messages.find((m) => m.name === 'error');
  if (error !== undefined) throw error;
  return messages;
}

/**
 * The thread the embedded database runs on (db/pglite-worker.ts), spoken to in protocol bytes.
 * It keeps the process alive only while a statement is in flight. If it dies, every statement
 * in flight and after fails as "database unavailable" (503), as a lost connection would.
 */
class PgliteThread {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: PgliteThreadReply) => void; reject: (err: Error) => void }>();
  private failure: Error | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: PgliteThreadReply) => {
      if (!('id' in reply)) return;
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      waiter?.resolve(reply);
    });
    const fail = (why: string) => {
      this.failure ??= new DatabaseFailureError('unavailable', `the embedded database stopped: ${why}`);
      for (const waiter of this.pending.values()) waiter.reject(this.failure);
      this.pending.clear();
    };
    worker.on('error', (err) => fail(err.message));
    worker.on('exit', (code) => fail(`its thread exited (${code})`));
    worker.unref();
  }

  static async start(options: PgliteThreadOptions): Promise<PgliteThread> {
    const worker = new Worker(new URL('./pglite-worker.js', import.meta.url), { workerData: options });
    await new Promise<void>((resolve, reject) => {
      const settle = (err?: Error) => {
        worker.off('message', onMessage).off('error', settle).off('exit', onExit);
        if (err) reject(err);
        else resolve();
      };
      const onMessage = (reply: PgliteThreadReply) => settle('startFailed' in reply ? new Error(reply.startFailed) : undefined);
      const onExit = (code: number) => settle(new Error(`the embedded database's thread exited (${code}) while starting`));
      worker.on('message', onMessage).on('error', settle).on('exit', onExit);
    });
    return new PgliteThread(worker);
  }

  /** Runs a batch of frontend messages (transferred: the caller gives it up); the backend's bytes. */
  async run(message: Uint8Array, syncToFs: boolean): Promise<Uint8Array> {
    const reply = await this.request({ message, syncToFs }, ownTransfer(message));
    if ('failed' in reply) throw new Error(reply.failed);
    return (reply as { raw: Uint8Array }).raw;
  }

  async close(): Promise<void> {
    if (this.failure === null) await this.request({ close: true }, []);
    await this.worker.terminate();
  }

  private request(request: Omit<PgliteThreadRequest, 'id'>, transfer: ArrayBuffer[]): Promise<PgliteThreadReply> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ ...request, id }, transfer);
    });
  }
}

type Parsers = Record<number, (x: string, typeId?: number) => unknown>;
type Serializers = Record<number, (x: unknown) => string>;

/** Adds array parsers and serializers for every type, as PGlite builds them for itself. */
async function addArrayTypes(query: (sql: string) => Promise<{ rows: { oid: number; typarray: number }[] }>, parsers: Parsers, serializers: Serializers) {
  const { rows } = await query(
    `SELECT b.oid, b.typarray FROM pg_catalog.pg_type a LEFT JOIN pg_catalog.pg_type b ON b.oid = a.typelem
      WHERE a.typcategory = 'A' GROUP BY b.oid, b.typarray ORDER BY b.oid`,
  );
  for (const { oid, typarray } of rows) {
    serializers[typarray] = (x) => types.arraySerializer(x, serializers[oid], typarray);
    parsers[typarray] = (x) => types.arrayParser(x, parsers[oid] as (x: string) => unknown, typarray);
  }
}

/**
 * Creates a new data folder (initdb) in a short-lived child process. Done in the server's own
 * process, it would leave some 100–500 MB of memory behind (a worker thread's too, in the
 * allocator's arenas); a process that exits returns all of it.
 */
async function createDataDir(path: string, startParams: string[]): Promise<void> {
  const pglite = pathToFileURL(createRequire(import.meta.url).resolve('@electric-sql/pglite')).href;
  const privateFs = new URL('./pglite-private-fs.js', import.meta.url).href;
  const code = `const { PGlite } = await import(${JSON.stringify(pglite)});
    const { PrivateNodeFS } = await import(${JSON.stringify(privateFs)});
    process.umask(${PRIVATE_UMASK});
    const fs = new PrivateNodeFS(${JSON.stringify(path)});
    await (await PGlite.create({ fs, startParams: ${JSON.stringify(startParams)} })).close();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (exitCode !== 0) throw new Error(`creating the embedded database in ${path} failed: ${stderr.trim() || `exit ${exitCode}`}`);
}

/**
 * A FIFO lock whose waiters give up after a while: the embedded database is one connection, so
 * a slow transaction makes everyone queue, and a request must get a 503 rather than wait on.
 */
class TurnQueue {
  private busy = false;
  private readonly waiting: (() => void)[] = [];

  async run<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
    await this.acquire(timeoutMs);
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.busy = false;
    }
  }

  private acquire(timeoutMs: number): Promise<void> {
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            this.waiting.splice(this.waiting.indexOf(grant), 1);
            reject(new DatabaseFailureError('timeout', `the embedded database was busy for ${timeoutMs} ms`));
          }, timeoutMs)
        : undefined;
      this.waiting.push(grant);
    });
  }
}

/**
 * PostgreSQL settings for a process that only loads data (`bookstore import`): PGlite runs inside
 * the process, so its buffers count in the process's memory. A bulk load reads nothing back, so a
 * small buffer cache costs it little, and it needs no sort or temporary-table memory.
 */
export const PGLITE_BULK_LOAD_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '16MB',
  wal_buffers: '512kB',
  work_mem: '1MB',
  maintenance_work_mem: '4MB',
  temp_buffers: '1MB',
};

export interface PgliteOptions {
  /** PostgreSQL settings (`-c name=value` at start) over this module's defaults. */
  settings?: Readonly<Record<string, string>>;
  /** Told before and after a new folder is created: it takes seconds, and would look like a hang. */
  onCreate?: (phase: 'start' | 'done', ms: number) => void;
}

/**
 * Embedded PostgreSQL (WASM) kept in `<dataDir>/pgdata`. It is one connection, so transactions
 * run one at a time by construction (a queue orders them, and standalone statements with them;
 * a request that waits longer than `acquireTimeoutMs` for its turn fails with a 503).
 * PGlite runs no timers, so statement and lock timeouts do not apply (nor are they needed: no
 * other connection can hold a lock).
 *
 * The folder is the owner's alone: PGlite's file system chmods the files it creates to modes of
 * its own (0644/0666), which PrivateNodeFS masks, and creates folders through the process umask,
 * kept at 077 while it runs; a folder from before (or copied carelessly) is tightened at start.
 *
 * PostgreSQL runs on a thread of its own (db/pglite-worker.ts): a statement's work (a picture
 * written, a book's search terms indexed: up to a second for the largest add_book) never holds
 * the event loop, and the database and the HTTP work use a core each. Statements are prepared
 * once by name and then only bound and executed: PGlite's own `query` parses and plans every call
 * afresh, which costs more than running new_order itself.
 */
export async function openPglite(
  dataDir: string | undefined,
  timeouts: Partial<DatabaseTimeouts> = {},
  { settings = {}, onCreate }: PgliteOptions = {},
): Promise<Database> {
  const { acquireTimeoutMs } = { ...DEFAULT_DATABASE_TIMEOUTS, ...timeouts };
  let path: string | undefined;
  let unlock = () => {};
  let restoreUmask = () => {};
  if (dataDir !== undefined) {
    makePrivate(dataDir);
    path = join(dataDir, 'pgdata');
    unlock = await lockDataDir(`${path}.lock`);
    try {
      makePrivate(dataDir); // again, now that nobody else can be writing in it
    } catch (err) {
      unlock();
      throw err;
    }
    const previous = process.umask(PRIVATE_UMASK);
    restoreUmask = () => void process.umask(previous);
  }
  const parsers: Parsers = { ...types.parsers, [types.INT8]: (v: string) => Number(v) };
  const serializers: Serializers = { ...(types.serializers as Serializers) };
  // A laptop-sized buffer cache: 32 MB instead of 128 MB keeps the process well under 400 MB.
  const startParams = [
    ...PGLITE_DEFAULT_START_PARAMS,
    ...Object.entries({ shared_buffers: '32MB', ...settings }).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  ];
  let thread: PgliteThread;
  try {
    if (path !== undefined && !existsSync(join(path, 'PG_VERSION'))) {
      const started = Date.now();
      onCreate?.('start', 0);
      await createDataDir(path, startParams);
      onCreate?.('done', Date.now() - started);
    }
    thread = await PgliteThread.start({ path, startParams });
  } catch (err) {
    restoreUmask();
    unlock();
    throw err;
  }

  /** What each prepared statement takes and returns, by SQL text. */
  const prepared = new Map<string, PreparedStatement>();
  const turns = new TurnQueue();
  let inTransaction = false;

  async function send(message: Uint8Array): Promise<BackendMessage[]> {
    // Outside a transaction each statement commits; let PGlite persist it as its own query would.
    return backendMessages(await thread.run(message, !inTransaction));
  }

  async function prepare(sql: string): Promise<PreparedStatement> {
    const name = `s${prepared.size + 1}`;
    const replies = await send(concat([serialize.parse({ name, text: sql }), serialize.describe({ type: 'S', name }), SYNC]));
    const params = replies.find((m) => m.name === 'parameterDescription') as unknown as { dataTypeIDs: number[] } | undefined;
    const row = replies.find((m) => m.name === 'rowDescription') as unknown as { fields: { name: string; dataTypeID: number }[] } | undefined;
    const statement = { name, paramTypes: params?.dataTypeIDs ?? [], fields: row?.fields.map((f) => ({ name: f.name, type: f.dataTypeID })) ?? [] };
    prepared.set(sql, statement);
    return statement;
  }

  async function query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    const { name, paramTypes, fields } = prepared.get(sql) ?? (await prepare(sql));
    const values = params.map((value, i) => {
      if (value === null || value === undefined) return null;
      // Bytes go as they are, in the binary format (for bytea, the bytes themselves): PGlite's own
      // serializer spells them out as hex one byte at a time, the larger part of an import's CPU.
      if (paramTypes[i] === types.BYTEA && value instanceof Uint8Array) return value;
      const serializer = serializers[paramTypes[i]!];
      return serializer ? (serializer(value) as string) : String(value);
    });
    // The row shape is known from preparing, so no Describe: just Bind, Execute, Sync.
    const replies = await send(bindExecuteSync(name, values));
    const rows: Row[] = [];
    let rowCount = 0;
    for (const message of replies) {
      if (message.name === 'dataRow') {
        const values = (message as unknown as { fields: (string | null)[] }).fields;
        const row: Record<string, unknown> = {};
        for (let i = 0; i < fields.length; i++) {
          const value = values[i];
          row[fields[i]!.name] = value === null || value === undefined ? null : types.parseType(value, fields[i]!.type, parsers);
        }
        rows.push(row as Row);
      } else if (message.name === 'commandComplete') {
        // "UPDATE 3", "INSERT 0 1", "SELECT 2": the last word counts the rows.
        rowCount = Number((message as unknown as { text: string }).text.split(' ').pop()) || 0;
      }
    }
    return { rows, rowCount: Math.max(rowCount, rows.length) };
  }

  async function exec(sql: string): Promise<void> {
    await send(concat([serialize.query(sql), SYNC]));
  }

  const statements: Queryable = { query, exec };
  try {
    await addArrayTypes((sql) => query(sql), parsers, serializers);
  } catch (err) {
    await thread.close();
    restoreUmask();
    unlock();
    throw err;
  }

  /** One turn per attempt, so a retry queues behind the others again. */
  async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await turns.run(attempt, acquireTimeoutMs);
      } catch (err) {
        if (!shouldRetry(err, n)) throw err;
        await retryDelay(n);
      }
    }
  }

  return {
    kind: 'pglite',
    query: (sql, params) => withRetries(() => query(sql, params)),
    exec: (sql) => turns.run(() => exec(sql), acquireTimeoutMs),
    transaction: (fn) =>
      withRetries(async () => {
        await exec('BEGIN');
        inTransaction = true;
        try {
          const result = await fn(statements);
          inTransaction = false;
          await exec('COMMIT');
          return result;
        } catch (err) {
          inTransaction = false;
          await exec('ROLLBACK');
          throw err;
        }
      }),
    async close() {
      await turns.run(() => thread.close(), Infinity);
      restoreUmask();
      unlock();
    },
  };
}
