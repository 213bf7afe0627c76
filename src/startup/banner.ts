import type { Config } from '../config.js';
import { DOCS_PREFIX } from '../openapi/plugin.js';
import { hostPort, postgresTarget } from './database-target.js';

const ROLE_MEANING: Record<Config['role'], string> = {
  all: 'API and background jobs',
  api: 'API only',
  worker: 'background jobs, service endpoints only',
};

/** "PostgreSQL host:port/db" or "embedded (PGlite) in <folder>": what the server stores its data in. */
export function describeDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'>): string {
  if (!config.databaseUrl) return `embedded (PGlite) in ${config.dataDir}`;
  const target = postgresTarget(config.databaseUrl);
  return `PostgreSQL ${hostPort(target)}/${target.database}`;
}

/**
 * The start banner: one log line an operator reads to know where the server is and what it
 * runs on; its fields carry the same for a log collector.
 */
export function banner(
  config: Pick<Config, 'host' | 'databaseUrl' | 'dataDir' | 'role' | 'workers' | 'replicaUrl' | 'secret'>,
  port: number,
): { fields: Record<string, unknown>; message: string } {
  // IPv6 literals need brackets in a URL.
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}/`;
  const docs = `http://${host}:${port}${DOCS_PREFIX}`;
  const database = describeDatabase(config);
  // With PostgreSQL the folder holds nothing, unless the token secret is kept there.
  const dataDir = !config.databaseUrl || config.secret !== undefined ? config.dataDir : null;
  const replica = config.replicaUrl ? describeDatabase({ databaseUrl: config.replicaUrl, dataDir: '' }) : null;
  const role = `${config.role} (${ROLE_MEANING[config.role]})`;
  const processes = config.workers > 1 ? `${config.workers} server processes` : '1 server process';
  const message = [
    `bookstore listening on ${url}`,
    `docs ${docs}`,
    `database: ${database}`,
    ...(replica ? [`replica: ${replica}`] : []),
    `data folder: ${dataDir ?? 'none (token secret kept in the database)'}`,
    `role: ${role}`,
    processes,
  ].join(' · ');
  return {
    fields: { url, docs, database, ...(replica ? { replica } : {}), dataDir, role: config.role, workers: config.workers },
    message,
  };
}
