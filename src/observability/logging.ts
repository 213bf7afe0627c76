import { destination, type DestinationStream, type LoggerOptions } from 'pino';

/** Secrets that must never reach a log line: the login token header and every password field. */
const SECRET_FIELDS = ['password', 'oldPassword', 'newPassword', 'token'];
const SECRET_HEADERS = ['token', 'authorization', 'cookie', 'set-cookie'];

export const REDACT_PATHS: string[] = [
  ...SECRET_HEADERS.flatMap((h) => [`req.headers["${h}"]`, `headers["${h}"]`, `*.headers["${h}"]`, `res.headers["${h}"]`]),
  // A password field at the top of a logged object, one or two levels down (e.g. req.body.password).
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
];

export const REDACTED = '[redacted]';

/**
 * pino options for the server: JSON lines (one object per line, with the request id as `reqId`)
 * when stdout is a pipe or file; human-readable via pino-pretty when it is a terminal.
 */
export function loggerOptions(level: string, pretty: boolean = process.stdout.isTTY === true): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  };
}

/**
 * Fastify's logger option. Off a terminal, JSON lines are written in batches (at most 200 ms
 * late, flushed at exit) rather than one system call per line: at thousands of requests a
 * second, per-line writes cost the server a large share of its CPU.
 */
export function serverLoggerOptions(level: string): LoggerOptions & { stream?: DestinationStream } {
  const pretty = process.stdout.isTTY === true;
  const options = loggerOptions(level, pretty);
  return pretty ? options : { ...options, stream: destination({ dest: 1, sync: false, minLength: 8 * 1024, periodicFlush: 200 }) };
}
