import { ConfigError, type Config } from '../config.js';
import { hostPort, postgresTarget } from './database-target.js';
import { isUnreachable, rootCause } from './start-error.js';

/**
 * Exit codes of a failed start: 2 when the configuration must change (a value, the port, the
 * database named, the data folder), 1 when something else must (PostgreSQL must come up) or the
 * failure is not understood.
 */
export const EXIT_CONFIGURATION = 2;
export const EXIT_FAILURE = 1;

export interface StartFailure {
  message: string;
  exitCode: number;
}

/**
 * One line saying what stopped the start and how to fix it, naming the variable to change:
 * what an operator reads first, so the driver's wording is kept only where nothing better is known.
 */
export function explainStartError(
  err: unknown,
  config: Pick<Config, 'port' | 'host' | 'databaseUrl' | 'dataDir' | 'dbWaitS'>,
): StartFailure {
  const configuration = (message: string) => ({ message, exitCode: EXIT_CONFIGURATION });
  if (err instanceof ConfigError) return configuration(`configuration error: ${err.message}`);
  const cause = rootCause(err);
  const syscall = (err as { syscall?: unknown }).syscall;

  if (syscall === 'listen') {
    if (cause.code === 'EADDRINUSE') return configuration(`port ${config.port} is in use — set PORT to another port (or stop what listens on it)`);
    if (cause.code === 'EACCES') return configuration(`port ${config.port} needs privileges this user lacks — set PORT to 1024 or above`);
    if (cause.code === 'EADDRNOTAVAIL') {
      return configuration(`HOST=${config.host} is not an address of this machine — set HOST to one of its addresses, or 0.0.0.0 for all`);
    }
  }

  if (config.databaseUrl) {
    const target = postgresTarget(config.databaseUrl);
    const at = hostPort(target);
    const flags = `-h ${target.host} -p ${target.port}`;
    switch (cause.code) {
      case '3D000':
        return configuration(`database ${target.database} does not exist (DATABASE_URL): create it with \`createdb ${flags} -U ${target.user} ${target.database}\``);
      case '28P01':
        return configuration(`PostgreSQL at ${at} refused the password of user ${target.user} (DATABASE_URL): correct the password in DATABASE_URL`);
      case '28000':
        return configuration(`PostgreSQL at ${at} refused user ${target.user} (DATABASE_URL): ${cause.message}`);
      case 'ENOTFOUND':
        return configuration(`cannot find the PostgreSQL host ${target.host} (DATABASE_URL): check the host name`);
    }
    if (isUnreachable(err)) {
      const waited = config.dbWaitS > 0 ? ` (waited ${config.dbWaitS} s, BOOKSTORE_DB_WAIT_S)` : '';
      return { message: `cannot reach PostgreSQL at ${at} (DATABASE_URL): is PostgreSQL running on ${at}?${waited}`, exitCode: EXIT_FAILURE };
    }
  } else if (cause.path !== undefined && ['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'ENOTDIR'].includes(cause.code ?? '')) {
    // The embedded database's files, after the folder itself was checked (config.ts).
    return configuration(`BOOKSTORE_DATA_DIR=${config.dataDir} cannot be used: ${cause.message}; set BOOKSTORE_DATA_DIR to a folder this user can write`);
  }
  const message = err instanceof Error ? err.message : String(err);
  return { message: `failed to start: ${message}`, exitCode: EXIT_FAILURE };
}
