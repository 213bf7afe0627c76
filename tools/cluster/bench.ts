import { readFileSync, readdirSync } from 'node:fs';
import type { BenchResult } from '../order-bench/report.js';
import { machineCpu, type Cgroup, type CpuUsage } from './cgroups.js';
import type { Cluster } from './cluster.js';
import { sleep } from './exec.js';
import { launch } from './procs.js';

export interface BenchRun {
  label: string;
  concurrency: number;
  durationS: number;
  warmupS: number;
  /** Extra options for run-bench (setup size...). */
  extra?: string[];
  url?: string;
  /** The benchmark's --client for the order load (default: lean). */
  client?: 'lean' | 'undici';
}

export interface ComponentCpu {
  /** Cores used on average over the measured window. */
  cores: number;
  /** CPU milliseconds per successful order (new_order + payment). */
  msPerOrder: number;
  /** Share of CFS periods in which a capped group was throttled (null when uncapped). */
  throttledShare: number | null;
}

export interface CpuReport {
  windowS: number;
  components: Record<string, ComponentCpu>;
  /** Machine-wide busy share of all cores, from /proc/stat. */
  machineBusy: number;
  /** Cores busy outside the cluster's cgroups (other users of the machine, the kernel, the harness). */
  otherCores: number;
  /** Of those: interrupt handling (irq + softirq) and hypervisor steal, in cores. */
  irqCores: number;
  stealCores: number;
  /** The busiest processes outside the cluster over the window, e.g. "node 0.61". */
  outsiders: string[];
  machineCores: number;
}

export interface BenchOutcome {
  result: BenchResult | null;
  exitCode: number | null;
  cpu: CpuReport | null;
  log: string;
}

type Snapshot = { at: number; groups: Map<string, CpuUsage>; machine: ReturnType<typeof machineCpu>; procs: Map<number, ProcTicks> };

interface ProcTicks {
  name: string;
  ticks: number;
}

/** utime + stime of every process not in the cluster's cgroups (to name what disturbs a run). */
function outsideProcesses(): Map<number, ProcTicks> {
  const out = new Map<number, ProcTicks>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cgroup`, 'utf8').includes('bookstore-cluster-')) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(entry), { name, ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

function snapshot(groups: Map<string, Cgroup>): Snapshot {
  const usage = new Map<string, CpuUsage>();
  for (const [name, g] of groups) usage.set(name, g.usage());
  return { at: performance.now(), groups: usage, machine: machineCpu(), procs: outsideProcesses() };
}

function cpuBetween(a: Snapshot, b: Snapshot, groups: Map<string, Cgroup>, orders: number): CpuReport {
  const windowS = (b.at - a.at) / 1000;
  const components: Record<string, ComponentCpu> = {};
  for (const [name, g] of groups) {
    const ua = a.groups.get(name)!;
    const ub = b.groups.get(name)!;
    const ns = ub.usageNs - ua.usageNs;
    const periods = ub.periods - ua.periods;
    components[name] = {
      cores: ns / 1e9 / windowS,
      msPerOrder: orders > 0 ? ns / 1e6 / orders : 0,
      throttledShare: g.capCores === null ? null : periods > 0 ? (ub.throttledPeriods - ua.throttledPeriods) / periods : 0,
    };
  }
  const busy = b.machine.busy - a.machine.busy;
  const total = b.machine.total - a.machine.total;
  const machineCores = total / windowS / 100; // /proc/stat counts in USER_HZ = 100 per second
  const machineBusy = total > 0 ? busy / total : 0;
  const ours = Object.values(components).reduce((n, c) => n + c.cores, 0);
  const cores = (jiffies: number): number => jiffies / windowS / 100;
  const outsiders = [...b.procs.entries()]
    .map(([pid, p]) => ({ name: p.name, cores: cores(p.ticks - (a.procs.get(pid)?.ticks ?? 0)) }))
    .filter((p) => p.cores >= 0.05).sort((x, y) => y.cores - x.cores).slice(0, 3)
    .map((p) => `${p.name} ${p.cores.toFixed(2)}`);
  return {
    outsiders,
    windowS, components, machineBusy, machineCores, otherCores: Math.max(0, machineBusy * machineCores - ours),
    irqCores: cores(b.machine.softirq - a.machine.softirq), stealCores: cores(b.machine.steal - a.machine.steal),
  };
}

/**
 * Runs the project's order benchmark (tools/order-bench) as it is, from the client host and in
 * the load generator's own cgroup, and measures every component's CPU over exactly its measured
 * window: the bench prints "warm-up W s, then measuring D s" when its load starts, so the window
 * is [that line + W, + D]. The bench's own checks (orders, stock, balances) decide its verdict.
 */
export async function runBench(cluster: Cluster, run: BenchRun): Promise<BenchOutcome> {
  const logFile = `${cluster.logDir}/bench-${run.label}.log`;
  const outFile = `${cluster.logDir}/bench-${run.label}.json`;
  const args = [
    `${cluster.opts.repoRoot}/build/tools/order-bench/run-bench.js`,
    '--url', run.url ?? cluster.lb.url,
    '--concurrency', String(run.concurrency),
    '--duration', String(run.durationS),
    '--warmup', String(run.warmupS),
    '--json',
    '--client', run.client ?? 'lean',
    ...(run.extra ?? []),
  ];
  const proc = launch({
    label: `bench-${run.label}`, cmd: 'node', args, env: { PATH: process.env.PATH, HOME: process.env.HOME },
    host: cluster.loadgenHost, cgroup: cluster.loadgenCgroup, logFile, stdoutFile: outFile,
  }, cluster.journal);

  let first: Snapshot | null = null;
  let last: Snapshot | null = null;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  // Watch the log for the start of the load, then take the two snapshots on time.
  while (!exited) {
    const text = readLog(logFile);
    if (/warm-up [\d.]+ s, then measuring/.test(text)) break;
    await sleep(50);
  }
  if (!exited) {
    await sleep(run.warmupS * 1000);
    first = snapshot(cluster.accounting);
    await Promise.race([sleep(run.durationS * 1000), proc.exited]);
    last = snapshot(cluster.accounting);
  }
  const exit = await proc.exited;
  let result: BenchResult | null = null;
  try {
    result = JSON.parse(readFileSync(outFile, 'utf8')) as BenchResult;
  } catch {
    result = null;
  }
  const orders = result?.throughput.transactionsOk ?? 0;
  const cpu = first && last ? cpuBetween(first, last, cluster.accounting, orders) : null;
  return { result, exitCode: exit.code, cpu, log: readLog(logFile) };
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** A one-line account of where the CPU went, e.g. "api1 0.30 (0.71 ms/order, throttled 92%)…". */
export function formatCpu(cpu: CpuReport | null, names: string[]): string {
  if (!cpu) return 'cpu: n/a';
  const parts = names.map((n) => {
    const c = cpu.components[n];
    if (!c) return `${n} n/a`;
    const thr = c.throttledShare === null ? '' : `, thr ${(c.throttledShare * 100).toFixed(0)}%`;
    return `${n} ${c.cores.toFixed(2)}c ${c.msPerOrder.toFixed(2)}ms${thr}`;
  });
  return `machine ${(cpu.machineBusy * 100).toFixed(0)}% of ${cpu.machineCores.toFixed(0)} cores, ` +
    `${cpu.otherCores.toFixed(2)} outside the cluster (irq ${cpu.irqCores.toFixed(2)}, steal ${cpu.stealCores.toFixed(2)}` +
    `${cpu.outsiders.length ? `, ${cpu.outsiders.join(', ')}` : ''}); ${parts.join('; ')}`;
}
