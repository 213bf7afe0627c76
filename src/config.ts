import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, closeSync, constants, existsSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DEFAULT_DATABASE_TIMEOUTS, type DatabaseTimeouts } from './db/database.js';
import { makeFolder } from './db/private-folder.js';

/** Limits on what one client or one request can hold; the defaults are argued in the README. */
export interface Limits {
  db: DatabaseTimeouts;
  /** The whole request head must arrive within this (slowloris). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Open HTTP connections beyond this are closed at once. */
  maxConnections: number;
}

export const DEFAULT_LIMITS: Limits = {
  db: DEFAULT_DATABASE_TIMEOUTS,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1024,
};

export interface Config {
  port: number;
  host: string;
  /** PostgreSQL connection string; absent → embedded PGlite in dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  orderTimeoutS: number;
  tokenTtlS: number;
  /**
   * Token signing key: BOOKSTORE_SECRET, else the data folder's secret file (embedded database);
   * undefined with DATABASE_URL and no BOOKSTORE_SECRET: then it is kept in the database, shared
   * by every process (services/server-secret.ts).
   */
  secret: Buffer | undefined;
  /** scrypt cost (log2 N); 15 = 32 MiB per hash. */
  scryptLogN: number;
  /** Password hashes computed at once (at most libuv's thread pool, where they run). */
  hashConcurrency: number;
  /** Password hashes that may wait for a slot; beyond, 503. */
  hashQueue: number;
  poolSize: number;
  limits: Limits;
  logLevel: string;
  /** all: API and background jobs; api: the API only; worker: the jobs, and only the service endpoints. */
  role: Role;
  /** Server processes sharing the port (Node's cluster), each a whole server. */
  workers: number;
  /** On SIGTERM: seconds /readyz answers 503 while requests are still served, before stopping. */
  drainS: number;
  /** A streaming replica for search and order listings. */
  replicaUrl: string | undefined;
  /** 'transaction': DATABASE_URL goes through a transaction-mode pooler (PgBouncer). */
  pooler: 'session' | 'transaction';
  /** Browser origins allowed cross-origin requests: `scheme://host[:port]`, port `*` for any, or `*` for any origin. */
  corsOrigins: readonly string[];
  /** At start, how long to keep trying to reach PostgreSQL before giving up (it may be starting too). */
  dbWaitS: number;
}

export const ROLES = ['all', 'api', 'worker'] as const;
export type Role = (typeof ROLES)[number];

/** A process whose config has a secret: where the database-kept one has been read (or none was needed). */
export type ResolvedConfig = Config & { secret: Buffer };

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

/** libuv's thread pool, where scrypt runs: UV_THREADPOOL_SIZE threads, 4 unless set. */
export function threadPoolSize(env: Env = process.env): number {
  const n = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n >= 1 && n <= 1024 ? n : 4;
}

/** 2^17 × 128 × 8 = 128 MiB per hash is the most a server should spend on one login. */
export const SCRYPT_LOG_N_RANGE = { min: 10, max: 17 } as const;

function intVar(env: Env, name: string, fallback: number, min: number, max: number, unit = ''): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  // One message for every bad value (-1, 1.5, 10x, out of range): what is accepted, then what was given.
  const range = `${name} must be a whole number between ${min} and ${max}${unit}, got "${raw}"`;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(range);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(range);
  return value;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads and validates configuration; throws ConfigError with a message a user can act on. */
