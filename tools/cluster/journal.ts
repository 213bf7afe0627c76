import { appendFileSync, existsSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { execQuiet, sleep } from './exec.js';

/**
 * Everything the harness creates on the machine, written down BEFORE (or, for processes, right
 * after) it is created, one JSON line each. Cleanup works from this file alone, so it can also
 * run from a second process (the bash entry's trap) when the harness itself was killed.
 */
export type Resource =
  | { kind: 'netns'; name: string }
  | { kind: 'link'; name: string }
  | { kind: 'cgroup'; path: string }
  /** A cgroup v2 controller the harness had to enable in a parent's cgroup.subtree_control. */
  | { kind: 'controller'; path: string; controller: string }
  /** A process group leader we spawned; `start` (from /proc) guards against pid reuse. */
  | { kind: 'process'; pid: number; start: string; label: string }
  | { kind: 'dir'; path: string };

export class Journal {
  constructor(readonly file: string) {
    if (!existsSync(file)) writeFileSync(file, '');
  }

  record(resource: Resource): void {
    appendFileSync(this.file, JSON.stringify(resource) + '\n');
  }

  entries(): Resource[] {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Resource];
        } catch {
          return []; // a line cut short by a crash names nothing we can act on
        }
      });
  }
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot), or null if PID is gone. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function isOurs(pid: number, start: string): boolean {
  return processStart(pid) === start;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal); // spawned detached: the pid leads its own process group
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function cgroupPids(path: string): number[] {
  try {
    return readFileSync(`${path}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Removes everything in the journal, in an order that works: processes first (so cgroups empty
 * out and nothing holds the namespaces), then namespaces and links, cgroups, and folders last.
 * Every step tolerates what is already gone, so cleanup can run twice.
 */
export async function cleanupJournal(journal: Journal, log: (line: string) => void = () => {}): Promise<void> {
  const all = journal.entries();
  const of = <K extends Resource['kind']>(kind: K) => all.filter((r): r is Extract<Resource, { kind: K }> => r.kind === kind);

  // 1. Processes we spawned, by pid and start time, as whole process groups (PostgreSQL backends).
  const procs = of('process').filter((p) => isOurs(p.pid, p.start));
  for (const p of procs) signalGroup(p.pid, 'SIGTERM');
  for (let i = 0; i < 50 && procs.some((p) => isOurs(p.pid, p.start)); i++) await sleep(100);
  for (const p of procs) {
    if (isOurs(p.pid, p.start)) {
      log(`cleanup: ${p.label} (pid ${p.pid}) ignored SIGTERM, killing it`);
      signalGroup(p.pid, 'SIGKILL');
    }
  }
  // Anything still inside our cgroups or our namespaces was started by us (possibly by a harness
  // that died before it could write the pid down).
  const cgroups = of('cgroup').map((c) => c.path);
  const netns = of('netns').map((n) => n.name);
  for (let round = 0; round < 3; round++) {
    const stray = new Set<number>(cgroups.flatMap(cgroupPids));
    for (const ns of netns) {
      const r = await execQuiet('ip', ['netns', 'pids', ns]);
      if (r.code === 0) r.stdout.split('\n').filter(Boolean).forEach((pid) => stray.add(Number(pid)));
    }
    stray.delete(process.pid);
    if (stray.size === 0) break;
    for (const pid of stray) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await sleep(200);
  }

  // 2. Namespaces (deleting one removes the veth end inside it), then links left in the root.
  for (const ns of netns.reverse()) await execQuiet('ip', ['netns', 'del', ns]);
  for (const link of of('link').reverse()) await execQuiet('ip', ['link', 'del', link.name]);

  // 3. Cgroups, children before parents; a cgroup empties a moment after its last task exits.
  const paths = [...new Set(cgroups)].sort((a, b) => b.length - a.length);
  for (const path of paths) {
    for (let i = 0; i < 30 && existsSync(path); i++) {
      try {
        rmdirSync(path);
      } catch {
        await sleep(100);
      }
    }
    if (existsSync(path)) log(`cleanup: could not remove cgroup ${path}`);
  }
  for (const c of of('controller')) {
    try {
      writeFileSync(`${c.path}/cgroup.subtree_control`, `-${c.controller}`);
    } catch {
      // another user of the hierarchy may still need it; leaving it enabled is harmless
    }
  }

  // 4. Folders (data directories, sockets, logs).
  for (const d of of('dir').reverse()) {
    try {
      rmSync(d.path, { recursive: true, force: true });
    } catch (err) {
      log(`cleanup: could not remove ${d.path}: ${String(err)}`);
    }
  }
}

/** Names of leftover cgroup children, for the cleanup check at the end of a run. */
export function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
