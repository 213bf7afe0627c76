/**
 * The terminal's view of a pino JSON line: one line per entry, `time LEVEL message key=value…`.
 * pino-pretty spreads an entry's fields over several lines, which buries the requests; an
 * error's stack (when there is one) is the only thing printed below its line.
 */

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const COLOURS: Record<number, string> = { 10: '90', 20: '90', 30: '32', 40: '33', 50: '31', 60: '31' };
/** Fields every line has, or that the message already says. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'err', 'method', 'path', 'route', 'status', 'ms', 'reason', 'drainS']);

function clock(time: unknown): string {
  const d = typeof time === 'number' ? new Date(time) : new Date();
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function show(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) || value === '' ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
}

export function prettyLine(json: string, colour: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const level = typeof entry.level === 'number' ? entry.level : 30;
  const label = LEVELS[level] ?? String(level);
  const msg = String(entry.msg ?? '');
  // A field the message already spells out (the banner's) is not repeated.
  const fields = Object.entries(entry)
    .filter(([key, value]) => !HIDDEN.has(key) && value !== undefined && value !== null && !msg.includes(String(value)))
    .map(([key, value]) => `${key}=${show(value)}`);
  const err = entry.err as { message?: string; stack?: string } | undefined;
  if (err?.message && !String(entry.msg).includes(err.message)) fields.push(`err=${show(err.message)}`);
  const head = `${clock(entry.time)} ${colour ? `\x1b[${COLOURS[level] ?? '0'}m${label}\x1b[0m` : label} ${msg}`;
  const line = fields.length > 0 ? `${head}  ${fields.join(' ')}` : head;
  // The stack of an unexpected error is what one needs to fix it: below, indented.
  const stack = level >= 50 && err?.stack ? `\n${err.stack.replace(/^/gm, '    ')}` : '';
  return `${line}${stack}\n`;
}
