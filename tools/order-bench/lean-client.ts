import { connect, type Socket } from 'node:net';
import { NO_RESPONSE, describeError, type Headers, type OrderTransport } from './client.js';
import { ResponseParser, jsonStringField } from './lean-response.js';

/** Per-connection read buffer: a reply of the order workload is a few hundred bytes. */
const READ_BUFFER = 16 * 1024;
const WRITE_BUFFER = 4 * 1024;
const CRLF2 = '\r\n\r\n';

type Settle = (result: [number, string]) => void;

/** One keep-alive connection carrying one request at a time. */
class Connection {
  readonly socket: Socket;
  readonly parser = new ResponseParser();
  /** The request in flight: how to answer it and which field of the reply it wants. */
  settle: Settle | null = null;
  field: Buffer | null = null;
  deadline = 0;
  closed = false;
  /** Reused for every request; safe because the previous one was fully written before its reply came. */
  out = Buffer.allocUnsafe(WRITE_BUFFER);

  constructor(host: string, port: number, private readonly owner: LeanClient) {
    // `onread` reads into one buffer per connection instead of a fresh Buffer per packet.
    this.socket = connect({
      host,
      port,
      noDelay: true,
      onread: { buffer: Buffer.allocUnsafe(READ_BUFFER), callback: (n, buf) => this.onData(buf, n) },
    });
    this.socket.on('error', (err) => this.fail(describeError(err)));
    this.socket.on('close', () => this.onClose());
  }

  private onData(buf: Uint8Array, n: number): boolean {
    if (this.settle === null) {
      // Bytes nobody asked for: the connection is out of step.
      this.fail('LEAN_UNSOLICITED');
      return false;
    }
    let complete: boolean;
    try {
      complete = this.parser.push(buf as Buffer, 0, n);
    } catch (err) {
      this.fail(describeError(err));
      return false;
    }
    if (complete) this.finish();
    return true;
  }

  private onClose(): void {
    this.closed = true;
    if (this.settle !== null && this.parser.end()) this.finish();
    else this.fail('LEAN_SOCKET_CLOSED');
    this.owner.forget(this);
  }

  private finish(): void {
    const settle = this.settle!;
    const p = this.parser;
    let value = '';
    if (this.field !== null && p.status === 200 && p.body !== null) {
      try {
        value = jsonStringField(p.body, this.field) ?? '';
      } catch {
        value = '';
      }
    }
    this.settle = null;
    const status = p.status;
    if (p.keepAlive && !this.closed) this.owner.release(this);
    else this.destroy();
    settle([status, value]);
  }

  /** Ends the request in flight, if any, as NO_RESPONSE, and drops the connection. */
  fail(code: string): void {
    const settle = this.settle;
    this.settle = null;
    if (settle !== null) {
      this.owner.noteTransportError(code);
      settle([NO_RESPONSE, '']);
    }
    this.destroy();
  }

  private destroy(): void {
    if (!this.closed) {
      this.closed = true;
      this.socket.destroy();
    }
    this.owner.forget(this);
  }
}

/**
 * The order workload's HTTP client without a general-purpose HTTP stack: raw HTTP/1.1 over
 * keep-alive `net` sockets, request heads serialised once per (path, headers) and copied into a
 * reused buffer, and replies read only as far as the status and, for new_order, `order_id`.
 * It exists so that the load generator takes as little of the machine as possible when the
 * machine is shared with what it measures (the cluster test). Same contract as HttpClient's
 * hot-path methods: transport failures come back as NO_RESPONSE and are tallied by code.
 */
export class LeanClient implements OrderTransport {
  readonly transportErrors = new Map<string, number>();
  private readonly host: string;
  private readonly port: number;
  private readonly hostHeader: string;
  private readonly basePath: string;
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private readonly waiting: Array<(c: Connection) => void> = [];
  /** Serialised request heads up to `content-length: `, per headers object and path. */
  private readonly heads = new WeakMap<Headers, Map<string, Buffer>>();
  private readonly fields = new Map<string, Buffer>();
  private readonly timer: NodeJS.Timeout;
  private closing = false;

