import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { Api, uid } from '../helpers/client.js';
import { failedStart, sleep, spawnServer, stopServer } from '../helpers/process.js';
import { DB_KIND } from '../helpers/server.js';
import { waitUntil } from '../helpers/faults.js';

const moduleUrl = (file: string) => pathToFileURL(path.join(PROJECT_ROOT, 'build', 'src', file)).href;

/** Runs an ES module snippet in a fresh Node process; resolves with its stdout once it exits. */
function runNode(code: string, options: { uid?: number; gid?: number } = {}): { done: Promise<string>; output(): string; kill(): void; release(): void } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'pipe'], ...options });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const done = new Promise<string>((resolve) => child.once('close', () => resolve(out)));
  return { done, output: () => out, kill: () => child.kill('SIGKILL'), release: () => child.stdin.end() };
}

/**
 * A process that tries to lock `lockPath` at `startAt` (so that all racers try in the same
 * instant, as far as the machine allows), prints "won" or "lost: why", and holds a won lock
 * until released (its stdin closed): every racer, however late, tries while it is held.
 */
function racer(lockPath: string, startAt: number, platform?: string) {
  return runNode(`
    const { lockDataDir } = await import(${JSON.stringify(moduleUrl('db/data-dir-lock.js'))});
    await new Promise((r) => setTimeout(r, ${startAt} - Date.now()));
    try {
      await lockDataDir(${JSON.stringify(lockPath)}${platform ? `, ${JSON.stringify(platform)}` : ''});
      console.log('won');
      process.stdin.resume();
      process.stdin.on('end', () => process.exit(0));
    } catch (err) {
      console.log('lost: ' + err.message);
      process.exit(0);
    }`);
}

