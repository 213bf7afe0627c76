import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Journal } from './journal.js';

/**
 * CPU cgroups for the cluster's "hosts": a hard cap (CFS bandwidth: `quota` µs of CPU per
 * `period` µs) for the api processes, and plain accounting groups for everything else so each
 * component's CPU per order can be measured.
 *
 * cgroup v2 is used when its `cpu` controller is available (`cpu.max`, `cpu.stat`). Hosts that
 * still mount the cpu controller on a v1 hierarchy (as this project's machines do: a hybrid
 * layout whose v2 mount has no controllers) get the same CFS bandwidth control through v1's
 * `cpu.cfs_quota_us` / `cpu.cfs_period_us` and accounting through `cpuacct.usage`.
 */
export interface CpuUsage {
  /** CPU time used by every task ever in the group, nanoseconds. */
  usageNs: number;
  /** Scheduler periods in which the group had to stop because its quota ran out. */
  throttledPeriods: number;
  periods: number;
  throttledNs: number;
}

export interface Cgroup {
  readonly name: string;
  /** The `cgroup.procs` files a process must be written into to join this group. */
  readonly procsFiles: string[];
  /** Cores the group may use at most, or null when uncapped. */
  readonly capCores: number | null;
  usage(): CpuUsage;
}

export interface CgroupDriver {
  readonly description: string;
  /**
   * A child group of the run's group. `weight` is its CPU weight relative to a default group
   * (1 = cpu.shares 1024 / cpu.weight 100): it only matters when the machine is saturated.
   */
  create(name: string, capCores: number | null, weight?: number): Cgroup;
}

/**
 * The run's own group competes with every process outside it as one scheduling entity; at the
 * default weight the whole cluster would get no more CPU than a single outside process. It is
 * given the weight of RUN_WEIGHT default entities instead, about what its processes would have
 * if they ran ungrouped.
 */
const RUN_WEIGHT = 10;

const PERIOD_US = 100_000; // the kernel's default CFS period, the one container runtimes use

interface Mount {
  path: string;
  type: string;
  options: string[];
}

function mounts(): Mount[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [, path = '', type = '', opts = ''] = line.split(' ');
      return { path, type, options: opts.split(',') };
    });
}

function readKeyed(file: string): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [key, value] = line.trim().split(/\s+/);
      if (key && value !== undefined) out.set(key, Number(value));
    }
  } catch {
    // a group that is gone reads as zeros
  }
  return out;
}

function readNumber(file: string): number {
  try {
    return Number(readFileSync(file, 'utf8').trim());
  } catch {
    return 0;
  }
}

class V2Driver implements CgroupDriver {
  readonly description: string;
  private readonly root: string;

  constructor(mountPath: string, runId: string, private readonly journal: Journal) {
    this.root = `${mountPath}/bookstore-cluster-${runId}`;
    this.description = `cgroup v2 at ${mountPath}: cpu.max "<quota> ${PERIOD_US}", usage from cpu.stat`;
    // The cpu controller must be enabled for the children of every ancestor; the mount's root
    // is where it usually already is. Enable it if not, and note it so cleanup turns it off.
    const control = `${mountPath}/cgroup.subtree_control`;
    if (!readFileSync(control, 'utf8').split(/\s+/).includes('cpu')) {
      journal.record({ kind: 'controller', path: mountPath, controller: 'cpu' });
      writeFileSync(control, '+cpu');
    }
    journal.record({ kind: 'cgroup', path: this.root });
    mkdirSync(this.root);
    writeFileSync(`${this.root}/cgroup.subtree_control`, '+cpu');
    writeFileSync(`${this.root}/cpu.weight`, String(100 * RUN_WEIGHT));
  }

