import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import type { Cgroup } from './cgroups.js';
import { sleep } from './exec.js';
import { processStart, type Journal } from './journal.js';
import type { Host } from './network.js';

export interface SpawnSpec {
  label: string;
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Network namespace to run in; null = the root namespace. */
  host: Host | null;
  cgroup: Cgroup | null;
  /** Run as this user (PostgreSQL and PgBouncer refuse to run as root). */
  user?: string;
  logFile: string;
  /** Standard output to its own file (default: into logFile with standard error). */
  stdoutFile?: string;
  cwd?: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Joins the cgroups first and only then execs the real command, so the process and everything
 * it forks (PostgreSQL backends, Node's threads) are accounted and capped from their first
 * instruction. `nsenter --net` changes only the network namespace (unlike `ip netns exec`, it
 * leaves /sys and its cgroup mounts alone). Every step execs, so the pid we get is the server's.
 */
const LAUNCHER = 'for f in $BSC_CGROUP_PROCS; do echo $$ > "$f" || exit 97; done; unset BSC_CGROUP_PROCS; exec "$@"';

/** A process the harness started; it leads its own process group (spawned detached). */
export class Proc {
  readonly exited: Promise<Exit>;
  private exit: Exit | null = null;

  constructor(readonly label: string, readonly pid: number, exited: Promise<Exit>, readonly logFile: string) {
    this.exited = exited.then((e) => (this.exit = e));
  }

  get alive(): boolean {
    return this.exit === null;
  }

  get exitInfo(): Exit | null {
    return this.exit;
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.alive) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // exited in the meantime
    }
  }

  /** Sends `signal`, waits up to `graceMs`, then kills the whole process group. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<Exit> {
    if (!this.alive) return this.exit!;
    this.signal(signal);
    const timedOut = Symbol('timeout');
    const first = await Promise.race([this.exited, sleep(graceMs).then(() => timedOut)]);
    if (first !== timedOut) {
      this.killGroup();
      return first as Exit;
    }
    this.killGroup();
    return this.exited;
  }

  /** SIGKILL to the process group: whatever it forked goes too. */
  killGroup(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // the group is empty
    }
  }

  /** The last `lines` lines of its log, for failure reports. */
  logTail(lines = 30): string {
    try {
      const text = readFileSync(this.logFile, 'utf8');
      return text.split('\n').slice(-lines - 1).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

export function launch(spec: SpawnSpec, journal: Journal): Proc {
  const argv: string[] = [];
  if (spec.host) argv.push('nsenter', `--net=/run/netns/${spec.host.ns}`, '--');
  if (spec.user) argv.push('setpriv', `--reuid=${spec.user}`, `--regid=${spec.user}`, '--init-groups', '--');
  argv.push(spec.cmd, ...spec.args);
  const fd = openSync(spec.logFile, 'a');
  const out = spec.stdoutFile ? openSync(spec.stdoutFile, 'w') : fd;
  const child = spawn('sh', ['-c', LAUNCHER, 'sh', ...argv], {
    detached: true, // own process group: a Ctrl-C on the terminal reaches the harness, not the cluster
    stdio: ['ignore', out, fd],
    env: { ...spec.env, BSC_CGROUP_PROCS: (spec.cgroup?.procsFiles ?? []).join(' ') },
    cwd: spec.cwd,
  });
  closeSync(fd);
  if (out !== fd) closeSync(out);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${spec.label} (${spec.cmd})`);
  // Written down at once, with its start time, so a cleanup can never signal a recycled pid.
  journal.record({ kind: 'process', pid, start: processStart(pid) ?? '', label: spec.label });
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Proc(spec.label, pid, exited, spec.logFile);
}

export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The part of a log file written after byte `from`. */
export function readFrom(path: string, from: number): string {
  try {
    return readFileSync(path).subarray(from).toString('utf8');
  } catch {
    return '';
  }
}
