/** Where DATABASE_URL points, for messages: never its password. */
export interface PostgresTarget {
  host: string;
  port: number;
  database: string;
  user: string;
}

/** The parts of a postgres:// URL that name the server, the database and the user, with libpq's defaults. */
export function postgresTarget(url: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { host: 'localhost', port: 5432, database: '?', user: '?' };
  }
  const user = decodeURIComponent(parsed.username) || process.env.PGUSER || process.env.USER || 'postgres';
  // A Unix socket folder may be given as ?host=/run/postgresql instead of in the authority.
  const host = parsed.searchParams.get('host') || decodeURIComponent(parsed.hostname).replace(/^\[|\]$/g, '') || 'localhost';
  return {
    host,
    port: Number(parsed.port) || 5432,
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || user,
    user,
  };
}

/** `host:port`, or the socket folder. */
export function hostPort(target: PostgresTarget): string {
  return target.host.startsWith('/') ? `${target.host} (port ${target.port})` : `${target.host}:${target.port}`;
}