  create(name: string, capCores: number | null, weight = 1): Cgroup {
    const dir = `${this.root}/${name}`;
    this.journal.record({ kind: 'cgroup', path: dir });
    mkdirSync(dir);
    if (capCores !== null) writeFileSync(`${dir}/cpu.max`, `${Math.round(capCores * PERIOD_US)} ${PERIOD_US}`);
    writeFileSync(`${dir}/cpu.weight`, String(Math.round(100 * weight)));
    return {
      name,
      capCores,
      procsFiles: [`${dir}/cgroup.procs`],
      usage() {
        const s = readKeyed(`${dir}/cpu.stat`);
        return {
          usageNs: (s.get('usage_usec') ?? 0) * 1000,
          periods: s.get('nr_periods') ?? 0,
          throttledPeriods: s.get('nr_throttled') ?? 0,
          throttledNs: (s.get('throttled_usec') ?? 0) * 1000,
        };
      },
    };
  }
}

class V1Driver implements CgroupDriver {
  readonly description: string;
  private readonly cpuRoot: string;
  private readonly acctRoot: string;

  constructor(cpuMount: string, acctMount: string, runId: string, private readonly journal: Journal) {
    this.cpuRoot = `${cpuMount}/bookstore-cluster-${runId}`;
    this.acctRoot = `${acctMount}/bookstore-cluster-${runId}`;
    this.description =
      `cgroup v1 (this host binds the cpu controller to v1): cpu.cfs_quota_us/cpu.cfs_period_us = <quota>/${PERIOD_US} ` +
      `(the CFS bandwidth limit behind v2's cpu.max), usage from cpuacct.usage`;
    for (const dir of new Set([this.cpuRoot, this.acctRoot])) {
      journal.record({ kind: 'cgroup', path: dir });
      mkdirSync(dir);
    }
    writeFileSync(`${this.cpuRoot}/cpu.shares`, String(1024 * RUN_WEIGHT));
  }

  create(name: string, capCores: number | null, weight = 1): Cgroup {
    const cpuDir = `${this.cpuRoot}/${name}`;
    const acctDir = `${this.acctRoot}/${name}`;
    for (const dir of new Set([cpuDir, acctDir])) {
      this.journal.record({ kind: 'cgroup', path: dir });
      mkdirSync(dir);
    }
    if (capCores !== null) {
      writeFileSync(`${cpuDir}/cpu.cfs_period_us`, String(PERIOD_US));
      writeFileSync(`${cpuDir}/cpu.cfs_quota_us`, String(Math.round(capCores * PERIOD_US)));
    }
    writeFileSync(`${cpuDir}/cpu.shares`, String(Math.round(1024 * weight)));
    return {
      name,
      capCores,
      procsFiles: [...new Set([`${cpuDir}/cgroup.procs`, `${acctDir}/cgroup.procs`])],
      usage() {
        const s = readKeyed(`${cpuDir}/cpu.stat`);
        return {
          usageNs: readNumber(`${acctDir}/cpuacct.usage`),
          periods: s.get('nr_periods') ?? 0,
          throttledPeriods: s.get('nr_throttled') ?? 0,
          throttledNs: s.get('throttled_time') ?? 0,
        };
      },
    };
  }
}

/** Picks v2 when its cpu controller is usable here, v1 otherwise; throws if neither is. */
export function cgroupDriver(runId: string, journal: Journal): CgroupDriver {
  const all = mounts();
  const v2 = all.find((m) => m.type === 'cgroup2');
  if (v2 && existsSync(`${v2.path}/cgroup.controllers`) &&
      readFileSync(`${v2.path}/cgroup.controllers`, 'utf8').split(/\s+/).includes('cpu')) {
    return new V2Driver(v2.path, runId, journal);
  }
  const cpu = all.find((m) => m.type === 'cgroup' && m.options.includes('cpu'));
  const acct = all.find((m) => m.type === 'cgroup' && m.options.includes('cpuacct'));
  if (cpu && acct) return new V1Driver(cpu.path, acct.path, runId, journal);
  throw new Error('no usable cpu cgroup controller (neither cgroup v2 with "cpu" nor v1 cpu+cpuacct is mounted)');
}

/** Whole-machine CPU from /proc/stat: busy and total jiffies across all cores. */
export function machineCpu(): { busy: number; total: number; softirq: number; steal: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal (guest is inside user)
  // Interrupt work (the bridge's packets) and the hypervisor's steal are busy time no cgroup is charged with.
  return { busy: total - idle, total, softirq: (v[5] ?? 0) + (v[6] ?? 0), steal: v[7] ?? 0 };
}
