import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { withOfflineApp } from '../../src/openapi/generate.js';
import { Api, newStore, uid } from '../helpers/client.js';
import { createScratchDatabase, DB_KIND, useServer } from '../helpers/server.js';
import { PROJECT_ROOT } from '../../src/paths.js';

const repoRoot = PROJECT_ROOT;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A database for a spawned server: a fresh PostgreSQL database, or PGlite in the data folder. */
async function serverDatabase(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) return { env: {}, drop: async () => {} };
  const scratch = await createScratchDatabase(url, 'bookstore_ops');
  return { env: { DATABASE_URL: scratch.url }, drop: scratch.drop };
}

interface Spawned {
  child: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<number | null>;
}

// What `npm start` runs, after its prestart step has compiled the sources (npm test does too).
const NPM_START = ['--enable-source-maps', 'build/src/main.js'];
const BOOKSTORE_SERVE = ['bin/bookstore.js', 'serve'];

/** The real server process (`npm start`, or `bookstore serve`) on a free port, JSON logs captured. */
async function spawnServer(dataDir: string, dbEnv: Record<string, string>, command = NPM_START): Promise<Spawned> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    BOOKSTORE_DATA_DIR: dataDir,
    BOOKSTORE_SCRYPT_LOG_N: '10',
    LOG_LEVEL: 'trace',
    ...dbEnv,
  };
  if (!dbEnv.DATABASE_URL) delete env.DATABASE_URL;
  const child = spawn(process.execPath, command, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 45_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url, output: () => output, exited };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
    }),
  ]);
}

describe(`operations: a real server process (${DB_KIND})`, () => {
  let dataDir: string;
  let database: Awaited<ReturnType<typeof serverDatabase>>;
  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'bookstore-ops-'));
    database = await serverDatabase();
  });
  after(async () => {
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('SIGTERM: a request in flight completes, new connections are refused, the process exits 0; logs hold no secret', { timeout: 150_000 }, async () => {
    const server = await spawnServer(dataDir, database.env);
    const api = new Api(server.url);
    try {
      // Some traffic with secrets, to look for them in the logs afterwards.
      const secretPassword = `pw-${randomUUID()}`;
      const userId = uid('ops');
      assert.equal((await api.post('/auth/register', { user_id: userId, password: secretPassword })).status, 200);
      const login = await api.post('/auth/login', { user_id: userId, password: secretPassword, terminal: 't' });
      assert.equal(login.status, 200);
      const token = login.body.token as string;
      const logout = await fetch(`${server.url}/auth/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', token },
        body: JSON.stringify({ user_id: userId }),
      });
      assert.equal(logout.status, 200);
      const requestId = logout.headers.get('x-request-id');

      // A registration whose body is half sent when SIGTERM arrives.
      const inFlightUser = uid('inflight');
      const body = JSON.stringify({ user_id: inFlightUser, password: secretPassword });
      const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(`${server.url}/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        req.write(body.slice(0, 10));
        setTimeout(() => {
          server.child.kill('SIGTERM');
          setTimeout(async () => {
            try {
              assert.equal(server.child.exitCode, null, 'still running while a request is in flight');
              // No new connections once shutdown began.
              await assert.rejects(fetch(`${server.url}/healthz`));
              req.end(body.slice(10));
            } catch (err) {
              reject(err);
            }
          }, 700);
        }, 300);
      });
      const done = await withTimeout(answer, 10_000, 'in-flight request');
      assert.equal(done.status, 200, done.body);
      assert.deepEqual(JSON.parse(done.body), { message: 'ok' });
      assert.equal(await withTimeout(server.exited, 12_000, 'exit after SIGTERM'), 0);

      const logs = server.output();
      assert.match(logs, /"signal":"SIGTERM".*shutting down/);
      assert.ok(!logs.includes(secretPassword), 'no password in the logs');
      assert.ok(!logs.includes(token), 'no token in the logs');
      // JSON lines, each request's lines carrying its id (the one the response named).
      const lines = logs.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      const ofLogout = lines.filter((l) => l.reqId === requestId);
      assert.ok(ofLogout.length >= 1, `request ${requestId} has its access line`);

      // The in-flight registration was committed: after a restart (this time as `bookstore serve`) the user can log in.
      const again = await spawnServer(dataDir, database.env, BOOKSTORE_SERVE);
      try {
        const relogin = await new Api(again.url).post('/auth/login', { user_id: inFlightUser, password: secretPassword, terminal: 't' });
        assert.equal(relogin.status, 200);
        again.child.kill('SIGINT');
        assert.equal(await withTimeout(again.exited, 12_000, 'exit after SIGINT'), 0);
      } finally {
        if (again.child.exitCode === null) again.child.kill('SIGKILL');
      }
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }
  });
});

