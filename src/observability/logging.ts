import { destination, pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { prettyLine } from './pretty-line.js';

/** Secrets that must never reach a log line: the login token header and every password field. */
const SECRET_FIELDS = ['password', 'oldPassword', 'newPassword', 'token'];
const SECRET_HEADERS = ['token', 'authorization', 'cookie', 'set-cookie'];

export const REDACT_PATHS: string[] = [
  ...SECRET_HEADERS.flatMap((h) => [`req.headers["${h}"]`, `headers["${h}"]`, `*.headers["${h}"]`, `res.headers["${h}"]`]),
  // A password field at the top of a logged object, one or two levels down (e.g. req.body.password).
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
];

export const REDACTED = '[redacted]';

/** pino options: the level and the redactions; where lines go is the stream's business. */
export function loggerOptions(level: string): LoggerOptions {
  return { level, redact: { paths: REDACT_PATHS, censor: REDACTED } };
}

/** Whether the server's logs are for a person (a terminal) rather than a collector. */
export function logsArePretty(): boolean {
  return process.stdout.isTTY === true;
}

let shared: (DestinationStream & { flushSync?: () => void }) | undefined;

/**
 * Where every logger of the server process writes (the start-up lines and Fastify's alike, so
 * they keep their order): off a terminal, JSON lines written in batches (at most 200 ms late)
 * rather than one system call per line — at thousands of requests a second, per-line writes
 * cost the server a large share of its CPU; on a terminal, one readable line per entry, at once.
 */
function serverStream(): DestinationStream & { flushSync?: () => void } {
  shared ??= logsArePretty()
    ? { write: (line: string) => void process.stdout.write(prettyLine(line, true)) }
    : destination({ dest: 1, sync: false, minLength: 8 * 1024, periodicFlush: 200 });
  return shared;
}

/** Fastify's logger option. */
export function serverLoggerOptions(level: string): LoggerOptions & { stream: DestinationStream } {
  return { ...loggerOptions(level), stream: serverStream() };
}

/** The logger for what happens around the HTTP server: start-up, shutdown, the supervisor. */
export function createServerLogger(level: string): Logger {
  return pino(loggerOptions(level), serverStream());
}

/** Writes out batched lines: before process.exit, which would drop them. */
export function flushLogs(): void {
  try {
    shared?.flushSync?.();
  } catch {
    /* not open yet, or stdout is gone: nothing more to do */
  }
}
