import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { prettyLine } from '../../src/observability/pretty-line.js';
import { freePort, launchServer, serverDatabase, sleep, stopServer, type ServerProcess } from '../helpers/process.js';
import { DB_KIND } from '../helpers/server.js';

/**
 * What an operator reads: the start banner, the first run's initdb announced, one line per
 * request (with why it failed), and a line once the server has stopped. Off a terminal the
 * lines are JSON, one object per line.
 */
type Entry = Record<string, unknown> & { msg: string; level: number };

/** stdout's JSON lines (stderr has none of these). */
function entries(output: string): Entry[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Entry);
}

async function waitForEntry(server: ServerProcess, match: (e: Entry) => boolean, what: string): Promise<Entry> {
  // Lines are written in batches, at most 200 ms late.
  for (let i = 0; i < 100; i++) {
    const found = entries(server.output()).find(match);
    if (found) return found;
    await sleep(50);
  }
  assert.fail(`no log line ${what}:\n${server.output()}`);
}

describe(`operator logs (${DB_KIND})`, () => {
  const root = mkdtempSync(path.join(tmpdir(), 'bookstore-operator-logs-'));
  const dataDir = path.join(root, 'new-folder');
  let database: Awaited<ReturnType<typeof serverDatabase>>;
  let server: ServerProcess;

  before(async () => {
    database = await serverDatabase('bookstore_oplogs');
    server = launchServer(dataDir, { ...database.env, LOG_LEVEL: 'info' }, await freePort());
    // initdb on a new folder takes from seconds to over a minute on a busy machine.
    for (let i = 0; i < 2400; i++) {
      if (server.child.exitCode !== null) assert.fail(`server exited:\n${server.output()}`);
      if (await fetch(`${server.url}/healthz`).then((r) => r.ok, () => false)) return;
      await sleep(100);
    }
    assert.fail(`server did not start:\n${server.output()}`);
  });
  after(async () => {
    if (server) await stopServer(server, 'SIGKILL');
    await database.drop();
    rmSync(root, { recursive: true, force: true });
  });

  test('a new embedded folder: "creating the embedded database (first run)…" before initdb, and a line when done', { skip: DB_KIND !== 'pglite' }, () => {
    const all = entries(server.output());
    const creating = all.findIndex((e) => e.msg === `creating the embedded database (first run) in ${dataDir}…`);
    const created = all.findIndex((e) => /^embedded database created in \d+\.\d s$/.test(e.msg));
    assert.ok(creating >= 0 && created > creating, server.output());
  });

  test('the banner: URL, docs URL, database, data folder, role, processes', async () => {
    const url = `http://127.0.0.1:${server.port}/`;
    const line = await waitForEntry(server, (e) => e.msg.startsWith('bookstore listening on'), 'with the banner');
    assert.equal(line.url, url);
    assert.equal(line.docs, `http://127.0.0.1:${server.port}/docs`);
    assert.equal(line.role, 'all');
    assert.equal(line.workers, 1);
    assert.match(line.msg, new RegExp(`^bookstore listening on ${url} · docs ${url}docs · database: `));
    if (DB_KIND === 'pglite') {
      assert.equal(line.database, `embedded (PGlite) in ${dataDir}`);
      assert.equal(line.dataDir, dataDir);
      assert.match(line.msg, new RegExp(`data folder: ${dataDir} · role: all \\(API and background jobs\\) · 1 server process$`));
    } else {
      const target = new URL(database.url!);
      assert.equal(line.database, `PostgreSQL ${target.hostname}:${target.port || 5432}${target.pathname}`);
      assert.doesNotMatch(server.output(), /:[^@/]*@/, 'no password, nor the URL with one');
    }
  });

  test('one line per request, with the path, status, time and, for a failure, its reason; an unknown path as it was asked', async () => {
    const ok = await fetch(`${server.url}/healthz`);
    const unknown = await fetch(`${server.url}/no/such/endpoint?q=1`);
    const invalid = await fetch(`${server.url}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user_id":"x"}' });
    const login = await fetch(`${server.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 'nobody-here', password: 'pw', terminal: 't' }),
    });
    const expected: [Response, string, number, RegExp][] = [
      [ok, '/healthz', 200, /^GET \/healthz 200 [\d.]+ ms$/],
      [unknown, '/no/such/endpoint', 404, /^GET \/no\/such\/endpoint 404 [\d.]+ ms — no such endpoint: GET \/no\/such\/endpoint$/],
      [invalid, '/auth/register', 400, /^POST \/auth\/register 400 [\d.]+ ms — FST_ERR_VALIDATION: password: is required$/],
      [login, '/auth/login', 401, /^POST \/auth\/login 401 [\d.]+ ms — UNKNOWN_USER: /],
    ];
    for (const [response, path, status, msg] of expected) {
      assert.equal(response.status, status);
      const id = response.headers.get('x-request-id')!;
      await waitForEntry(server, (e) => e.reqId === id, `for request ${id}`);
      const lines = entries(server.output()).filter((e) => e.reqId === id);
      assert.equal(lines.length, 1, `exactly one line for ${path}:\n${server.output()}`);
      const [line] = lines;
      assert.equal(line!.path, path);
      assert.equal(line!.status, status);
      assert.equal(typeof line!.ms, 'number');
      assert.match(line!.msg, msg);
      if (status >= 400) assert.equal(typeof line!.reason, 'string');
      else assert.equal(line!.reason, undefined);
    }
  });

  test('every stdout line is JSON off a terminal', () => {
    const lines = server.output().split('\n').filter((l) => l.trim() !== '');
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line);
  });

  test('SIGTERM: "stopped" is the last line, exit 0', async () => {
    assert.equal(await stopServer(server, 'SIGTERM'), 0);
    const all = entries(server.output());
    assert.equal(all.at(-1)?.msg, 'stopped', server.output());
    assert.equal(all.at(-1)?.signal, 'SIGTERM');
  });
});

