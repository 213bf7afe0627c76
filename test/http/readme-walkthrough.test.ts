import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { freePort, launchServer, serverDatabase, sleep, stopServer, type ServerProcess } from '../helpers/process.js';
import { DB_KIND } from '../helpers/server.js';

/** The first ```sh block under the README's "## Walkthrough" heading, exactly as a reader copies it. */
function walkthroughBlock(): string {
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Walkthrough\n'));
  assert.ok(section, 'README.md has a "## Walkthrough" section');
  const block = /^```sh\n([\s\S]*?)^```$/m.exec(section)?.[1];
  assert.ok(block, 'the Walkthrough section has a ```sh block');
  return block;
}

function runBash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', script], { env, timeout: 120_000, maxBuffer: 10 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * `node build/src/main.js` with PORT set to a free port, once it answers. Waits longer than the
 * shared helper: a new embedded data folder runs initdb, which took over a minute on a loaded machine.
 */
async function startedServer(dataDir: string, env: Record<string, string>): Promise<ServerProcess> {
  const server = launchServer(dataDir, env, await freePort());
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline && server.child.exitCode === null) {
    const up = await fetch(`${server.url}/healthz`).then((r) => r.status === 200, () => false);
    if (up) return server;
    await sleep(200);
  }
  server.child.kill('SIGKILL');
  throw new Error(`the server did not start:\n${server.output()}`);
}

describe(`README walkthrough, run as written (${DB_KIND})`, () => {
  const block = walkthroughBlock();
  let dataDir: string;
  let database: Awaited<ReturnType<typeof serverDatabase>>;
  let server: ServerProcess;
  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'bookstore-walkthrough-'));
    database = await serverDatabase('bookstore_walkthrough');
    server = await startedServer(dataDir, database.env);
  });
  after(async () => {
    if (server) await stopServer(server);
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the block targets the default server unless BOOKSTORE_URL says otherwise, and stops on any failure', () => {
    const config = loadConfig({});
    assert.ok(block.includes(`\${BOOKSTORE_URL:-http://${config.host}:${config.port}}`), 'defaults to the server npm start runs');
    assert.match(block, /^set -euo pipefail$/m);
    for (const curl of block.match(/\bcurl -[^\n]*/g) ?? []) assert.match(curl, /--fail-with-body/, `every curl fails on a refusal: ${curl}`);
    assert.doesNotMatch(block, /\|\s*jq\b/, 'no jq: a bare Node install and curl are enough');
  });

  test('it covers every step of a sale, and both forms of a percent-encoded search', () => {
    for (const step of [
      '/auth/register', '/auth/login', '/seller/create_store', '/seller/add_book', '/buyer/add_funds', '/buyer/new_order',
      '/buyer/payment', '/seller/send_books', '/buyer/receive_books', '/buyer/query_order', '/seller/query_order', '/auth/me',
    ]) {
      assert.ok(block.includes(step), `the walkthrough calls ${step}`);
    }
    assert.ok(block.includes('/search/books?keyword=%E5%8A%9B%E5%AD%A6'), 'the percent-encoded search URL');
    assert.ok(block.includes("--data-urlencode 'keyword=力学'"), 'the --data-urlencode search');
  });

  test('run by bash against a real server, every step succeeds and the sale ends received and paid out', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, BOOKSTORE_URL: server.url };
    const first = await runBash(block, env);
    assert.equal(first.code, 0, `the walkthrough failed:\n${first.stdout}\n${first.stderr}`);
    const lines = first.stdout.trim().split('\n');
    assert.match(lines.at(-1)!, /^order [0-9a-f-]{36}: received; buyer balance 1000, seller balance 9000$/);
    // Every response printed on the way is a success, and both searches found the book.
    const bodies = lines.slice(0, -1).map((l) => JSON.parse(l) as { message: string; books?: { title: string }[] });
    assert.ok(bodies.every((b) => b.message === 'ok'));
    const searches = bodies.filter((b) => b.books !== undefined);
    assert.equal(searches.length, 2);
    for (const s of searches) assert.deepEqual(s.books!.map((b) => b.title), ['量子力学导论']);
    // It makes fresh names each run, so a second run on the same database works too. (Its names
    // come from the clock's seconds: wait for the next one.)
    await new Promise((r) => setTimeout(r, 1100));
    const second = await runBash(block, env);
    assert.equal(second.code, 0, `the second run failed:\n${second.stdout}\n${second.stderr}`);
  });

  test('a refused step stops the walkthrough with a non-zero exit and the refusal on display', async () => {
    // The same block against a server where the step cannot succeed: the payment's password is wrong.
    const broken = block.replace(/(\/buyer\/payment[^\n]*"password\\":\\")buyer-pw/, '$1wrong');
    assert.notEqual(broken, block);
    const run = await runBash(broken, { ...process.env, BOOKSTORE_URL: server.url });
    assert.notEqual(run.code, 0);
    assert.match(run.stdout, /"message":"[^"]*"/);
    assert.doesNotMatch(run.stdout, /^order /m);
  });
});
