import { formatCpu, runBench, type BenchOutcome } from './bench.js';
import { API_CPU_CAP } from './cluster.js';
import type { Context, TestResult } from './context.js';

/** The ratios issue 11 asks for: orders/s at K api processes over orders/s at one. */
const TARGETS: Record<number, number> = { 2: 1.6, 3: 2.2 };
const WARMUP_RUN_S = 8;
/** Small catalogue: the setup goes through K capped processes too, and is not what is measured. */
export const BENCH_WORLD = ['--sellers', '2', '--stores-per-seller', '2', '--books-per-store', '50', '--setup-concurrency', '8'];

interface KRun {
  k: number;
  round: number;
  outcome: BenchOutcome;
  ordersPerS: number;
  pass: boolean;
}

/**
 * T1 scale. The same benchmark against K = 1, 2, 3 api processes behind HAProxy (the others
 * in maintenance), each process capped at API_CPU_CAP of a core; closed loop, think-free, with
 * a fixed number of clients per api process so each K is driven equally hard. Every run must
 * pass the benchmark's own checks. Rounds are interleaved (1,2,3,1,2,3…) so the machine's
 * minute-to-minute drift hits every K alike. Each K is represented by its median round (the
 * better of two): a capped process's CPU per order varies by ±30% from run to run (V8, GC), and a
 * K=1 best-of-n, the divisor of both ratios, would carry that luck into them.
 */
export async function t1Scale(ctx: Context): Promise<TestResult> {
  const { cluster, options, log } = ctx;
  const details: string[] = [];
  const runs: KRun[] = [];
  const components = ['loadgen', 'lb', 'api1', 'api2', 'api3', 'worker1', 'pgbouncer', 'primary', 'replica'];
  // Warm-up, not measured: freshly started processes run their first few thousand requests
  // before V8 has optimised them (in early runs a cold api1 took 1.2–1.8 ms of CPU per order,
  // a warm one 0.7–1.0), which would make K=1, always first, look slower than it is.
  await cluster.lb.useServers(cluster.apis.map((a) => a.name));
  log(`T1: warming up all ${cluster.apis.length} api processes (${WARMUP_RUN_S} s, not measured)`);
  const warm = await runBench(cluster, {
    label: 't1-warmup', client: options.benchClient, concurrency: options.t1ClientsPerApi * cluster.apis.length, durationS: WARMUP_RUN_S, warmupS: 0,
    extra: [...BENCH_WORLD, '--skip-verify', '--quiet'],
  });
  if (warm.exitCode !== 0) details.push(`warm-up run exited ${warm.exitCode}`, ...benchFailure(warm));
  for (let round = 1; round <= options.t1Rounds; round++) {
    for (const k of [1, 2, 3]) {
      const active = cluster.apis.slice(0, k).map((a) => a.name);
      await cluster.lb.useServers(active);
      const concurrency = options.t1ClientsPerApi * k;
      const checksDown = await downTransitions(cluster);
      log(`T1: K=${k} (${active.join(', ')}), ${concurrency} clients, ${options.t1DurationS} s, round ${round}`);
      const outcome = await runBench(cluster, {
        label: `t1-k${k}-r${round}`, client: options.benchClient, concurrency, durationS: options.t1DurationS, warmupS: options.t1WarmupS, extra: BENCH_WORLD,
      });
      const ordersPerS = outcome.result?.throughput.ordersPerSecond ?? 0;
      // A health check that timed out under load would have taken a server out of the run.
      const flaps = (await downTransitions(cluster)) - checksDown;
      const pass = outcome.exitCode === 0 && outcome.result?.verdict === 'PASS';
      runs.push({ k, round, outcome, ordersPerS, pass });
      const line = `K=${k} round ${round}: ${ordersPerS.toFixed(0)} orders/s, bench ${pass ? 'PASS' : `FAIL (exit ${outcome.exitCode})`}; ` +
        formatCpu(outcome.cpu, components.filter((c) => !c.startsWith('api') || Number(c.slice(3)) <= k));
      log(`T1: ${line}`);
      details.push(line);
      if (flaps > 0) details.push(`  HAProxy marked a server DOWN ${flaps}× during this run (a /readyz check failed under load)`);
      if (!pass) details.push(...benchFailure(outcome));
    }
  }
  const best = (k: number): KRun | undefined => {
    const sorted = runs.filter((r) => r.k === k).sort((a, b) => b.ordersPerS - a.ordersPerS);
    return sorted[(sorted.length - 1) >> 1];
  };
  const base = best(1)?.ordersPerS ?? 0;
  const ratios: string[] = [];
  let ratiosOk = base > 0;
  for (const k of [2, 3]) {
    const r = base > 0 ? (best(k)?.ordersPerS ?? 0) / base : 0;
    const target = TARGETS[k]!;
    ratiosOk &&= r >= target;
    ratios.push(`K=${k} ${r.toFixed(2)}× (≥ ${target})`);
  }
  const allChecked = runs.every((r) => r.pass);
  // Other users of the machine take CPU from the cluster and make the ratios meaningless; say so.
  const outside = Math.max(0, ...runs.map((r) => r.outcome.cpu?.otherCores ?? 0));
  const disturbed = outside > 0.15 ? `; DISTURBED: up to ${outside.toFixed(2)} cores used outside the cluster` : '';
  details.unshift(`api cap ${API_CPU_CAP} core each; ${options.t1ClientsPerApi} clients per api process; ${options.benchClient} bench client; ` +
    `median of ${options.t1Rounds} round(s) per K: ${[1, 2, 3].map((k) => `K=${k} ${best(k)?.ordersPerS.toFixed(0) ?? '?'}`).join(', ')} orders/s`);
  if (!ratiosOk) details.push(...whyNotScaling(runs));
  return {
    id: 'T1',
    name: 'scale',
    pass: ratiosOk && allChecked,
    summary: `${[1, 2, 3].map((k) => best(k)?.ordersPerS.toFixed(0) ?? '?').join(' / ')} orders/s at K=1/2/3; ${ratios.join(', ')}; ` +
      `bench checks ${allChecked ? 'all PASS' : 'FAILED'}${disturbed}`,
    details,
  };
}