describe('on a terminal: one line per entry', () => {
  test('an access line: time, level, method, path, status, time and reason on one line', () => {
    const json = JSON.stringify({
      level: 30,
      time: Date.UTC(2026, 0, 1, 12, 0, 0, 5),
      reqId: 'r1',
      method: 'GET',
      path: '/x',
      status: 404,
      ms: 1.2,
      reason: 'no such endpoint: GET /x',
      msg: 'GET /x 404 1.2 ms — no such endpoint: GET /x',
    });
    const out = prettyLine(json, false);
    assert.match(out, /^\d\d:\d\d:\d\d\.\d{3} INFO  GET \/x 404 1\.2 ms — no such endpoint: GET \/x\n$/);
  });

  test('fields the message does not say follow it on the same line; an error adds its stack below only at error level', () => {
    assert.match(prettyLine(JSON.stringify({ level: 40, time: 0, msg: 'connection limit reached', maxConnections: 5 }), false), /^\S+ WARN  connection limit reached {2}maxConnections=5\n$/);
    const err = { message: 'boom', stack: 'Error: boom\n    at x (y.js:1:1)' };
    const out = prettyLine(JSON.stringify({ level: 50, time: 0, msg: 'GET /y 500 2 ms', err }), false);
    assert.equal(out.split('\n')[0]!.endsWith('GET /y 500 2 ms  err=boom'), true, out);
    assert.match(out, /\n {4}Error: boom\n/);
  });
});

describe('--workers 2: the supervisor and its processes, each line saying who', { skip: process.env.DATABASE_URL ? false : 'needs DATABASE_URL (several processes)' }, () => {
  test('one banner, each process listening and stopped, then the supervisor\'s "stopped" last', { timeout: 180_000 }, async () => {
    const database = await serverDatabase('bookstore_oplogs_workers');
    const server = launchServer(path.join(tmpdir(), 'bookstore-oplogs-unused'), { ...database.env, LOG_LEVEL: 'info', BOOKSTORE_WORKERS: '2' }, await freePort());
    try {
      const listening = (i: number) => new RegExp(`server process ${i} \\(pid \\d+\\) listening`).test(server.output());
      for (let i = 0; i < 1500 && !(listening(0) && listening(1)); i++) await sleep(100);
      assert.equal(await stopServer(server, 'SIGTERM'), 0);
      const all = entries(server.output());
      assert.equal(all.filter((e) => e.msg.startsWith('bookstore listening on')).length, 1, server.output());
      assert.equal(all.find((e) => e.msg.startsWith('bookstore listening on'))?.workers, 2);
      for (const i of [0, 1]) {
        assert.ok(all.some((e) => new RegExp(`^server process ${i} \\(pid \\d+\\) listening$`).test(e.msg)), server.output());
        assert.ok(all.some((e) => e.msg === `server process ${i} stopped`), server.output());
      }
      assert.equal(all.at(-1)?.msg, 'stopped');
      assert.equal(all.at(-1)?.pid, server.child.pid, 'the supervisor has the last word');
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
      await database.drop();
    }
  });
});
