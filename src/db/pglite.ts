import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Mutex, PGlite, protocol, types } from '@electric-sql/pglite';
import type { Database, Queryable, QueryResult } from './database.js';
import { lockDataDir } from './data-dir-lock.js';

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
 * Creates a new data folder (initdb) in a short-lived child process. Done in the server's own
 * process, it would leave some 100–500 MB of memory behind (a worker thread's too, in the
 * allocator's arenas); a process that exits returns all of it.
 */
async function createDataDir(path: string, startParams: string[]): Promise<void> {
  const pglite = pathToFileURL(createRequire(import.meta.url).resolve('@electric-sql/pglite')).href;
  const code = `const { PGlite } = await import(${JSON.stringify(pglite)});
    await (await PGlite.create(${JSON.stringify(path)}, { startParams: ${JSON.stringify(startParams)} })).close();`;
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
 * Embedded PostgreSQL (WASM) kept in `<dataDir>/pgdata`. It is one connection, so transactions
 * run one at a time by construction (a mutex queues them, and standalone statements with them).
 *
 * Statements are prepared once by name and then only bound and executed: PGlite's own `query`
 * parses and plans every call afresh, which costs more than running new_order itself.
 */
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  let path: string | undefined;
  let unlock = () => {};
  if (dataDir !== undefined) {
    mkdirSync(dataDir, { recursive: true });
    path = join(dataDir, 'pgdata');
    unlock = lockDataDir(`${path}.lock`);
  }
  const options = {
    parsers: { [types.INT8]: (v: string) => Number(v) },
    // A laptop-sized buffer cache: 32 MB instead of 128 MB keeps the process well under 400 MB.
    startParams: [...PGLITE_DEFAULT_START_PARAMS, '-c', 'shared_buffers=32MB'],
  };
  if (path !== undefined && !existsSync(join(path, 'PG_VERSION'))) await createDataDir(path, options.startParams);
  const db = await PGlite.create(path, options);

  /** What each prepared statement takes and returns, by SQL text. */
  const prepared = new Map<string, PreparedStatement>();
  const transactions = new Mutex();
  let inTransaction = false;

  async function send(message: Uint8Array) {
    // Outside a transaction each statement commits; let PGlite persist it as its own query would.
    return db.runExclusive(() => db.execProtocolStream(message, { syncToFs: !inTransaction }));
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
      const serializer = db.serializers[paramTypes[i]!];
      return serializer ? serializer(value) : String(value);
    });
    // The row shape is known from preparing, so no Describe: just Bind, Execute, Sync.
    const replies = await send(concat([serialize.bind({ statement: name, values }), EXECUTE_AND_SYNC]));
    const rows: Row[] = [];
    let rowCount = 0;
    for (const message of replies) {
      if (message.name === 'dataRow') {
        const values = (message as unknown as { fields: (string | null)[] }).fields;
        const row: Record<string, unknown> = {};
        for (let i = 0; i < fields.length; i++) {
          const value = values[i];
          row[fields[i]!.name] = value === null || value === undefined ? null : types.parseType(value, fields[i]!.type, db.parsers);
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

  return {
    kind: 'pglite',
    query: (sql, params) => transactions.runExclusive(() => query(sql, params)),
    exec: (sql) => transactions.runExclusive(() => exec(sql)),
    transaction: (fn) =>
      transactions.runExclusive(async () => {
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
      await transactions.runExclusive(() => db.close());
      unlock();
    },
  };
}
