import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { serverDatabase, sleep, spawnServer, stopServer, type ServerProcess } from '../helpers/process.js';
import { DB_KIND } from '../helpers/server.js';

interface Conversation {
  socket: net.Socket;
  /** Everything the server sent. */
  received(): string;
  /** Resolves with the milliseconds from connecting until the server closed the connection. */
  closed: Promise<number>;
}

/** A raw TCP connection to the server, so the test controls every byte and its timing. */
function connect(port: number): Promise<Conversation> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
    socket.on('error', () => {}); // a reset is one way of being closed
    const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now() - started)));
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

/** Writes `chunks` one every `everyMs` until the connection closes. */
function trickle(c: Conversation, chunks: string[], everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (c.socket.destroyed || i >= chunks.length) return clearInterval(timer);
    c.socket.write(chunks[i++]!);
  }, everyMs);
  void c.closed.then(() => clearInterval(timer));
}

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`${what}: not within ${ms} ms`)))]);

describe(`HTTP limits of the real server (${DB_KIND})`, () => {
  let dataDir: string;
  let database: Awaited<ReturnType<typeof serverDatabase>>;
  let server: ServerProcess;
  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'bookstore-http-'));
    database = await serverDatabase('bookstore_http');
    server = await spawnServer(dataDir, {
      ...database.env,
      BOOKSTORE_HEADERS_TIMEOUT_MS: '1500',
      BOOKSTORE_REQUEST_TIMEOUT_MS: '3000',
      BOOKSTORE_KEEP_ALIVE_TIMEOUT_MS: '1000',
      BOOKSTORE_MAX_CONNECTIONS: '8',
    });
  });
  after(async () => {
    await stopServer(server);
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a client trickling its request head is answered 408 and cut off at the headers timeout', { timeout: 20_000 }, async () => {
    const c = await connect(server.port);
    c.socket.write('POST /auth/login HTTP/1.1\r\nHost: x\r\n');
    trickle(c, Array.from({ length: 200 }, (_, i) => `x-pad-${i}: a\r\n`), 200);
    const ms = await within(c.closed, 6000, 'connection closed');
    assert.ok(ms >= 1400, `closed after ${ms} ms`);
    assert.match(c.received(), /^HTTP\/1\.1 408 /);
  });

  test('a client trickling its body is cut off at the request timeout', { timeout: 20_000 }, async () => {
    const c = await connect(server.port);
    c.socket.write('POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    trickle(c, Array.from({ length: 900 }, () => ' '), 100);
    const ms = await within(c.closed, 8000, 'connection closed');
    assert.ok(ms >= 2900, `closed after ${ms} ms`);
    assert.match(c.received(), /^HTTP\/1\.1 408 /);
  });

  test('an idle keep-alive connection is closed at the keep-alive timeout', { timeout: 20_000 }, async () => {
    const c = await connect(server.port);
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const ms = await within(c.closed, 5000, 'connection closed');
    assert.match(c.received(), /^HTTP\/1\.1 200 /);
    assert.ok(ms >= 900, `closed after ${ms} ms`);
  });

  test('connections beyond the cap are closed at once; the server serves again when they go', { timeout: 20_000 }, async () => {
    await sleep(1200); // the test's earlier keep-alive connections are gone by now
    const held = await Promise.all(Array.from({ length: 8 }, () => connect(server.port)));
    for (const c of held) c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'); // heads not finished: they stay
    await sleep(200);
    const extra = await connect(server.port);
    extra.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await within(extra.closed, 1000, 'the extra connection closed');
    assert.equal(extra.received(), '');
    for (const c of held) assert.equal(c.socket.destroyed, false, 'the first connections are kept');
    for (const c of held) c.socket.destroy();
    await sleep(100);
    const again = await fetch(`${server.url}/healthz`, { headers: { connection: 'close' } });
    assert.equal(again.status, 200);
  });

  test('shutting down: a request in flight completes; one arriving behind it on its connection gets 503 with Retry-After', { timeout: 30_000 }, async () => {
    const c = await connect(server.port);
    const body = JSON.stringify({ user_id: 'nobody-here', password: 'x', terminal: 't' });
    c.socket.write(`POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
    await sleep(300);
    server.child.kill('SIGTERM');
    await sleep(500);
    // The rest of the first request, and a second one pipelined behind it.
    c.socket.write(`${body.slice(5)}GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`);
    await within(c.closed, 10_000, 'connection closed');
    const responses = c.received().split(/(?=HTTP\/1\.1 )/);
    assert.match(responses[0]!, /^HTTP\/1\.1 401 /);
    assert.match(responses[1]!, /^HTTP\/1\.1 503 /);
    assert.match(responses[1]!, /\r\nretry-after: 1\r\n/i);
    assert.equal(await server.exited, 0);
  });
});

describe('HTTP and database limits: defaults and validation', () => {
  test('defaults: headers 10 s, request 60 s, keep-alive 5 s, 1024 connections; database acquire 5 s, statement 10 s, lock 5 s, idle transaction 30 s', () => {
    const { limits } = loadConfig({ BOOKSTORE_SECRET: 'x'.repeat(32) });
    assert.deepEqual(limits, {
      db: { acquireTimeoutMs: 5000, statementTimeoutMs: 10_000, lockTimeoutMs: 5000, idleInTransactionTimeoutMs: 30_000 },
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 60_000,
      keepAliveTimeoutMs: 5000,
      maxConnections: 1024,
    });
  });

  for (const [name, value, message] of [
    ['BOOKSTORE_DB_ACQUIRE_TIMEOUT_MS', '0', /BOOKSTORE_DB_ACQUIRE_TIMEOUT_MS must be a whole number between 100 and 600000 \(milliseconds\), got "0"/],
    ['BOOKSTORE_DB_STATEMENT_TIMEOUT_MS', 'soon', /BOOKSTORE_DB_STATEMENT_TIMEOUT_MS must be a whole number between 100 and 3600000 \(milliseconds\)/],
    ['BOOKSTORE_DB_LOCK_TIMEOUT_MS', '99', /between 100 and 3600000/],
    ['BOOKSTORE_DB_IDLE_TX_TIMEOUT_MS', '3600001', /between 100 and 3600000/],
    ['BOOKSTORE_HEADERS_TIMEOUT_MS', '100', /BOOKSTORE_HEADERS_TIMEOUT_MS must be a whole number between 500 and 600000/],
    ['BOOKSTORE_REQUEST_TIMEOUT_MS', '5000', /BOOKSTORE_HEADERS_TIMEOUT_MS \(10000\) must not exceed BOOKSTORE_REQUEST_TIMEOUT_MS \(5000\)/],
    ['BOOKSTORE_KEEP_ALIVE_TIMEOUT_MS', '-1', /must be a whole number/],
    ['BOOKSTORE_MAX_CONNECTIONS', '0', /BOOKSTORE_MAX_CONNECTIONS must be a whole number between 1 and 1000000, got "0"/],
  ] as const) {
    test(`${name}=${value} is refused, saying the range`, () => {
      assert.throws(() => loadConfig({ BOOKSTORE_SECRET: 'x'.repeat(32), [name]: value }), message);
    });
  }
});