export function loadConfig(env: Env = process.env): Config {
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError(`DATABASE_URL must start with postgres:// or postgresql://, got "${databaseUrl}"`);
  }
  const host = env.HOST?.trim() || '127.0.0.1';
  const logLevel = env.LOG_LEVEL?.trim() || 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const dataDir = resolve(env.BOOKSTORE_DATA_DIR?.trim() || './data');
  if (!databaseUrl) checkDataDir(dataDir, () => makeFolder(dataDir));
  const limits = loadLimits(env);
  const role = choice(env, 'BOOKSTORE_ROLE', ROLES, 'all');
  const pooler = choice(env, 'DATABASE_POOLER', ['session', 'transaction'] as const, 'session');
  const replicaUrl = env.DATABASE_REPLICA_URL?.trim() || undefined;
  if (replicaUrl && !/^postgres(ql)?:\/\//.test(replicaUrl)) {
    throw new ConfigError(`DATABASE_REPLICA_URL must start with postgres:// or postgresql://, got "${replicaUrl}"`);
  }
  if (replicaUrl && !databaseUrl) throw new ConfigError('DATABASE_REPLICA_URL needs DATABASE_URL: a replica is of a PostgreSQL primary');
  const workers = intVar(env, 'BOOKSTORE_WORKERS', 1, 1, 64);
  if (workers > 1 && !databaseUrl) {
    throw new ConfigError('BOOKSTORE_WORKERS (--workers) above 1 needs DATABASE_URL: the embedded database belongs to one process');
  }
  // With PostgreSQL and no BOOKSTORE_SECRET the secret is the database's, shared by every process.
  const secret = databaseUrl && !env.BOOKSTORE_SECRET ? undefined : loadSecret(env.BOOKSTORE_SECRET, dataDir);
  // After the secret, whose own errors name its file: the embedded database writes here too.
  if (!databaseUrl) checkDataDir(dataDir, () => accessSync(dataDir, constants.W_OK | constants.X_OK));
  return {
    port: intVar(env, 'PORT', 5000, 0, 65535),
    host,
    databaseUrl,
    dataDir,
    orderTimeoutS: intVar(env, 'BOOKSTORE_ORDER_TIMEOUT_S', 900, 1, 365 * 24 * 3600),
    tokenTtlS: intVar(env, 'BOOKSTORE_TOKEN_TTL_S', 3600, 1, 365 * 24 * 3600),
    secret,
    scryptLogN: intVar(env, 'BOOKSTORE_SCRYPT_LOG_N', 15, SCRYPT_LOG_N_RANGE.min, SCRYPT_LOG_N_RANGE.max, ' (scrypt N = 2^value)'),
    // More hashes at once than libuv has threads would only queue inside libuv, unbounded.
    hashConcurrency: intVar(env, 'BOOKSTORE_HASH_CONCURRENCY', threadPoolSize(env), 1, threadPoolSize(env), " (libuv's thread pool, UV_THREADPOOL_SIZE)"),
    hashQueue: intVar(env, 'BOOKSTORE_HASH_QUEUE', 64, 0, 10_000),
    poolSize: intVar(env, 'BOOKSTORE_DB_POOL_SIZE', 8, 1, 200),
    limits,
    logLevel,
    role,
    workers,
    // Draining helps where a load balancer can move traffic away: by default for api processes.
    drainS: intVar(env, 'BOOKSTORE_DRAIN_S', role === 'api' ? 5 : 0, 0, 300, ' (seconds)'),
    replicaUrl,
    pooler,
    corsOrigins: corsOrigins(env.BOOKSTORE_CORS_ORIGINS),
    dbWaitS: intVar(env, 'BOOKSTORE_DB_WAIT_S', 10, 0, 3600, ' (seconds)'),
  };
}

export const DEFAULT_CORS_ORIGINS: readonly string[] = ['http://localhost:*', 'http://127.0.0.1:*'];

