import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface Config {
  port: number;
  host: string;
  /** PostgreSQL connection string; absent → embedded PGlite in dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  orderTimeoutS: number;
  tokenTtlS: number;
  /** Token signing key (server secret). */
  secret: Buffer;
  /** scrypt cost (log2 N); 15 = 32 MiB per hash. */
  scryptLogN: number;
  poolSize: number;
  logLevel: string;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
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
  return {
    port: intVar(env, 'PORT', 5000, 0, 65535),
    host,
    databaseUrl,
    dataDir,
    orderTimeoutS: intVar(env, 'BOOKSTORE_ORDER_TIMEOUT_S', 900, 1, 365 * 24 * 3600),
    tokenTtlS: intVar(env, 'BOOKSTORE_TOKEN_TTL_S', 3600, 1, 365 * 24 * 3600),
    secret: loadSecret(env.BOOKSTORE_SECRET, dataDir),
    scryptLogN: intVar(env, 'BOOKSTORE_SCRYPT_LOG_N', 15, 10, 20),
    poolSize: intVar(env, 'BOOKSTORE_DB_POOL_SIZE', 8, 1, 200),
    logLevel,
  };
}

/**
 * The secret comes from BOOKSTORE_SECRET, or is generated once and kept in the data folder so
 * tokens survive restarts. Several servers sharing one PostgreSQL must be given the same secret.
 */
function loadSecret(fromEnv: string | undefined, dataDir: string): Buffer {
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < 16) throw new ConfigError('BOOKSTORE_SECRET must be at least 16 characters long');
    return Buffer.from(fromEnv, 'utf8');
  }
  const file = join(dataDir, 'secret');
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  } catch {
    mkdirSync(dataDir, { recursive: true });
    const secret = randomBytes(32);
    try {
      writeFileSync(file, secret.toString('hex'), { mode: 0o600, flag: 'wx' });
      return secret;
    } catch {
      // Another process created it first: use theirs.
      return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    }
  }
}
