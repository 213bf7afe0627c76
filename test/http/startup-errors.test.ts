import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { failedStart, freePort, launchServer, serverDatabase } from '../helpers/process.js';

/**
 * A start that cannot succeed ends at once with one line naming what to change, and exit code 2
 * when it is the configuration. Those needing a running PostgreSQL skip without DATABASE_URL.
 */
const root = mkdtempSync(path.join(tmpdir(), 'bookstore-startup-errors-'));
after(() => rmSync(root, { recursive: true, force: true }));
const folder = (name: string) => path.join(root, name);
const needsPostgres = process.env.DATABASE_URL ? false : 'needs DATABASE_URL (a running PostgreSQL)';

/** The last line on stderr/stdout: the one saying why. */
const lastLine = (output: string) => output.trim().split('\n').at(-1) ?? '';

describe('configuration values: every numeric variable says its range', () => {
  const NUMERIC = [
    'PORT',
    'BOOKSTORE_ORDER_TIMEOUT_S',
    'BOOKSTORE_TOKEN_TTL_S',
    'BOOKSTORE_SCRYPT_LOG_N',
    'BOOKSTORE_DB_POOL_SIZE',
    'BOOKSTORE_WORKERS',
    'BOOKSTORE_DRAIN_S',
    'BOOKSTORE_DB_WAIT_S',
    'BOOKSTORE_DB_ACQUIRE_TIMEOUT_MS',
    'BOOKSTORE_DB_STATEMENT_TIMEOUT_MS',
    'BOOKSTORE_DB_LOCK_TIMEOUT_MS',
    'BOOKSTORE_DB_IDLE_TX_TIMEOUT_MS',
    'BOOKSTORE_HEADERS_TIMEOUT_MS',
    'BOOKSTORE_REQUEST_TIMEOUT_MS',
    'BOOKSTORE_KEEP_ALIVE_TIMEOUT_MS',
    'BOOKSTORE_MAX_CONNECTIONS',
  ];
  for (const name of NUMERIC) {
    test(`${name}: -1, 1.5 and a value past the range are refused with "must be a whole number between …"`, () => {
      for (const value of ['-1', '1.5', '99999999999']) {
        assert.throws(
          () => loadConfig({ BOOKSTORE_SECRET: 'x'.repeat(32), DATABASE_URL: 'postgres://u@h/db', [name]: value }),
          (err: unknown) => err instanceof ConfigError && new RegExp(`^${name} must be a whole number between \\d+ and \\d+.*, got "${value.replace('.', '\\.')}"$`).test(err.message),
        );
      }
    });
  }

  test('BOOKSTORE_ORDER_TIMEOUT_S=-1: exit 2, one line with the range', { timeout: 60_000 }, async () => {
    const { code, output } = await failedStart(folder('range'), { BOOKSTORE_ORDER_TIMEOUT_S: '-1' });
    assert.equal(code, 2, output);
    assert.equal(output.trim(), 'bookstore: configuration error: BOOKSTORE_ORDER_TIMEOUT_S must be a whole number between 1 and 31536000, got "-1"');
  });

  test('BOOKSTORE_DB_WAIT_S defaults to 10 seconds', () => {
    assert.equal(loadConfig({ BOOKSTORE_SECRET: 'x'.repeat(32), DATABASE_URL: 'postgres://u@h/db' }).dbWaitS, 10);
  });
});