/** Every file and folder under dir (dir included) whose mode lets anyone but the owner in. */
function notPrivate(dir: string): string[] {
  const loose: string[] = [];
  const visit = (p: string) => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    if ((st.mode & 0o077) !== 0) loose.push(`${path.relative(dir, p) || '.'} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const name of readdirSync(p)) visit(path.join(p, name));
  };
  visit(dir);
  return loose;
}

/** What an older version, or a careless copy, leaves: everything readable and writable by all. */
function loosen(dir: string): void {
  const visit = (p: string) => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) return;
    chmodSync(p, st.isDirectory() ? 0o777 : 0o666);
    if (st.isDirectory()) for (const name of readdirSync(p)) visit(path.join(p, name));
  };
  visit(dir);
}

describe('embedded data folder lock: exactly one holder, nothing stale', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'bookstore-lock-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  async function race(lockPath: string, racers: number, platform?: string): Promise<string[]> {
    const startAt = Date.now() + 1500; // time for every process to load first
    const runs = Array.from({ length: racers }, () => racer(lockPath, startAt, platform));
    await waitUntil('every racer has tried', () => runs.every((r) => r.output().includes('\n')), 60_000);
    for (const r of runs) r.release();
    return (await Promise.all(runs.map((r) => r.done))).map((o) => o.trim());
  }

  /** Racers for a free folder, then for one whose holder was SIGKILLed, several rounds. */
  async function races(dir: string, platform?: string) {
    mkdirSync(dir);
    const lockPath = path.join(dir, 'pgdata.lock');
    const fresh = await race(lockPath, 8, platform);
    assert.equal(fresh.filter((o) => o === 'won').length, 1, fresh.join('\n'));
    for (const o of fresh.filter((o) => o !== 'won')) assert.match(o, /^lost: the embedded database in .* is in use by process \d+/);

    for (let round = 0; round < 3; round++) {
      // A holder dies without any chance to clean up, then several processes rush in at once.
      const holder = runNode(`
        const { lockDataDir } = await import(${JSON.stringify(moduleUrl('db/data-dir-lock.js'))});
        await lockDataDir(${JSON.stringify(lockPath)}${platform ? `, ${JSON.stringify(platform)}` : ''});
        console.log('holding');
        setInterval(() => {}, 1000);`);
      const deadline = Date.now() + 20_000;
      while (!holder.output().includes('holding')) {
        assert.ok(Date.now() < deadline, `the holder did not get the lock: ${holder.output()}`);
        await sleep(50);
      }
      holder.kill();
      await holder.done;
      const outcome = await race(lockPath, 8, platform);
      assert.equal(outcome.filter((o) => o === 'won').length, 1, `round ${round}:\n${outcome.join('\n')}`);
    }
  }

  test('processes racing for a free folder, and for one whose holder was SIGKILLed: exactly one wins every time', { timeout: 120_000 }, async () => {
    await races(path.join(root, 'race'));
  });

  test('the same with the loopback TCP port lock used where there is no abstract socket namespace (macOS, BSD)', { timeout: 120_000 }, async () => {
    await races(path.join(root, 'race-file'), 'tcp');
  });

  test('a lock file naming a live process (an older version, a recycled pid) does not block', async () => {
    const dir = path.join(root, 'leftover');
    mkdirSync(dir);
    const lockPath = path.join(dir, 'pgdata.lock');
    writeFileSync(lockPath, String(process.pid)); // this test process is certainly alive
    const outcome = await race(lockPath, 1);
    assert.deepEqual(outcome, ['won']);
  });
});

describe(`embedded data folder through the real server: private, locked, reusable after a crash (${DB_KIND})`, { skip: DB_KIND !== 'pglite' && 'the embedded database only' }, () => {
  let root: string;
  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'bookstore-datadir-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('created 0700 with every file private; a second server is refused; after SIGKILL it starts at once and tightens a loose folder', { timeout: 150_000 }, async () => {
    const dataDir = path.join(root, 'data');
    const first = await spawnServer(dataDir);
    try {
      const user = uid('private');
      assert.equal((await new Api(first.url).post('/auth/register', { user_id: user, password: 'pw-private' })).status, 200);
      assert.equal(statSync(dataDir).mode & 0o777, 0o700);
      assert.deepEqual(notPrivate(dataDir), []);

      const second = await failedStart(dataDir);
      assert.notEqual(second.code, 0);
      assert.match(second.output, /in use/);
      assert.ok(second.output.includes(dataDir), second.output);

      first.child.kill('SIGKILL');
      await first.exited;
      loosen(dataDir);
      const third = await spawnServer(dataDir);
      try {
        const api = new Api(third.url);
        assert.equal((await api.post('/auth/login', { user_id: user, password: 'pw-private', terminal: 't' })).status, 200);
        assert.equal((await api.post('/auth/register', { user_id: uid('private'), password: 'pw-private' })).status, 200);
        assert.deepEqual(notPrivate(dataDir), []);
      } finally {
        assert.equal(await stopServer(third), 0);
      }
    } finally {
      await stopServer(first, 'SIGKILL');
    }
  });
});

describe('secret file', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'bookstore-secret-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const configIn = (dataDir: string, env: Record<string, string> = {}) => loadConfig({ BOOKSTORE_DATA_DIR: dataDir, ...env });
  const refusal = (dataDir: string): string => {
    try {
      configIn(dataDir);
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return err.message;
    }
    assert.fail('the configuration was accepted');
  };

  test('generated once: at least 32 random bytes, mode 0600, in a private folder, no temp file left', () => {
    const dataDir = path.join(root, 'new');
    const config = configIn(dataDir);
    assert.ok(config.secret!.length >= 32);
    const file = path.join(dataDir, 'secret');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(dataDir), ['secret']);
    assert.deepEqual(configIn(dataDir).secret, config.secret!, 'the same secret after a restart');
  });

  test('servers starting at once on one new folder all end up with the one secret in the file', async () => {
    const dataDir = path.join(root, 'concurrent');
    const startAt = Date.now() + 1500;
    const runs = Array.from({ length: 8 }, () =>
      runNode(`
        const { loadConfig } = await import(${JSON.stringify(moduleUrl('config.js'))});
        await new Promise((r) => setTimeout(r, ${startAt} - Date.now()));
        console.log(loadConfig({ BOOKSTORE_DATA_DIR: ${JSON.stringify(dataDir)} }).secret.toString('hex'));`),
    );
    const secrets = (await Promise.all(runs.map((r) => r.done))).map((s) => s.trim());
    const inFile = readFileSync(path.join(dataDir, 'secret'), 'utf8').trim();
    assert.deepEqual(new Set(secrets), new Set([inFile]));
    assert.deepEqual(readdirSync(dataDir), ['secret']);
  });

  for (const [what, content, expected] of [
    ['empty', '', /secret file .*\/secret is empty/],
    ['blank', '  \n', /secret file .*\/secret is empty/],
    ['short', 'a1b2c3d4', /secret file .*\/secret is too short: 4 bytes, at least 32/],
    ['31 bytes', 'ab'.repeat(31), /too short: 31 bytes/],
    ['not hexadecimal', 'z'.repeat(64), /secret file .*\/secret is malformed/],
  ] as const) {
    test(`refused when ${what}, naming the file`, () => {
      const dataDir = path.join(root, what.replace(/ /g, '-'));
      mkdirSync(dataDir);
      writeFileSync(path.join(dataDir, 'secret'), content);
      assert.match(refusal(dataDir), expected);
    });
  }

  test('refused when unreadable, with the real reason (EACCES), not as missing', async () => {
    const dataDir = path.join(root, 'unreadable');
    mkdirSync(dataDir);
    writeFileSync(path.join(dataDir, 'secret'), 'ab'.repeat(32), { mode: 0o600 });
    chmodSync(path.join(dataDir, 'secret'), 0o000);
    // root reads any file: check as an unprivileged user then.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    if (process.getuid?.() === 0) chmodSync(root, 0o711);
    const out = await runNode(
      `const { loadConfig } = await import(${JSON.stringify(moduleUrl('config.js'))});
       try { loadConfig({ BOOKSTORE_DATA_DIR: ${JSON.stringify(dataDir)} }); console.log('accepted'); }
       catch (err) { console.log(err.constructor.name + ': ' + err.message); }`,
      asUser,
    ).done;
    assert.match(out, /^ConfigError: cannot read the secret file .*\/unreadable\/secret .*EACCES/);
  });

  test('a file readable by others is made private', () => {
    const dataDir = path.join(root, 'loose');
    mkdirSync(dataDir);
    writeFileSync(path.join(dataDir, 'secret'), 'cd'.repeat(32));
    chmodSync(path.join(dataDir, 'secret'), 0o644);
    assert.equal(configIn(dataDir).secret!.length, 32);
    assert.equal(statSync(path.join(dataDir, 'secret')).mode & 0o777, 0o600);
  });

  test('BOOKSTORE_SECRET needs at least 32 characters', () => {
    const dataDir = path.join(root, 'env');
    assert.throws(() => configIn(dataDir, { BOOKSTORE_SECRET: 'x'.repeat(31) }), /BOOKSTORE_SECRET must be at least 32 characters long \(got 31\)/);
    assert.equal(configIn(dataDir, { BOOKSTORE_SECRET: 'x'.repeat(32) }).secret!.length, 32);
  });

  // The secret file is the embedded database's: with DATABASE_URL the secret is kept in the
  // database instead, so this start always runs without one.
  test('the embedded server refuses to start on a malformed secret file, saying which file', { timeout: 60_000 }, async () => {
    const dataDir = path.join(root, 'server');
    mkdirSync(dataDir);
    writeFileSync(path.join(dataDir, 'secret'), '');
    const { code, output } = await failedStart(dataDir);
    assert.equal(code, 2, output);
    assert.match(output, /configuration error: the secret file .*\/server\/secret is empty/);
  });
});
