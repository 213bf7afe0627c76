import { Pool } from 'undici';

/** Status reported for a request that got no HTTP response (refused, reset, timed out). */
export const NO_RESPONSE = 0;

export function statusLabel(status: number): string {
  return status === NO_RESPONSE ? 'no-response' : String(status);
}

export type Headers = Record<string, string>;

export const JSON_HEADERS: Headers = { 'content-type': 'application/json' };

export interface JsonReply {
  status: number;
  body: Record<string, unknown>;
}

/** What the order workload's hot path needs from an HTTP client (HttpClient or LeanClient). */
export interface OrderTransport {
  readonly transportErrors: Map<string, number>;
  path(apiPath: string): string;
  postStatus(path: string, body: string, headers: Headers): Promise<number>;
  postForField(path: string, body: string, headers: Headers, field: string): Promise<[number, string]>;
  close(): Promise<void>;
}

/**
 * Thin keep-alive HTTP client for one server. Transport failures never throw: they come back
 * as status NO_RESPONSE and are tallied by error code, so one bad socket cannot end a run.
 */
export class HttpClient implements OrderTransport {
  private readonly pool: Pool;
  private readonly basePath: string;
  readonly transportErrors = new Map<string, number>();

  constructor(url: string, connections: number, timeoutMs: number) {
    const parsed = new URL(url);
    this.basePath = parsed.pathname.replace(/\/+$/, '');
    this.pool = new Pool(parsed.origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }

  /** Full request path for an API path such as `/buyer/new_order`. */
  path(apiPath: string): string {
    return this.basePath + apiPath;
  }

  /** POSTs a pre-serialised body and returns only the status; the reply body is drained unread. */
  async postStatus(path: string, body: string, headers: Headers): Promise<number> {
    try {
      const res = await this.pool.request({ method: 'POST', path, headers, body });
      await res.body.dump();
      return res.statusCode;
    } catch (err) {
      this.noteTransportError(err);
      return NO_RESPONSE;
    }
  }

  /** POSTs a pre-serialised body; the reply is parsed only when the status is 200. */
  async postForField(path: string, body: string, headers: Headers, field: string): Promise<[number, string]> {
    try {
      const res = await this.pool.request({ method: 'POST', path, headers, body });
      if (res.statusCode !== 200) {
        await res.body.dump();
        return [res.statusCode, ''];
      }
      const value: unknown = (JSON.parse(await res.body.text()) as Record<string, unknown>)[field];
      return [res.statusCode, typeof value === 'string' ? value : ''];
    } catch (err) {
      this.noteTransportError(err);
      return [NO_RESPONSE, ''];
    }
  }

  /** Convenience for setup and verification: serialises `payload` and parses any JSON reply. */
  async postJson(apiPath: string, payload: unknown, headers: Headers = JSON_HEADERS): Promise<JsonReply> {
    try {
      const res = await this.pool.request({
        method: 'POST',
        path: this.path(apiPath),
        headers,
        body: JSON.stringify(payload),
      });
      return { status: res.statusCode, body: parseObject(await res.body.text()) };
    } catch (err) {
      this.noteTransportError(err);
      return { status: NO_RESPONSE, body: { message: describeError(err) } };
    }
  }

  async getText(apiPath: string): Promise<{ status: number; text: string }> {
    try {
      const res = await this.pool.request({ method: 'GET', path: this.path(apiPath) });
      return { status: res.statusCode, text: await res.body.text() };
    } catch (err) {
      this.noteTransportError(err);
      return { status: NO_RESPONSE, text: describeError(err) };
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private noteTransportError(err: unknown): void {
    const code = describeError(err);
    this.transportErrors.set(code, (this.transportErrors.get(code) ?? 0) + 1);
  }
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // not JSON: fall through and keep the raw text as the message
  }
  return { message: text.slice(0, 200) };
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? code : err.message;
  }
  return String(err);
}

/** The `message` field of a reply, for error reports. */
export function replyMessage(reply: JsonReply): string {
  const message = reply.body['message'];
  return typeof message === 'string' ? message : '';
}