/** UP → DOWN transitions of all api servers so far, from HAProxy's counters. */
async function downTransitions(cluster: Context['cluster']): Promise<number> {
  const stats = await cluster.lb.serverStats().catch(() => new Map<string, Record<string, string>>());
  return [...stats.values()].reduce((n, row) => n + Number(row['chkdown'] ?? 0), 0);
}

/** The benchmark's failing checks, for the report. */
export function benchFailure(outcome: BenchOutcome): string[] {
  const r = outcome.result;
  if (!r) return [`  bench produced no result; its log ends:\n${outcome.log.split('\n').slice(-12).join('\n')}`];
  const lines = r.verification.checks.filter((c) => !c.ok).map((c) => `  bench check ${c.name}: ${c.detail}`);
  if (r.errors.length > 0) lines.push(`  bench errors: ${r.errors.map((e) => `${e.endpoint} ${e.status} ×${e.count}`).join(', ')}`);
  return lines;
}

/**
 * When a ratio is missed: which component ran out of CPU, from the measured figures. For each
 * run it names where the CPU went, and for K > 1 what the target would have cost: the target
 * rate times the CPU one order took in that run, against the cores the machine had left over
 * from processes outside the cluster.
 */
function whyNotScaling(runs: KRun[]): string[] {
  const out: string[] = [];
  const base = Math.max(0, ...runs.filter((r) => r.k === 1).map((r) => r.ordersPerS));
  for (const run of runs) {
    const cpu = run.outcome.cpu;
    if (!cpu) continue;
    const entries = Object.entries(cpu.components);
    const isApi = (n: string): boolean => n.startsWith('api') && Number(n.slice(3)) <= run.k;
    const apis = entries.filter(([n]) => isApi(n));
    const meanApiUse = apis.reduce((a, [, c]) => a + c.cores / API_CPU_CAP, 0) / Math.max(1, apis.length);
    const apiMs = apis.reduce((a, [, c]) => a + c.msPerOrder, 0);
    const restMs = entries.filter(([n]) => !n.startsWith('api')).reduce((a, [, c]) => a + c.msPerOrder, 0);
    const top = entries.filter(([n]) => !n.startsWith('api')).sort((a, b) => b[1].msPerOrder - a[1].msPerOrder).slice(0, 3)
      .map(([n, c]) => `${n} ${c.msPerOrder.toFixed(2)}`).join(', ');
    let verdict: string;
    if (meanApiUse > 0.9) verdict = 'api processes at their cap: the api tier limits, as intended';
    else if (cpu.machineBusy > 0.9) verdict = 'the machine is saturated while the api processes are below their cap: the rest of the cluster limits';
    else verdict = 'neither the api cap nor the machine is saturated: latency (locks, round trips) limits';
    let line = `  K=${run.k} round ${run.round}: api processes at ${(meanApiUse * 100).toFixed(0)}% of their cap, machine ` +
      `${(cpu.machineBusy * 100).toFixed(0)}% busy (${cpu.otherCores.toFixed(2)} cores outside the cluster) → ${verdict}. ` +
      `CPU per order: api tier ${apiMs.toFixed(2)} ms, the rest ${restMs.toFixed(2)} ms (${top})`;
    const target = TARGETS[run.k];
    if (target && base > 0) {
      const rate = target * base;
      const needed = (rate * (apiMs + restMs)) / 1000;
      const free = cpu.machineCores - cpu.otherCores;
      line += `; ${target}× K=1 = ${rate.toFixed(0)} orders/s would take ${needed.toFixed(2)} cores at these costs, ` +
        `${free.toFixed(2)} were free of outside load`;
    }
    out.push(line);
  }
  return out;
}