/** An origin as a browser sends it (no path), with `*` allowed as the port. */
const ORIGIN_PATTERN = /^[a-z][a-z0-9+.-]*:\/\/(\[[0-9a-f:.]+\]|[^\s/:?#[\]@*]+)(:(\d{1,5}|\*))?$/i;

/** BOOKSTORE_CORS_ORIGINS: comma separated; `none` allows no cross-origin requests. */
function corsOrigins(raw: string | undefined): readonly string[] {
  if (raw === undefined || raw.trim() === '') return DEFAULT_CORS_ORIGINS;
  if (raw.trim() === 'none') return [];
  const origins = raw.split(',').map((o) => o.trim()).filter((o) => o !== '');
  for (const origin of origins) {
    if (origin !== '*' && !ORIGIN_PATTERN.test(origin)) {
      throw new ConfigError(
        `BOOKSTORE_CORS_ORIGINS: "${origin}" is not an origin; expected scheme://host[:port] (port * for any port, no path), * for any origin, or none`,
      );
    }
  }
  return origins;
}

/**
 * A configuration read from no environment (tests, the OpenAPI generator, the benchmarks): the
 * defaults, with these values over them.
 */
export function configWith(values: Partial<Config> & { secret: Buffer }): ResolvedConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    databaseUrl: undefined,
    dataDir: '',
    orderTimeoutS: 900,
    tokenTtlS: 3600,
    scryptLogN: 15,
    hashConcurrency: 4,
    hashQueue: 64,
    poolSize: 8,
    limits: DEFAULT_LIMITS,
    logLevel: 'silent',
    role: 'all',
    workers: 1,
    drainS: 0,
    replicaUrl: undefined,
    pooler: 'session',
    corsOrigins: DEFAULT_CORS_ORIGINS,
    dbWaitS: 0,
    ...values,
  };
}

function choice<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

const MS = ' (milliseconds)';
const HOUR_MS = 3_600_000;

function loadLimits(env: Env): Limits {
  const d = DEFAULT_LIMITS;
  const limits: Limits = {
    db: {
      acquireTimeoutMs: intVar(env, 'BOOKSTORE_DB_ACQUIRE_TIMEOUT_MS', d.db.acquireTimeoutMs, 100, 600_000, MS),
      statementTimeoutMs: intVar(env, 'BOOKSTORE_DB_STATEMENT_TIMEOUT_MS', d.db.statementTimeoutMs, 100, HOUR_MS, MS),
      lockTimeoutMs: intVar(env, 'BOOKSTORE_DB_LOCK_TIMEOUT_MS', d.db.lockTimeoutMs, 100, HOUR_MS, MS),
      idleInTransactionTimeoutMs: intVar(env, 'BOOKSTORE_DB_IDLE_TX_TIMEOUT_MS', d.db.idleInTransactionTimeoutMs, 100, HOUR_MS, MS),
    },
    headersTimeoutMs: intVar(env, 'BOOKSTORE_HEADERS_TIMEOUT_MS', d.headersTimeoutMs, 500, 600_000, MS),
    requestTimeoutMs: intVar(env, 'BOOKSTORE_REQUEST_TIMEOUT_MS', d.requestTimeoutMs, 1_000, HOUR_MS, MS),
    keepAliveTimeoutMs: intVar(env, 'BOOKSTORE_KEEP_ALIVE_TIMEOUT_MS', d.keepAliveTimeoutMs, 100, 600_000, MS),
    maxConnections: intVar(env, 'BOOKSTORE_MAX_CONNECTIONS', d.maxConnections, 1, 1_000_000),
  };
  // Node's HTTP server requires it, and a head that may take longer than the whole request makes no sense.
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ConfigError(
      `BOOKSTORE_HEADERS_TIMEOUT_MS (${limits.headersTimeoutMs}) must not exceed BOOKSTORE_REQUEST_TIMEOUT_MS (${limits.requestTimeoutMs})`,
    );
  }
  return limits;
}

/**
 * Runs a check of the embedded database's folder (made, writable), so that a path under /proc,
 * a file, or a folder of another user is reported as what it is, naming the variable.
 */
function checkDataDir(dir: string, check: () => void): void {
  try {
    check();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const at = e.path ?? dir;
    const reasons: Record<string, string> = {
      EACCES: `permission denied on ${at}`,
      EPERM: `permission denied on ${at}`,
      ENOTDIR: `${blockingFile(at)} is a file, not a folder`,
      EEXIST: `${at} is a file, not a folder`,
      EROFS: `${at} is on a read-only file system`,
      ENOENT: `no folder can be created at ${at}`,
    };
    const reason = (e.code && reasons[e.code]) ?? e.message;
    throw new ConfigError(
      `BOOKSTORE_DATA_DIR=${dir} cannot be used: ${reason}${e.code ? ` (${e.code})` : ''}; set BOOKSTORE_DATA_DIR to a folder ${whoRuns()} can write`,
    );
  }
}

