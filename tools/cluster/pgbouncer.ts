import { writeFileSync } from 'node:fs';
import pg from 'pg';
import type { Cgroup } from './cgroups.js';
import { FatalError, waitFor } from './exec.js';
import type { Journal } from './journal.js';
import type { Host } from './network.js';
import type { PgInstance } from './postgres.js';
import { launch, type Proc } from './procs.js';
import { HARNESS_APP } from './postgres.js';

export const PGBOUNCER_PORT = 6432;

/** The database names PgBouncer offers; each is a pool of its own. */
export const POOLED_DB = 'bookstore'; // transaction mode → primary: the target topology
export const SESSION_DB = 'bookstore_session'; // session mode → primary: for a server not yet pooler-safe
export const REPLICA_DB = 'bookstore_replica'; // transaction mode → replica

export interface PgBouncerOptions {
  host: Host;
  dir: string;
  logFile: string;
  cgroup: Cgroup;
  primary: PgInstance;
  replica: PgInstance;
  /** Server connections per pool in transaction mode. */
  poolSize: number;
}

/**
 * PgBouncer 1.18 in front of the primary (over its Unix socket: PgBouncer runs on the database
 * host) and of the replica. Transaction mode hands a server connection to a client for one
 * transaction only, so 4 api processes × 8 client connections share `poolSize` server
 * connections. reserve_pool_size = 0 makes `poolSize` a hard bound that T2 can check.
 */
export class PgBouncer {
  proc: Proc | null = null;

  constructor(readonly opts: PgBouncerOptions, private readonly journal: Journal) {}

  url(db: string): string {
    return `postgres://postgres@${this.opts.host.ip}:${PGBOUNCER_PORT}/${db}`;
  }

  async start(): Promise<void> {
    const o = this.opts;
    const p = o.primary.opts;
    const r = o.replica.opts;
    writeFileSync(`${o.dir}/userlist.txt`, '"postgres" ""\n');
    writeFileSync(`${o.dir}/pgbouncer.ini`, `[databases]
${POOLED_DB} = host=${p.socketDir} port=${p.port} dbname=bookstore pool_size=${o.poolSize}
${SESSION_DB} = host=${p.socketDir} port=${p.port} dbname=bookstore pool_mode=session pool_size=150
${REPLICA_DB} = host=${r.host.ip} port=${r.port} dbname=bookstore pool_size=${o.poolSize}

[pgbouncer]
listen_addr = ${o.host.ip}
listen_port = ${PGBOUNCER_PORT}
unix_socket_dir =
auth_type = trust
auth_file = ${o.dir}/userlist.txt
admin_users = postgres
pool_mode = transaction
default_pool_size = ${o.poolSize}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 1000
max_db_connections = 0
server_lifetime = 3600
server_idle_timeout = 600
; the server also sends its statement, lock and idle-in-transaction timeouts; these and others a
; client might send must not make PgBouncer refuse the connection
ignore_startup_parameters = extra_float_digits,options,statement_timeout,lock_timeout,idle_in_transaction_session_timeout
logfile = ${o.logFile}
log_connections = 0
log_disconnections = 0
log_pooler_errors = 1
stats_period = 60
`);
    this.proc = launch({
      label: 'pgbouncer',
      cmd: 'pgbouncer',
      args: [`${o.dir}/pgbouncer.ini`],
      env: { PATH: process.env.PATH },
      host: o.host,
      cgroup: o.cgroup,
      user: 'postgres',
      logFile: `${o.dir}/pgbouncer.stdout`,
    }, this.journal);
    await waitFor('pgbouncer to accept connections', 20_000, async () => {
      if (!this.proc?.alive) throw new FatalError(`pgbouncer exited:\n${this.proc?.logTail(15)}`);
      await this.admin('SHOW VERSION');
      return true;
    }, 200);
  }

  /** A command on PgBouncer's admin console (simple query protocol only). */
  async admin(command: string): Promise<Record<string, unknown>[]> {
    const client = new pg.Client({ connectionString: this.url('pgbouncer'), application_name: HARNESS_APP, connectionTimeoutMillis: 2000 });
    client.on('error', () => {});
    await client.connect();
    try {
      return (await client.query(command)).rows as Record<string, unknown>[];
    } finally {
      await client.end().catch(() => {});
    }
  }

  async stop(): Promise<void> {
    await this.proc?.stop('SIGINT', 5_000); // SIGINT: PgBouncer's "shut down now"
  }
}