describe('an unusable BOOKSTORE_DATA_DIR', () => {
  test('under /proc: exit 2 at once, naming the variable (Node’s recursive mkdir used to spin a core forever)', { timeout: 60_000 }, async () => {
    const started = Date.now();
    const { code, output } = await failedStart('/proc/bookstore-x');
    assert.equal(code, 2, output);
    assert.match(lastLine(output), /^bookstore: configuration error: BOOKSTORE_DATA_DIR=\/proc\/bookstore-x cannot be used: no folder can be created at \/proc\/bookstore-x \(ENOENT\); set BOOKSTORE_DATA_DIR to a folder/);
    assert.ok(Date.now() - started < 30_000, 'refused at once');
  });

  test('a file, or a path through a file: exit 2, naming the file', { timeout: 60_000 }, async () => {
    const file = folder('a-file');
    writeFileSync(file, 'x');
    for (const dataDir of [file, path.join(file, 'data')]) {
      const { code, output } = await failedStart(dataDir);
      assert.equal(code, 2, output);
      assert.match(lastLine(output), new RegExp(`BOOKSTORE_DATA_DIR=${dataDir} cannot be used: ${file} is a file, not a folder \\(ENOTDIR\\)`));
    }
  });

  test('a folder the user may not write: exit 2 with the real reason (EACCES), naming the variable', { timeout: 60_000 }, async (t) => {
    // Run as nobody inside a root-only folder; as another user, a folder without write permission does the same.
    const asNobody = process.getuid?.() === 0;
    const parent = folder('private');
    if (process.platform === 'win32') return t.skip('no POSIX permissions');
    mkdirSync(parent, { mode: asNobody ? 0o700 : 0o500 });
    const dataDir = path.join(parent, 'data');
    const child = spawn(process.execPath, ['build/src/main.js'], {
      cwd: PROJECT_ROOT,
      // NODE_V8_COVERAGE named (empty) so that Node does not pass coverage on to a process that
      // could not write it as nobody (npm run coverage).
      env: { PATH: process.env.PATH, BOOKSTORE_DATA_DIR: dataDir, PORT: String(await freePort()), NODE_V8_COVERAGE: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asNobody ? { uid: 65534, gid: 65534 } : {}),
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 2, output);
    assert.match(lastLine(output), new RegExp(`BOOKSTORE_DATA_DIR=${dataDir} cannot be used: permission denied on ${dataDir} \\(EACCES\\)`));
  });
});

describe('the port', () => {
  test('in use: exit 2, "port N is in use — set PORT to another port"', { timeout: 180_000 }, async () => {
    const database = await serverDatabase('bookstore_startup');
    const holder = net.createServer();
    const port = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as net.AddressInfo).port)));
    try {
      // A new embedded folder runs initdb first: slow on a busy machine.
      const server = launchServer(folder('port'), database.env, port);
      const timer = setTimeout(() => server.child.kill('SIGKILL'), 170_000);
      const code = await server.exited;
      clearTimeout(timer);
      assert.equal(code, 2, server.output());
      assert.equal(lastLine(server.output()), `bookstore: port ${port} is in use — set PORT to another port (or stop what listens on it)`);
    } finally {
      holder.close();
      await database.drop();
    }
  });
});

describe('PostgreSQL (DATABASE_URL)', () => {
  // Nothing listens on port 1: no running PostgreSQL needed.
  test('unreachable: waits BOOKSTORE_DB_WAIT_S saying so, then exit 1 "cannot reach PostgreSQL at host:port"', { timeout: 60_000 }, async () => {
    const started = Date.now();
    const { code, output } = await failedStart(folder('unreachable'), { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/bookstore', BOOKSTORE_DB_WAIT_S: '2' });
    assert.equal(code, 1, output);
    assert.match(output, /waiting for PostgreSQL at 127\.0\.0\.1:1… \(up to 2 s, BOOKSTORE_DB_WAIT_S\)/);
    assert.equal(
      lastLine(output),
      'bookstore: cannot reach PostgreSQL at 127.0.0.1:1 (DATABASE_URL): is PostgreSQL running on 127.0.0.1:1? (waited 2 s, BOOKSTORE_DB_WAIT_S)',
    );
    assert.ok(Date.now() - started >= 2000, 'waited');
  });

  test('BOOKSTORE_DB_WAIT_S=0: no waiting', { timeout: 60_000 }, async () => {
    const { code, output } = await failedStart(folder('no-wait'), { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/bookstore', BOOKSTORE_DB_WAIT_S: '0' });
    assert.equal(code, 1, output);
    assert.doesNotMatch(output, /waiting for PostgreSQL/);
    assert.equal(lastLine(output), 'bookstore: cannot reach PostgreSQL at 127.0.0.1:1 (DATABASE_URL): is PostgreSQL running on 127.0.0.1:1?');
  });

  test('the database does not exist: exit 2 with the createdb command', { skip: needsPostgres, timeout: 60_000 }, async () => {
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = '/bookstore_no_such_database';
    const { code, output } = await failedStart(folder('no-db'), { DATABASE_URL: url.toString() });
    assert.equal(code, 2, output);
    const user = decodeURIComponent(url.username) || 'postgres';
    assert.equal(
      lastLine(output),
      `bookstore: database bookstore_no_such_database does not exist (DATABASE_URL): create it with \`createdb -h ${url.hostname} -p ${url.port || 5432} -U ${user} bookstore_no_such_database\``,
    );
  });

  test('the login is refused: exit 2, naming the user and never the password', { skip: needsPostgres, timeout: 60_000 }, async () => {
    const url = new URL(process.env.DATABASE_URL!);
    url.username = 'bookstore_no_such_user';
    url.password = 'hunter2-secret';
    const { code, output } = await failedStart(folder('no-user'), { DATABASE_URL: url.toString() });
    assert.equal(code, 2, output);
    assert.match(lastLine(output), /^bookstore: PostgreSQL at .* refused (user|the password of user) bookstore_no_such_user \(DATABASE_URL\)/);
    assert.doesNotMatch(output, /hunter2/);
  });
});