describe(`operations: body limit and timeouts (${DB_KIND})`, () => {
  const { server, api } = useServer();

  test('add_book with several MB of pictures is accepted', async () => {
    const shop = await newStore(api, []);
    const picture = Buffer.alloc(450 * 1024, 7).toString('base64'); // ~600 KB of base64
    const pictures = Array.from({ length: 12 }, () => picture); // ~7 MB
    const res = await api.post(
      '/seller/add_book',
      { user_id: shop.seller.userId, store_id: shop.storeId, book_info: { id: 'big', title: 'Big pictures', pictures }, stock_level: 1 },
      shop.seller.token,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { rows } = await server.db.query<{ n: number; bytes: number }>(
      'SELECT count(*)::int AS n, sum(length(data))::int AS bytes FROM book_pictures WHERE store_id = $1',
      [shop.storeId],
    );
    assert.deepEqual(rows[0], { n: 12, bytes: 12 * 450 * 1024 });
  });

  const send = (headers: Record<string, string | number>, chunks: Buffer[]) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${server.url}/seller/add_book`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      // The server may stop reading once it has answered; that is its right.
      req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'EPIPE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
      (async () => {
        for (const c of chunks) if (!req.write(c)) await new Promise((r) => req.once('drain', r));
        req.end();
      })().catch(() => {});
    });

  const oversized = () => {
    const head = Buffer.from('{"user_id":"u","store_id":"s","book_info":{"id":"b","pictures":["');
    const filler = Buffer.alloc(1024 * 1024, 'A');
    const tail = Buffer.from('"]},"stock_level":1}');
    return [head, ...Array.from({ length: 33 }, () => filler), tail];
  };

  test('a body over 32 MiB is refused with 413 and a JSON message (declared length)', async () => {
    const chunks = oversized();
    const length = chunks.reduce((n, c) => n + c.length, 0);
    const res = await send({ 'content-length': length }, chunks);
    assert.equal(res.status, 413);
    assert.match((JSON.parse(res.body) as { message: string }).message, /^request body too large/);
  });

  test('a body over 32 MiB is refused with 413 and a JSON message (chunked, no length)', async () => {
    const res = await send({ 'transfer-encoding': 'chunked' }, oversized());
    assert.equal(res.status, 413);
    assert.equal(typeof JSON.parse(res.body).message, 'string');
  });

  test('server timeouts are set from the configuration: slow clients cannot hold connections forever', async () => {
    await withOfflineApp(async ({ server: app }) => {
      const s = app.server;
      assert.ok(s.requestTimeout > 0 && s.requestTimeout <= 120_000, `requestTimeout ${s.requestTimeout}`);
      assert.ok(s.headersTimeout > 0 && s.headersTimeout <= s.requestTimeout, `headersTimeout ${s.headersTimeout}`);
      assert.equal(s.keepAliveTimeout, 5_000, 'idle keep-alive connections close after BOOKSTORE_KEEP_ALIVE_TIMEOUT_MS');
      assert.equal(s.maxConnections, 1024);
      assert.ok(s.timeout > 0, 'idle sockets are closed');
    });
  });
});
