import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './process.js';

/** The PostgreSQL server binaries (initdb, pg_ctl): $PG_BIN, or the newest under /usr/lib/postgresql. */
export function postgresBin(): string | undefined {
  const candidates = process.env.PG_BIN
    ? [process.env.PG_BIN]
    : existsSync('/usr/lib/postgresql')
      ? readdirSync('/usr/lib/postgresql')
          .sort((a, b) => Number(b) - Number(a))
          .map((v) => `/usr/lib/postgresql/${v}/bin`)
      : [];
  return candidates.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')));
}

export interface ScratchCluster {
  /** Connection string of its `postgres` database. */
  url: string;
  /** `immediate` is what a crash or a kill looks like to clients; `fast` is an orderly restart. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * A PostgreSQL server of the test's own: its own initdb folder and port, so it can be stopped
 * and started at will without touching the shared one. PostgreSQL refuses to run as root, so
 * under root it runs as the `postgres` user.
 */
export async function startScratchCluster(bin: string, { standbyOf }: { standbyOf?: { port: number; applyDelayMs: number } } = {}): Promise<ScratchCluster & { port: number }> {
  const root = mkdtempSync(path.join(tmpdir(), 'bookstore-pgcluster-'));
  const data = path.join(root, 'data');
  const port = await freePort();
  const asUser: { uid?: number; gid?: number } = {};
  if (process.getuid?.() === 0) {
    asUser.uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    asUser.gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(root, asUser.uid, asUser.gid);
  }
  const run = (tool: string, args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(path.join(bin, tool), args, { ...asUser, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${tool} ${args.join(' ')} exited ${code}:\n${output}`))));
    });
  if (standbyOf === undefined) {
    await run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  } else {
    // A streaming standby of that cluster (initdb's trust rules admit replication from 127.0.0.1),
    // replaying its WAL no sooner than applyDelayMs after each commit.
    await run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(standbyOf.port), '-U', 'postgres', '-D', data, '-R', '-X', 'stream']);
    appendFileSync(path.join(data, 'postgresql.auto.conf'), `recovery_min_apply_delay = '${standbyOf.applyDelayMs}ms'\n`);
  }
  // wal_level replica (the default) and a few WAL senders: any scratch cluster can have standbys.
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50 -c max_wal_senders=4 -c hot_standby=on`;
  const start = () => run('pg_ctl', ['start', '-w', '-t', '30', '-D', data, '-l', path.join(root, 'log'), '-o', options]);
  await start();
  let running = true;
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop(mode = 'immediate') {
      await run('pg_ctl', ['stop', '-w', '-t', '30', '-m', mode, '-D', data]);
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async destroy() {
      if (running) await run('pg_ctl', ['stop', '-w', '-m', 'immediate', '-D', data]).catch(() => {});
      rmSync(root, { recursive: true, force: true });
    },
  };
}
