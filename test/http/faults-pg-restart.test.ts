import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Api, newStore, newUser, type User } from '../helpers/client.js';
import { timedGet, timedPost } from '../helpers/faults.js';
import { postgresBin, startScratchCluster, type ScratchCluster } from '../helpers/pg-cluster.js';
import { sleep, spawnServer, stopServer, type ServerProcess } from '../helpers/process.js';

const bin = postgresBin();
// Slow (initdb, a restart): it runs in the PostgreSQL pass of the suite (DATABASE_URL set), as CI does.
const skip = !process.env.DATABASE_URL
  ? 'slow PostgreSQL restart test: runs when DATABASE_URL is set'
  : !bin && 'no PostgreSQL server binaries (initdb, pg_ctl); set PG_BIN';

const ACQUIRE_TIMEOUT_MS = 2000;

interface Outcome {
  at: number;
  ms: number;
  status: number;
  body?: Record<string, any>;
  requestId?: string | null;
  error?: string;
}

describe('PostgreSQL stopped and started under load (a scratch cluster of its own)', { skip }, () => {
  let cluster: ScratchCluster;
  let dataDir: string;
  let server: ServerProcess;
  before(async () => {
    cluster = await startScratchCluster(bin!);
    dataDir = mkdtempSync(path.join(tmpdir(), 'bookstore-pgrestart-'));
    server = await spawnServer(dataDir, {
      DATABASE_URL: cluster.url,
      BOOKSTORE_DB_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_TIMEOUT_MS),
      BOOKSTORE_DB_POOL_SIZE: '4',
    });
  });
  after(async () => {
    if (server) await stopServer(server, 'SIGKILL');
    await cluster?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('requests fail fast with 503 while it is down, /readyz says so within 2 s, service resumes by itself when it is back', { timeout: 90_000 }, async () => {
    const api = new Api(server.url);
    const shop = await newStore(api, [{ price: 1, stock: 1_000_000 }]);
    const buyers: User[] = [];
    for (let i = 0; i < 4; i++) {
      const buyer = await newUser(api, 'restart');
      assert.equal((await timedPost(`${server.url}/buyer/add_funds`, { user_id: buyer.userId, password: buyer.password, add_value: 1_000_000 })).status, 200);
      buyers.push(buyer);
    }

    const outcomes: Outcome[] = [];
    const ready: Outcome[] = [];
    let running = true;
    const record = async (into: Outcome[], call: () => Promise<{ status: number; body: Record<string, any>; headers: Headers; ms: number }>) => {
      const at = Date.now();
      try {
        const reply = await call();
        into.push({ at, ms: reply.ms, status: reply.status, body: reply.body, requestId: reply.headers.get('x-request-id') });
        return reply;
      } catch (err) {
        into.push({ at, ms: Date.now() - at, status: 0, error: (err as Error).message });
        return undefined;
      }
    };
    const client = async (buyer: User) => {
      while (running) {
        const funds = await record(outcomes, () =>
          timedPost(`${server.url}/buyer/add_funds`, { user_id: buyer.userId, password: buyer.password, add_value: 1 }, { timeoutMs: 20_000 }),
        );
        const order = await record(outcomes, () =>
          timedPost(
            `${server.url}/buyer/new_order`,
            { user_id: buyer.userId, store_id: shop.storeId, books: [{ id: 'book-1', count: 1 }] },
            { token: buyer.token, timeoutMs: 20_000 },
          ),
        );
        if (order?.status === 200) {
          await record(outcomes, () =>
            timedPost(`${server.url}/buyer/payment`, { user_id: buyer.userId, order_id: order.body.order_id, password: buyer.password }, { timeoutMs: 20_000 }),
          );
        }
        if (funds?.status !== 200 || order?.status !== 200) await sleep(50);
      }
    };
    const readiness = async () => {
      while (running) {
        await record(ready, () => timedGet(`${server.url}/readyz`, 20_000));
        await sleep(100);
      }
    };
    const load = [...buyers.map(client), readiness()];

    await sleep(2000);
    const down = Date.now();
    await cluster.stop('immediate');
    await sleep(4000);
    const restarting = Date.now();
    await cluster.start();
    const up = Date.now();
    await sleep(6000);
    running = false;
    await Promise.all(load);

    assert.equal(server.child.exitCode, null, 'the server process is still running');
    const failures = outcomes.filter((o) => o.status !== 200);
    assert.deepEqual(outcomes.filter((o) => o.status === 0), [], 'every request was answered');
    for (const o of failures) {
      assert.equal(o.status, 503, JSON.stringify(o));
      assert.equal(typeof o.body?.message, 'string');
      assert.equal(o.body?.request_id, o.requestId);
    }
    assert.ok(failures.length > 0, 'the outage was seen');
    const slowest = Math.max(...outcomes.map((o) => o.ms));
    assert.ok(slowest <= ACQUIRE_TIMEOUT_MS + 1500, `the slowest request took ${slowest} ms`);

    const firstNotReady = ready.find((o) => o.at >= down && o.status === 503);
    assert.ok(firstNotReady, '/readyz said 503 during the outage');
    assert.ok(firstNotReady.at + firstNotReady.ms - down <= 2500, `/readyz said 503 ${firstNotReady.at + firstNotReady.ms - down} ms after the stop`);
    assert.ok(Math.max(...ready.map((o) => o.ms)) <= 2200, '/readyz always answered within 2 s');
    for (const o of ready) assert.ok(o.status === 200 || o.status === 503, JSON.stringify(o));

    // Back by itself: successes within seconds of PostgreSQL's return, and nothing but success after.
    const firstBack = outcomes.find((o) => o.at >= restarting && o.status === 200);
    assert.ok(firstBack && firstBack.at - up <= 5000, `first success ${firstBack ? firstBack.at - up : 'never'} ms after the restart`);
    const settled = outcomes.filter((o) => o.at >= up + 3000);
    assert.ok(settled.length > 10);
    assert.deepEqual(settled.filter((o) => o.status !== 200), []);
    assert.equal(ready.at(-1)?.status, 200);
  });
});