  constructor(url: string, private readonly connections: number, private readonly timeoutMs: number) {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:') throw new Error('the lean client speaks plain HTTP only');
    this.host = parsed.hostname.replace(/^\[|\]$/g, '');
    this.port = parsed.port === '' ? 80 : Number(parsed.port);
    this.hostHeader = parsed.host;
    this.basePath = parsed.pathname.replace(/\/+$/, '');
    // One sweep for all timeouts instead of a timer per request.
    this.timer = setInterval(() => this.expire(), Math.min(1000, Math.max(50, timeoutMs / 4)));
    this.timer.unref();
  }

  path(apiPath: string): string {
    return this.basePath + apiPath;
  }

  async postStatus(path: string, body: string, headers: Headers): Promise<number> {
    return (await this.post(path, body, headers, null))[0];
  }

  postForField(path: string, body: string, headers: Headers, field: string): Promise<[number, string]> {
    let key = this.fields.get(field);
    if (key === undefined) {
      key = Buffer.from(JSON.stringify(field), 'utf8');
      this.fields.set(field, key);
    }
    return this.post(path, body, headers, key);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.closing = true;
    for (const c of [...this.all]) c.fail('LEAN_CLIENT_CLOSED');
  }

  private async post(path: string, body: string, headers: Headers, field: Buffer | null): Promise<[number, string]> {
    const conn = this.idle.pop() ?? (this.all.size < this.connections ? this.open() : await this.queue());
    const head = this.head(path, headers);
    const bodyLength = Buffer.byteLength(body, 'utf8');
    const need = head.length + 16 + bodyLength;
    // A buffer still being written (the kernel did not take it all) must not be overwritten.
    if (conn.out.length < need || conn.socket.writableLength > 0) conn.out = Buffer.allocUnsafe(Math.max(need, WRITE_BUFFER));
    const out = conn.out;
    let n = head.copy(out, 0);
    n += out.write(bodyLength + CRLF2, n, 'latin1');
    n += out.write(body, n, 'utf8');
    conn.parser.reset(field !== null);
    conn.field = field;
    conn.deadline = performance.now() + this.timeoutMs;
    return new Promise<[number, string]>((resolve) => {
      conn.settle = resolve;
      if (conn.closed) conn.fail('LEAN_SOCKET_CLOSED');
      else conn.socket.write(out.subarray(0, n));
    });
  }

  private head(path: string, headers: Headers): Buffer {
    let byPath = this.heads.get(headers);
    if (byPath === undefined) {
      byPath = new Map();
      this.heads.set(headers, byPath);
    }
    let head = byPath.get(path);
    if (head === undefined) {
      let text = `POST ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\n`;
      for (const [name, value] of Object.entries(headers)) {
        if (name.toLowerCase() !== 'content-length') text += `${name}: ${value}\r\n`;
      }
      head = Buffer.from(`${text}content-length: `, 'utf8');
      byPath.set(path, head);
    }
    return head;
  }

  private open(): Connection {
    const conn = new Connection(this.host, this.port, this);
    this.all.add(conn);
    return conn;
  }

  private queue(): Promise<Connection> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** A connection whose reply was read and that may carry another request. */
  release(conn: Connection): void {
    const next = this.waiting.shift();
    if (next) next(conn);
    else this.idle.push(conn);
  }

  /** A connection that closed; a waiter gets a fresh one in its place. */
  forget(conn: Connection): void {
    if (!this.all.delete(conn)) return;
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    const next = this.closing ? undefined : this.waiting.shift();
    if (next) next(this.open());
  }

  noteTransportError(code: string): void {
    this.transportErrors.set(code, (this.transportErrors.get(code) ?? 0) + 1);
  }

  private expire(): void {
    const now = performance.now();
    for (const c of this.all) if (c.settle !== null && c.deadline < now) c.fail('LEAN_TIMEOUT');
  }
}
