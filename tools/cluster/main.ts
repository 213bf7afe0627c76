import { cpSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster, newSecret, type ServerSettings } from './cluster.js';
import { readOptions, type Context, type TestId, type TestResult } from './context.js';
import { cleanupJournal, Journal } from './journal.js';
import { netnsAvailable } from './network.js';
import { printSummary } from './report.js';
import { t1Scale } from './t1-scale.js';
import { t2Pooling } from './t2-pooling.js';
import { t3ExactlyOnce } from './t3-expiry.js';
import { t4Failover } from './t4-failover.js';
import { t5Replica } from './t5-replica.js';

export const EXIT_PASS = 0;
export const EXIT_FAIL = 1;
export const EXIT_CANNOT_RUN = 2;
const EXIT_INTERRUPTED = 130;
const TEST_NAMES: Record<TestId, string> = { T1: 'scale', T2: 'pooling', T3: 'exactly once', T4: 'failover', T5: 'replica' };

// build/tools/cluster/main.js → the checkout's root
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const started = Date.now();
const log = (line: string): void => {
  const t = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[cluster ${t}s] ${line}\n`);
};

/**
 * npm run cluster:test. The bash entry (cluster-test.sh) installs HAProxy and PgBouncer if
 * missing, builds, makes the state folder and passes it here; its trap runs cleanup.js on that
 * folder afterwards whatever happened, so even a SIGKILLed harness leaves nothing behind.
 */
async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('cluster:test must run as root (network namespaces, cgroups, a PostgreSQL of its own)\n');
    return EXIT_CANNOT_RUN;
  }
  if (!(await netnsAvailable())) {
    process.stderr.write('cluster:test needs `ip netns` (iproute2) and the right to create network namespaces\n');
    return EXIT_CANNOT_RUN;
  }
  let options;
  try {
    options = readOptions();
  } catch (err) {
    process.stderr.write(`cluster:test: ${(err as Error).message}\n`);
    return EXIT_CANNOT_RUN;
  }
  const root = process.argv[2] ? resolve(process.argv[2]) : mkdtempSync('/tmp/bookstore-cluster.');
  const runId = randomBytes(2).toString('hex');
  const journal = new Journal(`${root}/journal`);
  journal.record({ kind: 'dir', path: root }); // first in, removed last
  const cluster = new Cluster({ root, runId, lbMode: options.lbMode, pgbouncerPoolSize: options.poolSize, repoRoot: REPO_ROOT }, journal, log);

  const results: TestResult[] = [];
  let cleaning: Promise<void> | null = null;
  const cleanup = (): Promise<void> => {
    cleaning ??= (async () => {
      log('cleaning up');
      await cluster.shutdown();
      if (options.logDir) {
        // Only where the user asked for it: keep the logs of this run.
        mkdirSync(options.logDir, { recursive: true });
        const keep = `${options.logDir}/cluster-${runId}`;
        if (existsSync(cluster.logDir)) cpSync(cluster.logDir, keep, { recursive: true });
        for (const file of [`${root}/pg/pgbouncer/pgbouncer.log`, `${root}/lb/haproxy.log`]) {
          if (existsSync(file)) cpSync(file, `${keep}/${file.split('/').pop()}`);
        }
        log(`logs kept in ${options.logDir}/cluster-${runId}`);
      }
      await cleanupJournal(journal, log);
      log('cleaned up: processes, namespaces, bridge, cgroups and scratch folders removed');
    })();
    return cleaning;
  };
  // On a signal: stop everything now. The test in progress then fails on its dead servers;
  // `interrupted` keeps that from being reported as a finding, and no further test starts.
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      interrupted = true;
      log(`${signal}: stopping and cleaning up`);
      void cleanup().finally(() => process.exit(EXIT_INTERRUPTED));
    });
  }
  // A watchdog, so that a component that hangs can never hold CI past its limit: the whole run
  // must fit in 10 minutes, cleanup included.
  const watchdog = setTimeout(() => {
    interrupted = true;
    log(`still running after ${options.timeoutS} s (CLUSTER_TIMEOUT_S): giving up and cleaning up`);
    void cleanup().finally(() => {
      printSummary(results, log, Date.now() - started);
      process.exit(EXIT_FAIL);
    });
  }, options.timeoutS * 1000);
  watchdog.unref();

  try {
    log(`run ${runId}: state in ${root}; tests ${[...options.only].join(', ')}`);
    await cluster.build(2); // the second worker joins T3 only: two sweepers racing
    const base: ServerSettings = {
      dbPath: options.dbPath === 'session' ? 'session' : 'pooled',
      replicaReads: options.replicaReadsEverywhere,
      orderTimeoutS: 900,
      secret: options.sharedSecret ? newSecret() : null,
      drainS: 3,
      dbPool: options.serverPool,
    };
    const ctx: Context = { cluster, options, base, log, runId };
    const run = async (id: TestId, fn: (c: Context) => Promise<TestResult>): Promise<void> => {
      if (!options.only.has(id) || interrupted) return;
      log(`---- ${id}`);
      try {
        const result = await fn(ctx);
        results.push(result);
        log(`${id} ${result.pass ? 'PASS' : 'FAIL'}: ${result.summary}`);
      } catch (err) {
        if (interrupted) return;
        // One test's crash must not stop the others: it is a FAIL with its reason.
        const message = err instanceof Error ? err.message : String(err);
        results.push({ id, name: TEST_NAMES[id], pass: false, summary: `could not run: ${message.split('\n')[0]}`, details: [message] });
        log(`${id} FAIL (could not run): ${message}`);
      }
    };

    // T2 first: it tells whether the server is safe behind the transaction pooler. If it is not
    // (and CLUSTER_DB_PATH=auto), the other tests run through PgBouncer's session-mode pool, so
    // a missing pooler feature shows as T2's failure only and not as noise in T1/T3/T4/T5.
    await run('T2', t2Pooling);
    const pooledOk = results.find((r) => r.id === 'T2')?.pass ?? false;
    if (options.dbPath === 'auto' && !pooledOk) {
      base.dbPath = 'session';
      log(`${options.only.has('T2') ? 'T2 did not pass' : 'T2 not run'}: the other tests reach the primary through PgBouncer's ` +
        'session-mode pool (CLUSTER_DB_PATH=pooled forces transaction mode)');
    }
    if (cluster.settings?.dbPath !== base.dbPath || !allAlive(cluster)) await cluster.startAll(base);
    await run('T1', t1Scale);
    await run('T4', t4Failover);
    await run('T5', t5Replica);
    await run('T3', t3ExactlyOnce);
  } catch (err) {
    if (interrupted) return new Promise<number>(() => {}); // the signal handler exits when cleanup is done
    log(`cluster setup failed: ${err instanceof Error ? err.message : String(err)}`);
    await cleanup();
    printSummary(results, log, Date.now() - started);
    return EXIT_CANNOT_RUN;
  }
  if (interrupted) return new Promise<number>(() => {});
  await cleanup();
  printSummary(results, log, Date.now() - started);
  return results.length > 0 && results.every((r) => r.pass) ? EXIT_PASS : EXIT_FAIL;
}

function allAlive(cluster: Cluster): boolean {
  return [...cluster.apis, cluster.workers[0]!].every((s) => s.alive);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`cluster:test crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(EXIT_CANNOT_RUN);
  },
);
