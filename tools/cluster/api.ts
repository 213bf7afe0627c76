import { request as httpRequest } from 'node:http';
import { HttpClient, JSON_HEADERS, replyMessage, statusLabel, type JsonReply } from '../order-bench/client.js';
import { mapLimit } from '../order-bench/parallel.js';

export { mapLimit };

/** A user the harness created, with a login token. */
export interface Account {
  id: string;
  password: string;
  token: string;
}

export interface OrderView {
  order_id: string;
  status: string;
  cancel_reason: string | null;
  total_price: number;
  books: { id: string; count: number; price: number }[];
}

/**
 * The bookstore API as the harness's own checks use it (the load itself comes from the
 * project's benchmark). Built on the benchmark's HTTP client: a transport failure is status 0.
 */
export class Api {
  readonly http: HttpClient;

  constructor(readonly url: string, connections = 16, timeoutMs = 30_000) {
    this.http = new HttpClient(url, connections, timeoutMs);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonReply> {
    return this.http.postJson(path, body, { ...JSON_HEADERS, ...headers });
  }

  /** POST that must answer 200; throws with the status and message otherwise. */
  async ok(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
    const r = await this.post(path, body, headers);
    if (r.status !== 200) throw new Error(`${path}: expected 200, got ${statusLabel(r.status)} ${replyMessage(r)}`);
    return r.body;
  }

  async account(id: string, password = 'cluster-pw'): Promise<Account> {
    await this.ok('/auth/register', { user_id: id, password });
    const body = await this.ok('/auth/login', { user_id: id, password, terminal: 'cluster-test' });
    return { id, password, token: String(body['token']) };
  }

  async store(seller: Account, storeId: string, books: { id: string; price: number; title?: string }[], stock: number): Promise<void> {
    await this.ok('/seller/create_store', { user_id: seller.id, store_id: storeId }, { token: seller.token });
    await mapLimit(books, 4, (b) => this.ok('/seller/add_book', {
      user_id: seller.id, store_id: storeId, stock_level: stock, book_info: { id: b.id, title: b.title ?? `Cluster book ${b.id}`, price: b.price },
    }, { token: seller.token }));
  }

  /** All of a buyer's orders, every page. */
  async buyerOrders(buyer: Account): Promise<OrderView[]> {
    const out: OrderView[] = [];
    for (let page = 1; ; page++) {
      const body = await this.ok('/buyer/query_order', { user_id: buyer.id, password: buyer.password, page, page_size: 100 });
      const orders = (body['orders'] as OrderView[] | undefined) ?? [];
      out.push(...orders);
      if (orders.length < 100) return out;
    }
  }
}

/** Parses one metric (all label sets summed) from a Prometheus text page; null if absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | null {
  let found = false;
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const lbls = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).some(([k, v]) => lbls[k] !== v)) continue;
    found = true;
    sum += Number(m[4]);
  }
  return found ? sum : null;
}

/** GET /metrics of one process (straight, not through the load balancer). */
export async function metricsOf(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  return res.text();
}

/**
 * One request on a connection of its own (no keep-alive pool), as a health checker or a new
 * client makes it; resolves to the status, 0 when there was no response (refused, reset,
 * timed out). A pooled connection would see what its old connection sees while a server closes.
 */
export function freshStatus(url: string, method: 'GET' | 'POST' = 'GET', body?: unknown, timeoutMs = 2000): Promise<number> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(url, {
      method,
      agent: false,
      headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      timeout: timeoutMs,
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end(payload);
  });
}
