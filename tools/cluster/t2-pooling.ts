import { runBench } from './bench.js';
import type { Context, TestResult } from './context.js';
import { fileSize, readFrom } from './procs.js';
import { HARNESS_APP } from './postgres.js';
import { benchFailure, BENCH_WORLD } from './t1-scale.js';

const CLIENTS = 32; // "24+ concurrent clients"; 32 is over 5× the pool
const DURATION_S = 8;

/** SQLSTATEs that mean "a session feature was used through a transaction pooler". */
const POOLER_ERRORS: Record<string, string> = {
  '42P05': 'prepared statement already exists',
  '26000': 'prepared statement does not exist',
};

/**
 * T2 pooling. Every api process and the worker reach the primary only through PgBouncer in
 * transaction mode (DATABASE_POOLER=transaction). The benchmark drives CLIENTS concurrent clients
 * through HAProxy while the harness samples pg_stat_activity on the primary every 50 ms: the
 * database must never see more client backends than PgBouncer's pool, and the primary's log
 * (which names each error's SQLSTATE) must hold no 42P05 (nor 26000).
 */
export async function t2Pooling(ctx: Context): Promise<TestResult> {
  const { cluster, log } = ctx;
  const pool = cluster.opts.pgbouncerPoolSize;
  const details: string[] = [];
  const logFrom = fileSize(cluster.primary.opts.logFile);
  const pooledSettings = { ...ctx.base, dbPath: 'pooled' as const };

  try {
    await cluster.startAll(pooledSettings);
  } catch (err) {
    const errors = sqlStateCounts(readFrom(cluster.primary.opts.logFile, logFrom));
    const why = (err instanceof Error ? err.message : String(err)).split('\n').filter(Boolean);
    details.push(`the servers could not start behind PgBouncer in transaction mode: ${why[0]}`, ...why.slice(1, 4).map((l) => `  ${l}`));
    details.push(`primary log: ${formatCounts(errors)}`);
    return {
      id: 'T2', name: 'pooling', pass: false,
      summary: `servers failed to start through the transaction pooler (${formatCounts(errors)})`,
      details,
    };
  }

  let maxBackends = 0;
  let samples = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      try {
        const [row] = await cluster.primary.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity
            WHERE datname = 'bookstore' AND backend_type = 'client backend' AND application_name IS DISTINCT FROM $1`,
          [HARNESS_APP]);
        maxBackends = Math.max(maxBackends, Number(row?.n ?? 0));
        samples += 1;
      } catch {
        // a missed sample is not a finding
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  log(`T2: ${CLIENTS} clients through HAProxy → ${cluster.apis.length} api processes → PgBouncer (transaction pool of ${pool})`);
  const outcome = await runBench(cluster, { label: 't2', client: ctx.options.benchClient, concurrency: CLIENTS, durationS: DURATION_S, warmupS: 2, extra: BENCH_WORLD });
  sampling = false;
  await sampler;

  const errors = sqlStateCounts(readFrom(cluster.primary.opts.logFile, logFrom));
  const poolerErrors = Object.keys(POOLER_ERRORS).reduce((n, code) => n + (errors.get(code) ?? 0), 0);
  const pools = await cluster.pgbouncer.admin('SHOW POOLS').catch(() => []);
  const mainPool = pools.find((p) => p['database'] === 'bookstore');
  const benchOk = outcome.exitCode === 0 && outcome.result?.verdict === 'PASS';
  const orders = outcome.result?.throughput.ordersPerSecond ?? 0;
  const backendsOk = samples > 0 && maxBackends <= pool;

  details.push(`${CLIENTS} benchmark clients, ${cluster.apis.length} api processes + worker with ${pooledSettings.dbPool} client connections each to PgBouncer`);
  details.push(`primary client backends: at most ${maxBackends} in ${samples} samples (pool ${pool}) → ${backendsOk ? 'ok' : 'OVER THE POOL'}`);
  details.push(`primary log during T2: ${formatCounts(errors)}`);
  if (mainPool) {
    details.push(`pgbouncer pool "bookstore" after the run: cl_active ${String(mainPool['cl_active'])}, cl_waiting ${String(mainPool['cl_waiting'])}, ` +
      `sv_active ${String(mainPool['sv_active'])}, sv_idle ${String(mainPool['sv_idle'])}, maxwait ${String(mainPool['maxwait'])} s`);
  }
  details.push(`benchmark: ${orders.toFixed(0)} orders/s, ${benchOk ? 'all checks PASS' : 'FAIL'}`);
  if (!benchOk) details.push(...benchFailure(outcome));
  const pass = benchOk && backendsOk && poolerErrors === 0;
  return {
    id: 'T2', name: 'pooling', pass,
    summary: `${CLIENTS} clients, max ${maxBackends} server connections (pool ${pool}), ${errors.get('42P05') ?? 0}× 42P05, ` +
      `${orders.toFixed(0)} orders/s, bench ${benchOk ? 'PASS' : 'FAIL'}`,
    details,
  };
}

/** Error lines of a PostgreSQL log by SQLSTATE (log_line_prefix carries %e). */
export function sqlStateCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/^\S+ \S+ \S+ \[\d+\] ([0-9A-Z]{5}) [^\n]*?(ERROR|FATAL):/gm)) {
    const code = m[1]!;
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  return counts;
}

function formatCounts(counts: Map<string, number>): string {
  if (counts.size === 0) return 'no errors';
  return [...counts.entries()].sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${n}× ${code}${POOLER_ERRORS[code] ? ` (${POOLER_ERRORS[code]})` : ''}`).join(', ');
}
