import { appendFileSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import type { Cgroup } from './cgroups.js';
import { exec, FatalError, waitFor } from './exec.js';
import type { Journal } from './journal.js';
import type { Host } from './network.js';
import { launch, type Proc } from './procs.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
export const HARNESS_APP = 'cluster-harness';
const PG_USER = 'postgres';

/**
 * Settings of the scratch primary, tuned so that the database spends its CPU on the orders:
 * - synchronous_commit = off: a commit returns without waiting for its WAL flush (the WAL
 *   writer flushes every 200 ms). Measured here it took PostgreSQL's CPU per order from about
 *   1.6–2.9 ms to 1.0–1.6 ms. A crash of PostgreSQL itself could lose the last ~0.6 s of
 *   acknowledged commits; no test crashes PostgreSQL (T4 kills api processes), and fsync stays
 *   on, so the database is never corrupted.
 * - enough shared_buffers for the whole data set, and checkpoints far apart so none lands
 *   inside a measured run (after a checkpoint the next change of every page writes a full page
 *   image: a burst of extra WAL and CPU).
 */
const PRIMARY_SETTINGS = `
# --- cluster test harness ---
synchronous_commit = off
max_connections = 200
shared_buffers = 256MB
wal_level = replica
max_wal_senders = 5
wal_keep_size = 1GB
hot_standby = on
max_wal_size = 8GB
min_wal_size = 1GB
checkpoint_timeout = 30min
log_line_prefix = '%m [%p] %e %a: '
log_min_messages = warning
log_min_error_statement = error
lc_messages = 'C'
# per-phase overrides (recovery_min_apply_delay on the replica), reloaded with SIGHUP
include_if_exists = 'harness.conf'
`;

export interface PgOptions {
  label: string;
  host: Host;
  port: number;
  dataDir: string;
  socketDir: string;
  logFile: string;
  cgroup: Cgroup;
  subnet: string;
}

/** One PostgreSQL 15 server of the harness's own, never the machine's main cluster. */
export class PgInstance {
  proc: Proc | null = null;
  private pool: pg.Pool | null = null;

  constructor(readonly opts: PgOptions, private readonly journal: Journal) {}

  url(db = 'bookstore'): string {
    return `postgres://${PG_USER}@${this.opts.host.ip}:${this.opts.port}/${db}`;
  }

  /** initdb into a fresh folder, trust auth from the private subnet, replication allowed. */
  static async initPrimary(opts: PgOptions, journal: Journal): Promise<PgInstance> {
    postgresOwnedDir(opts.socketDir);
    await exec('setpriv', [`--reuid=${PG_USER}`, `--regid=${PG_USER}`, '--init-groups', '--',
      `${PG_BIN}/initdb`, '-D', opts.dataDir, '-U', PG_USER, '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-instructions']);
    // CLUSTER_PG_SETTINGS="a=1;b=2" adds settings, for experiments with the database's tuning.
    const extra = (process.env.CLUSTER_PG_SETTINGS ?? '').split(';').map((s) => s.trim()).filter(Boolean).join('\n');
    appendFileSync(`${opts.dataDir}/postgresql.conf`, PRIMARY_SETTINGS + (extra ? `# CLUSTER_PG_SETTINGS\n${extra}\n` : ''));
    appendFileSync(`${opts.dataDir}/pg_hba.conf`,
      `host all all ${opts.subnet} trust\nhost replication all ${opts.subnet} trust\n`);
    return new PgInstance(opts, journal);
  }

  /** A streaming replica of `primary`: pg_basebackup -R run from the replica's own host. */
  static async initReplica(opts: PgOptions, primary: PgInstance, journal: Journal): Promise<PgInstance> {
    postgresOwnedDir(opts.socketDir);
    await exec('nsenter', [`--net=/run/netns/${opts.host.ns}`, '--', 'setpriv', `--reuid=${PG_USER}`, `--regid=${PG_USER}`,
      '--init-groups', '--', `${PG_BIN}/pg_basebackup`, '-h', primary.opts.host.ip, '-p', String(primary.opts.port),
      '-U', PG_USER, '-D', opts.dataDir, '-R', '-X', 'stream', '--checkpoint=fast']);
    return new PgInstance(opts, journal);
  }

  async start(): Promise<void> {
    const o = this.opts;
    // Instance-specific settings on the command line, so the replica's copy of postgresql.conf
    // (made by pg_basebackup) needs no editing.
    this.proc = launch({
      label: o.label,
      cmd: `${PG_BIN}/postgres`,
      args: ['-D', o.dataDir, '-c', `port=${o.port}`, '-c', `listen_addresses=${o.host.ip}`, '-c', `unix_socket_directories=${o.socketDir}`],
      env: { PATH: process.env.PATH, LANG: 'C.UTF-8' },
      host: o.host,
      cgroup: o.cgroup,
      user: PG_USER,
      logFile: o.logFile,
    }, this.journal);
    await waitFor(`${o.label} to accept connections`, 60_000, async () => {
      if (!this.proc?.alive) throw new FatalError(`${o.label} exited:\n${this.proc?.logTail(15)}`);
      return (await this.query('SELECT 1', [], 'postgres').catch(() => null)) !== null;
    }, 200);
  }

  /** Fast shutdown (SIGINT): disconnect clients, checkpoint, exit. */
  async stop(): Promise<void> {
    await this.pool?.end().catch(() => {});
    this.pool = null;
    await this.proc?.stop('SIGINT', 20_000);
  }

  /** Writes the per-phase settings file and reloads (SIGHUP). */
  reloadWith(settings: string): void {
    writeFileSync(`${this.opts.dataDir}/harness.conf`, settings);
    this.proc?.signal('SIGHUP');
  }

  /** A harness query on database `db` (the pool for 'bookstore' is kept open). */
  async query<Row extends Record<string, unknown> = Record<string, unknown>>(sql: string, params: unknown[] = [], db = 'bookstore'): Promise<Row[]> {
    if (db !== 'bookstore') {
      const client = new pg.Client({ connectionString: this.url(db), application_name: HARNESS_APP, connectionTimeoutMillis: 2000 });
      client.on('error', () => {});
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as Row[];
      } finally {
        await client.end().catch(() => {});
      }
    }
    if (!this.pool) {
      this.pool = new pg.Pool({ connectionString: this.url(db), max: 3, application_name: HARNESS_APP, connectionTimeoutMillis: 5000 });
      this.pool.on('error', () => {}); // an idle connection dropped (the server stopping) is not an error of the harness
    }
    return (await this.pool.query(sql, params)).rows as Row[];
  }
}

/** uid and gid of the postgres user, from /etc/passwd. */
function postgresIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${PG_USER}:`));
  if (!line) throw new Error(`no "${PG_USER}" user on this machine (the postgresql package creates it)`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** A folder owned by the postgres user (data directories, sockets, PgBouncer's files). */
export function postgresOwnedDir(path: string): void {
  mkdirSync(path, { recursive: true });
  const { uid, gid } = postgresIds();
  chownSync(path, uid, gid);
}
