/** Where a command writes: results to `out`, progress and errors to `err`. */
export interface CliIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** Whether `err` is a terminal (progress bar) or a pipe/file (plain progress lines). */
  isTTY: boolean;
  env: Record<string, string | undefined>;
}

export function processIo(): CliIo {
  return { out: process.stdout, err: process.stderr, isTTY: process.stderr.isTTY === true, env: process.env };
}

/** A failure the user can act on: printed as one line, exit code 1. */
export class CliError extends Error {}

/** Wrong arguments: printed as one line with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    // Connection failures have an empty or terse message; the code says what happened.
    if (typeof code === 'string' && (err.message === '' || !err.message.includes(code))) {
      return `${err.message || 'error'} (${code})`.replace(/\s+/g, ' ').trim();
    }
    return err.message.replace(/\s+/g, ' ').trim();
  }
  return String(err);
}
