import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PROJECT_ROOT } from '../../src/paths.js';
import { Api, newBuyer, newStore, newUser, placeOrder, stockOf } from '../helpers/client.js';
import { expectCode } from '../helpers/core-api.js';
import { postgresBin, startScratchCluster, type ScratchCluster } from '../helpers/pg-cluster.js';
import { freePort, launchServer, serverDatabase, sleep, spawnServer, stopServer, type ServerProcess } from '../helpers/process.js';
import { DB_KIND } from '../helpers/server.js';

const needsPostgres = process.env.DATABASE_URL ? false : 'several processes share a PostgreSQL database (set DATABASE_URL)';

/** `bookstore migrate` on that database: the release step. */
function migrate(databaseUrl: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'bookstore.js'), 'migrate', '--database-url', databaseUrl], (err, _out, stderr) =>
      err ? reject(new Error(stderr)) : resolve(),
    );
  });
}

/** Whether a server answers at all (a listening socket). */
async function answers(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

/** Metric samples of the Prometheus text, by name (labels ignored, summed). */
async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

describe(`scale-out: processes sharing one PostgreSQL (${DB_KIND})`, { skip: needsPostgres }, () => {
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  const dataDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bookstore-scale-'));
    dirs.push(dir);
    return dir;
  };
  const keep = <S extends ServerProcess>(s: S): S => (servers.push(s), s);
  let database: Awaited<ReturnType<typeof serverDatabase>>;
  before(async () => {
    database = await serverDatabase('bookstore_scale');
  });
  after(async () => {
    for (const s of servers) await stopServer(s, 'SIGKILL');
    await database.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('an api process leaves migrating to the release step: it waits for `bookstore migrate`, then serves', { timeout: 120_000 }, async () => {
    const api = keep(launchServer(dataDir(), { ...database.env, BOOKSTORE_ROLE: 'api' }, await freePort()));
    for (let i = 0; i < 100 && !/waiting for the database schema/.test(api.output()); i++) await sleep(200);
    assert.match(api.output(), /waiting for the database schema/);
    await sleep(1000);
    assert.equal(await answers(api.url), false, 'not serving on an unmigrated database');
    await migrate(database.url!);
    for (let i = 0; i < 100 && !(await answers(api.url)); i++) await sleep(200);
    assert.equal((await fetch(`${api.url}/readyz`)).status, 200);
  });

  test('without BOOKSTORE_SECRET, processes share the signing secret kept in the database: a token of one works on the other', { timeout: 120_000 }, async () => {
    const [a, b] = [keep(await spawnServer(dataDir(), database.env)), keep(await spawnServer(dataDir(), database.env))];
    const user = await newUser(new Api(a.url));
    expectCode(await new Api(b.url).post('/seller/query_order', { user_id: user.userId }, user.token), 200);
    await Promise.all([stopServer(a), stopServer(b)]);
  });

  test('a worker runs the background jobs and serves only the service endpoints; api processes never sweep', { timeout: 120_000 }, async () => {
    const env = { ...database.env, BOOKSTORE_ORDER_TIMEOUT_S: '2' };
    const api = keep(await spawnServer(dataDir(), { ...env, BOOKSTORE_ROLE: 'api' }));
    const client = new Api(api.url);
    const shop = await newStore(client, [{ price: 100, stock: 10 }]);
    const buyer = await newBuyer(client, 0);
    expectCode(await placeOrder(client, buyer, shop.storeId, [{ id: 'book-1', count: 3 }]), 200);
    await sleep(4000);
    assert.equal(await stockOf(client, shop.seller, shop.storeId, 'book-1'), 7, 'expired, but no api process restocks it');

    const worker = keep(await spawnServer(dataDir(), { ...env, BOOKSTORE_ROLE: 'worker' }));
    assert.equal((await fetch(`${worker.url}/readyz`)).status, 200);
    const refused = await fetch(`${worker.url}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.ok([404, 405].includes(refused.status), `the API is not served by a worker (${refused.status})`);
    for (let i = 0; i < 50 && (await stockOf(client, shop.seller, shop.storeId, 'book-1')) !== 10; i++) await sleep(200);
    assert.equal(await stockOf(client, shop.seller, shop.storeId, 'book-1'), 10, 'the worker swept it');
    assert.equal(await metric(worker.url, 'bookstore_orders_cancelled_total'), 1);
    await Promise.all([stopServer(api), stopServer(worker)]);
  });

  test('SIGTERM drains: /readyz says 503 at once while requests are still served, then the process stops', { timeout: 120_000 }, async () => {
    const server = keep(await spawnServer(dataDir(), { ...database.env, BOOKSTORE_DRAIN_S: '3' }));
    const client = new Api(server.url);
    const stoppedAt = Date.now();
    server.child.kill('SIGTERM');
    await sleep(300);
    assert.equal((await fetch(`${server.url}/readyz`)).status, 503);
    expectCode(await client.post('/auth/register', { user_id: `drain-${Date.now()}`, password: 'pw' }), 200);
    assert.equal(await server.exited, 0);
    assert.ok(Date.now() - stoppedAt >= 3000, 'served for the whole drain period');
  });

  test('--workers 2: two processes share the port; one that dies is started again; SIGTERM stops them all', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const supervisor = keep(launchServer(dataDir(), { ...database.env, BOOKSTORE_WORKERS: '2' }, port));
    const url = `http://127.0.0.1:${port}`;
    const children = (): number[] => {
      try {
        const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(supervisor.child.pid)]).toString();
        return out.split('\n').map((l) => l.trim()).filter(Boolean).map(Number);
      } catch {
        return []; // ps exits 1 when it finds none
      }
    };
    for (let i = 0; i < 150 && (children().length < 2 || !(await answers(url))); i++) await sleep(200);
    const first = children();
    assert.equal(first.length, 2, supervisor.output());
    process.kill(first[0]!, 'SIGKILL');
    // One ps snapshot per look: two would race the supervisor reaping the killed process.
    const replaced = (now: number[]): boolean => now.length === 2 && !now.includes(first[0]!);
    let now = children();
    for (let i = 0; i < 100 && !replaced(now); i++) {
      await sleep(200);
      now = children();
    }
    assert.ok(replaced(now), `a new process took its place: ${now.join(', ')}\n${supervisor.output()}`);
    const user = await newUser(new Api(url));
    expectCode(await new Api(url).post('/seller/query_order', { user_id: user.userId }, user.token), 200);
    supervisor.child.kill('SIGTERM');
    assert.equal(await supervisor.exited, 0);
  });
});

describe(`reads from a streaming replica (${DB_KIND})`, { skip: needsPostgres || (postgresBin() ? false : 'needs the PostgreSQL server binaries') }, () => {
  let primary: ScratchCluster & { port: number };
  let standby: ScratchCluster;
  let server: ServerProcess;
  let dir: string;
  before(async () => {
    primary = await startScratchCluster(postgresBin()!);
    // Every commit reaches the standby's readers a full second late.
    standby = await startScratchCluster(postgresBin()!, { standbyOf: { port: primary.port, applyDelayMs: 1000 } });
    dir = mkdtempSync(path.join(tmpdir(), 'bookstore-replica-'));
    server = await spawnServer(dir, { DATABASE_URL: primary.url, DATABASE_REPLICA_URL: standby.url });
  });
  after(async () => {
    if (server) await stopServer(server, 'SIGKILL');
    await standby?.destroy();
    await primary?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test('read-your-writes: an order shows at once in the buyer\'s and the seller\'s listings; a new book in search', { timeout: 120_000 }, async () => {
    const api = new Api(server.url);
    const shop = await newStore(api, [{ price: 100, stock: 50 }]);
    const buyer = await newBuyer(api, 0);
    for (let i = 0; i < 5; i++) {
      const placed = expectCode(await placeOrder(api, buyer, shop.storeId, [{ id: 'book-1', count: 1 }]), 200);
      const mine = await api.post('/buyer/query_order', { user_id: buyer.userId, password: buyer.password });
      assert.ok(mine.body.orders.some((o: { order_id: string }) => o.order_id === placed.body.order_id), 'the buyer sees it');
      const theirs = await api.post('/seller/query_order', { user_id: shop.seller.userId }, shop.seller.token);
      assert.ok(theirs.body.orders.some((o: { order_id: string }) => o.order_id === placed.body.order_id), 'the seller sees it');
      const word = `fresh${Date.now()}x${i}`;
      const body = { user_id: shop.seller.userId, store_id: shop.storeId, book_info: { id: word, title: `A ${word} book` }, stock_level: 1 };
      expectCode(await api.post('/seller/add_book', body, shop.seller.token), 200);
      assert.equal((await api.post('/search/books', { keyword: word })).body.total, 1, 'search finds it');
    }
  });

  test('reads go to the replica once it has caught up, and its lag is in /metrics', { timeout: 60_000 }, async () => {
    const api = new Api(server.url);
    await sleep(1500); // the standby replays everything written so far
    for (let i = 0; i < 5; i++) assert.equal((await api.post('/search/books', { keyword: 'nothing-like-this' })).status, 200);
    assert.ok((await standbyClients(standby)) > 0, 'the server reads from the standby');
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(text, /^bookstore_replica_lag_seconds \d/m);
    assert.match(text, /^bookstore_replica_lag_bytes \d/m);
  });
});

/** Connections of the server (application_name bookstore) to the standby. */
async function standbyClients(standby: ScratchCluster): Promise<number> {
  const pg = await import('pg');
  const client = new pg.default.Client({ connectionString: standby.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'bookstore'");
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}