/** The deepest existing part of `path`: the file that stands where a folder is needed. */
function blockingFile(path: string): string {
  let at = path;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

function whoRuns(): string {
  try {
    return `the user running the server (${userInfo().username})`;
  } catch {
    return 'the user running the server';
  }
}

/** HMAC-SHA256 keys shorter than its 32-byte output weaken it; a generated key has exactly that. */
const SECRET_BYTES = 32;
const SECRET_HINT = 'set BOOKSTORE_SECRET, or delete the file to have a new secret generated (everyone will have to log in again)';

/**
 * The secret comes from BOOKSTORE_SECRET, or is generated once and kept in the data folder so
 * tokens survive restarts. Several servers sharing one PostgreSQL must be given the same secret.
 * A secret file that is present but unusable stops the start: silently signing with a weak or
 * different key would be worse.
 */
function loadSecret(fromEnv: string | undefined, dataDir: string): Buffer {
  if (fromEnv !== undefined && fromEnv !== '') {
    const length = [...fromEnv].length;
    if (length < SECRET_BYTES) {
      throw new ConfigError(
        `BOOKSTORE_SECRET must be at least ${SECRET_BYTES} characters long (got ${length}); e.g. \`openssl rand -hex 32\``,
      );
    }
    return Buffer.from(fromEnv, 'utf8');
  }
  const file = join(dataDir, 'secret');
  return readSecretFile(file) ?? createSecretFile(dataDir, file);
}

/** The secret in `file`, undefined when there is no such file; ConfigError when it is unusable. */
function readSecretFile(file: string): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read the secret file ${file} (${(err as Error).message}); fix its permissions, or ${SECRET_HINT}`);
  }
  const hex = text.trim();
  if (hex === '') throw new ConfigError(`the secret file ${file} is empty; ${SECRET_HINT}`);
  if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length % 2 !== 0) {
    throw new ConfigError(`the secret file ${file} is malformed: expected hexadecimal digits only; ${SECRET_HINT}`);
  }
  if (hex.length < SECRET_BYTES * 2) {
    throw new ConfigError(
      `the secret file ${file} is too short: ${hex.length / 2} bytes, at least ${SECRET_BYTES} needed (${SECRET_BYTES * 2} hex digits); ${SECRET_HINT}`,
    );
  }
  // A signing key others can read lets them forge tokens: keep it the owner's alone.
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } catch (err) {
    throw new ConfigError(`the secret file ${file} is readable by other users and cannot be made private: ${(err as Error).message}`);
  }
  return Buffer.from(hex, 'hex');
}

/**
 * Writes a new secret so that no reader ever sees a partial file: into a private temp file,
 * flushed, then linked into place. A link, unlike a rename, never replaces a file another
 * process (a second server on the same PostgreSQL) created meanwhile, so all agree on one
 * secret; rename stays the fallback on file systems without hard links.
 */
function createSecretFile(dataDir: string, file: string): Buffer {
  const secret = randomBytes(SECRET_BYTES);
  const temp = join(dataDir, `.secret-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  try {
    makeFolder(dataDir);
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, secret.toString('hex') + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temp, file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        const theirs = readSecretFile(file);
        if (theirs) return theirs;
      }
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
      renameSync(temp, file);
    }
    syncDirectory(dataDir);
    return secret;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot create the secret file ${file}: ${(err as Error).message}; fix the data folder's permissions or set BOOKSTORE_SECRET`);
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Makes a new directory entry durable (best effort: not every platform can open a directory). */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* the entry is still there; only a power cut could lose it */
  }
}
