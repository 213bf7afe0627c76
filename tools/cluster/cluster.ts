import { appendFileSync, chmodSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { cgroupDriver, type Cgroup, type CgroupDriver } from './cgroups.js';
import { exec, FatalError, waitFor } from './exec.js';
import { API_PORT, Haproxy, type LbMode } from './haproxy.js';
import type { Journal } from './journal.js';
import { Network, type Host } from './network.js';
import { PgBouncer, POOLED_DB, REPLICA_DB, SESSION_DB } from './pgbouncer.js';
import { PgInstance, postgresOwnedDir } from './postgres.js';
import { launch, type Exit, type Proc } from './procs.js';

/**
 * Every api process is a "small host": this share of one core, enforced by its cgroup.
 * CLUSTER_API_CPU (default 0.3): on a 2-core machine the database and the load generator need
 * more than what 3 × 0.3 leaves, so T1's ratios are only reachable with a lower cap (docs/scaling.md).
 */
export const API_CPU_CAP = apiCpuCap(process.env.CLUSTER_API_CPU);

function apiCpuCap(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 0.3;
  const cap = Number(raw);
  if (!Number.isFinite(cap) || cap < 0.05 || cap > 1) throw new Error(`CLUSTER_API_CPU must be a number between 0.05 and 1 (got "${raw}")`);
  return cap;
}
export const MAX_API = 3;
export const PRIMARY_PORT = 15432;
export const REPLICA_PORT = 15433;
const INFRA_WEIGHT = 4;

export type Role = 'api' | 'worker';

/**
 * How the servers reach PostgreSQL:
 * - `pooled`: PgBouncer in transaction mode (DATABASE_POOLER=transaction): the target topology;
 * - `session`: PgBouncer in session mode, for a server that still needs a session per client
 *   (named prepared statements): same hops and CPU accounting, no 42P05.
 */
export type DbPath = 'pooled' | 'session';

export interface ServerSettings {
  dbPath: DbPath;
  /** Give the api processes DATABASE_REPLICA_URL. */
  replicaReads: boolean;
  orderTimeoutS: number;
  /** A shared BOOKSTORE_SECRET, or null to let the servers share one kept in the database. */
  secret: string | null;
  drainS: number;
  /** BOOKSTORE_DB_POOL_SIZE: database connections per server process. */
  dbPool: number;
}

export interface ClusterOptions {
  root: string;
  runId: string;
  lbMode: LbMode;
  pgbouncerPoolSize: number;
  repoRoot: string;
}

/** One Node server process (api or worker) in its own namespace. */
export class ServerProc {
  proc: Proc | null = null;
  starts = 0;

  constructor(readonly name: string, readonly role: Role, readonly host: Host, readonly cgroup: Cgroup, readonly logFile: string) {}

  get url(): string {
    return `http://${this.host.ip}:${API_PORT}`;
  }

  get alive(): boolean {
    return this.proc?.alive ?? false;
  }
}

/**
 * The whole cluster: the private network, the cgroups, PostgreSQL primary and replica,
 * PgBouncer, HAProxy, MAX_API api processes and the worker(s). Methods start and stop the
 * Node servers with the settings a phase needs; everything is recorded in the journal.
 */
export class Cluster {
  net!: Network;
  cgroups!: CgroupDriver;
  primary!: PgInstance;
  replica!: PgInstance;
  pgbouncer!: PgBouncer;
  lb!: Haproxy;
  readonly apis: ServerProc[] = [];
  readonly workers: ServerProc[] = [];
  loadgenHost!: Host;
  loadgenCgroup!: Cgroup;
  accounting = new Map<string, Cgroup>();
  settings: ServerSettings | null = null;
  readonly logDir: string;

  constructor(readonly opts: ClusterOptions, readonly journal: Journal, private readonly log: (line: string) => void) {
    this.logDir = `${opts.root}/logs`;
  }

  async build(workerCount: number): Promise<void> {
    const { root, runId } = this.opts;
    chmodSync(root, 0o755); // PostgreSQL and PgBouncer run as "postgres" and need to reach their folders
    mkdirSync(this.logDir, { recursive: true });
    postgresOwnedDir(`${root}/pg`);

    this.cgroups = cgroupDriver(runId, this.journal);
    this.log(`cgroups: ${this.cgroups.description}`);
    // The infrastructure (load generator, HAProxy, PgBouncer, PostgreSQL) gets INFRA_WEIGHT: when
    // the machine runs out of CPU it is served before the api processes, so what T1 measures is
    // the api tier and not the scheduler starving a database with many backends in one group.
    const group = (name: string, cap: number | null, weight = INFRA_WEIGHT): Cgroup => {
      const g = this.cgroups.create(name, cap, weight);
      this.accounting.set(name, g);
      return g;
    };

    this.net = await Network.create(this.journal, runId);
    this.log(`network: bridge ${this.net.bridge}, ${this.net.cidr}`);
    const dbHost = await this.net.addHost('db1', 10);
    const replicaHost = await this.net.addHost('db2', 11);
    const lbHost = await this.net.addHost('lb', 2);
    this.loadgenHost = await this.net.addHost('client', 3);
    const apiHosts: Host[] = [];
    for (let i = 1; i <= MAX_API; i++) apiHosts.push(await this.net.addHost(`api${i}`, 30 + i));
    const workerHosts: Host[] = [];
    for (let i = 1; i <= workerCount; i++) workerHosts.push(await this.net.addHost(`worker${i}`, 20 + i));

    this.loadgenCgroup = group('loadgen', null);
    for (const h of apiHosts) this.apis.push(new ServerProc(h.name, 'api', h, group(h.name, API_CPU_CAP, 1), `${this.logDir}/${h.name}.log`));
    for (const h of workerHosts) this.workers.push(new ServerProc(h.name, 'worker', h, group(h.name, null), `${this.logDir}/${h.name}.log`));

    const subnet = this.net.cidr;
    this.primary = await PgInstance.initPrimary({
      label: 'primary', host: dbHost, port: PRIMARY_PORT, dataDir: `${root}/pg/primary`, socketDir: `${root}/pg/sock-primary`,
      logFile: `${this.logDir}/primary.log`, cgroup: group('primary', null), subnet,
    }, this.journal);
    await this.primary.start();
    await this.primary.query('CREATE DATABASE bookstore', [], 'postgres');
    this.log(`primary: PostgreSQL 15 at ${dbHost.ip}:${PRIMARY_PORT}`);

    this.replica = await PgInstance.initReplica({
      label: 'replica', host: replicaHost, port: REPLICA_PORT, dataDir: `${root}/pg/replica`, socketDir: `${root}/pg/sock-replica`,
      logFile: `${this.logDir}/replica.log`, cgroup: group('replica', null), subnet,
    }, this.primary, this.journal);
    await this.replica.start();
    const [rec] = await this.replica.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
    if (!rec?.r) throw new Error('the replica is not in recovery: pg_basebackup -R did not make a standby');
    await waitFor('the replica to stream from the primary', 20_000, async () =>
      (await this.primary.query('SELECT 1 FROM pg_stat_replication WHERE state = $1', ['streaming'])).length === 1);
    this.log(`replica: streaming at ${replicaHost.ip}:${REPLICA_PORT}`);

    postgresOwnedDir(`${root}/pg/pgbouncer`);
    this.pgbouncer = new PgBouncer({
      host: dbHost, dir: `${root}/pg/pgbouncer`, logFile: `${root}/pg/pgbouncer/pgbouncer.log`, cgroup: group('pgbouncer', null),
      primary: this.primary, replica: this.replica, poolSize: this.opts.pgbouncerPoolSize,
    }, this.journal);
    await this.pgbouncer.start();
    this.log(`pgbouncer: ${dbHost.ip}:6432, transaction pools of ${this.opts.pgbouncerPoolSize} server connections`);

    // The release step: the schema is created once, straight on the primary (DDL and advisory
    // locks do not belong behind a transaction pooler), before any server starts.
    await exec('node', [`${this.opts.repoRoot}/bin/bookstore.js`, 'migrate'], {
      PATH: process.env.PATH, DATABASE_URL: this.primary.url(), LOG_LEVEL: 'warn',
    });
    this.log('schema: bookstore migrate applied on the primary');

    mkdirSync(`${root}/lb`, { recursive: true });
    this.lb = new Haproxy({ host: lbHost, dir: `${root}/lb`, cgroup: group('lb', null), servers: apiHosts, mode: this.opts.lbMode }, this.journal);
    await this.lb.start();
    this.log(`haproxy: ${this.lb.url} (${this.opts.lbMode} mode), health check GET /readyz`);
  }

  databaseUrl(path: DbPath): string {
    return this.pgbouncer.url(path === 'pooled' ? POOLED_DB : SESSION_DB);
  }

  private serverEnv(server: ServerProc, s: ServerSettings): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME ?? '/root',
      PORT: String(API_PORT),
      HOST: server.host.ip,
      BOOKSTORE_ROLE: server.role,
      DATABASE_URL: this.databaseUrl(s.dbPath),
      BOOKSTORE_DATA_DIR: `${this.opts.root}/data-${server.name}`,
      BOOKSTORE_ORDER_TIMEOUT_S: String(s.orderTimeoutS),
      BOOKSTORE_SCRYPT_LOG_N: '10', // setup registers many users; 2^10 keeps that quick
      BOOKSTORE_DRAIN_S: String(s.drainS),
      LOG_LEVEL: 'warn', // no access line per request: the api tier's CPU goes to requests
      BOOKSTORE_DB_POOL_SIZE: String(s.dbPool),
      // Above HAProxy's idle timeouts (60 s): HAProxy, not the server, closes idle connections, so
      // it never reuses one the server has just closed (README: BOOKSTORE_KEEP_ALIVE_TIMEOUT_MS).
      BOOKSTORE_KEEP_ALIVE_TIMEOUT_MS: '75000',
    };
    // For experiments (a profiler, a preload): passed to every server's node as NODE_OPTIONS.
    if (process.env.CLUSTER_SERVER_NODE_OPTIONS) env.NODE_OPTIONS = process.env.CLUSTER_SERVER_NODE_OPTIONS;
    if (s.dbPath === 'pooled') env.DATABASE_POOLER = 'transaction';
    if (s.replicaReads && server.role === 'api') env.DATABASE_REPLICA_URL = this.pgbouncer.url(REPLICA_DB);
    if (s.secret !== null) env.BOOKSTORE_SECRET = s.secret;
    return env;
  }

  startServer(server: ServerProc, s: ServerSettings): void {
    server.starts += 1;
    appendFileSync(server.logFile, `\n==== harness: start #${server.starts} of ${server.name} (${server.role}) at ${new Date().toISOString()} ====\n`);
    server.proc = launch({
      label: server.name,
      cmd: 'node',
      args: ['--enable-source-maps', `${this.opts.repoRoot}/build/src/main.js`],
      env: this.serverEnv(server, s),
      host: server.host,
      cgroup: server.cgroup,
      logFile: server.logFile,
      cwd: this.opts.repoRoot,
    }, this.journal);
  }

  /** Waits until GET /readyz answers 200 straight from the process (not through HAProxy). */
  async waitReady(server: ServerProc, timeoutMs = 60_000): Promise<void> {
    await waitFor(`${server.name} to be ready`, timeoutMs, async () => {
      if (!server.alive) {
        const exit = server.proc?.exitInfo;
        throw new FatalError(`${server.name} exited (${describeExit(exit)}):\n${server.proc?.logTail(12)}`);
      }
      const res = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
      return res?.status === 200;
    }, 200);
  }

  /** (Re)starts every api process and `workers` workers with settings `s`; resolves when all are ready. */
  async startAll(s: ServerSettings, workers = 1): Promise<void> {
    await this.stopAll();
    this.settings = s;
    const all = [...this.apis, ...this.workers.slice(0, workers)];
    for (const server of all) this.startServer(server, s);
    await Promise.all(all.map((server) => this.waitReady(server)));
    await this.lb.useServers(this.apis.map((a) => a.name));
  }

  async stopServer(server: ServerProc, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<Exit | null> {
    if (!server.proc) return null;
    return server.proc.stop(signal, graceMs);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.apis, ...this.workers].map((s) => this.stopServer(s)));
  }

  /** Stops the cluster's components in dependency order; the journal's cleanup removes the rest. */
  async shutdown(): Promise<void> {
    const steps: Array<() => Promise<unknown>> = [
      () => this.stopAll(),
      () => this.lb?.stop() ?? Promise.resolve(),
      () => this.pgbouncer?.stop() ?? Promise.resolve(),
      () => this.replica?.stop() ?? Promise.resolve(),
      () => this.primary?.stop() ?? Promise.resolve(),
    ];
    for (const step of steps) await step().catch((err: unknown) => this.log(`shutdown: ${String(err)}`));
  }
}

export function describeExit(exit: Exit | null | undefined): string {
  if (!exit) return 'still running';
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

export function newSecret(): string {
  return randomBytes(32).toString('hex'); // 64 characters, well over the 32 the servers ask for
}
