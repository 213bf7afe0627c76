/** The cause at the bottom of an error chain (the adapters wrap driver errors), with its code. */
export function rootCause(err: unknown): { code?: string; message: string; path?: string } {
  let at = err as { cause?: unknown; errors?: unknown[] } | null | undefined;
  for (let depth = 0; depth < 5 && at?.cause; depth++) at = at.cause as typeof at;
  // Node's connect to a name with several addresses fails with an AggregateError of them all.
  const first = (at?.errors?.[0] ?? at) as { code?: unknown; message?: unknown; path?: unknown } | null | undefined;
  const code = (at as { code?: unknown } | null | undefined)?.code ?? first?.code;
  return {
    code: typeof code === 'string' ? code : undefined,
    message: String((at as { message?: unknown } | null | undefined)?.message || first?.message || err),
    path: typeof first?.path === 'string' ? first.path : undefined,
  };
}

/** Errors of reaching a server that may simply not be up yet (still starting, restarting). */
export const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOENT', // a Unix socket not there yet
  '57P03', // the database system is starting up
]);

export function isUnreachable(err: unknown): boolean {
  const cause = rootCause(err);
  return (cause.code !== undefined && UNREACHABLE_CODES.has(cause.code)) || /timeout exceeded when trying to connect|Connection terminated/i.test(cause.message);
}
