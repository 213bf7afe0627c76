import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { OrderEvents } from '../domain/events.js';

/**
 * The service's Prometheus metrics, in a Registry of their own (not prom-client's global one),
 * so several apps in one process (tests) never share or collide on a metric.
 */
export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  ordersCreated: Counter;
  ordersPaid: Counter;
  ordersShipped: Counter;
  ordersReceived: Counter;
  ordersCancelled: Counter<'reason'>;
  stockConflicts: Counter<'route'>;
  paymentFailures: Counter<'code'>;
  purgedRows: Counter<'kind'>;
}

/** Request latency buckets (seconds): sub-millisecond reads up to slow multi-MB uploads. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The codes /buyer/payment can fail with (API.md), pre-set to 0 so dashboards see them at once. */
const PAYMENT_FAILURE_CODES = ['400', '401', '512', '513', '518', '519', '500'];

export function createMetrics(): Metrics {
  const registry = new Registry();
  // process_resident_memory_bytes, CPU, heap, event loop lag, open fds… (the benchmark reads RSS).
  collectDefaultMetrics({ register: registry });

  const counter = <L extends string = never>(name: string, help: string, labelNames: L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });

  const metrics: Metrics = {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration in seconds, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    ordersCreated: counter('bookstore_orders_created_total', 'Orders placed'),
    ordersPaid: counter('bookstore_orders_paid_total', 'Orders paid'),
    ordersShipped: counter('bookstore_orders_shipped_total', 'Orders shipped'),
    ordersReceived: counter('bookstore_orders_received_total', 'Orders received by their buyer'),
    ordersCancelled: counter('bookstore_orders_cancelled_total', 'Orders cancelled, by reason: buyer or timeout', ['reason']),
    stockConflicts: counter('bookstore_stock_conflicts_total', 'Requests refused with 517 (stock level too low), by route', [
      'route',
    ]),
    paymentFailures: counter('bookstore_payment_failures_total', 'POST /buyer/payment answers other than 200, by status code', [
      'code',
    ]),
    purgedRows: counter('bookstore_housekeeping_purged_rows_total', 'Expired rows deleted by housekeeping, by kind: sessions, idempotency_keys', [
      'kind',
    ]),
  };
  for (const kind of ['sessions', 'idempotency_keys']) metrics.purgedRows.inc({ kind }, 0);
  for (const reason of ['buyer', 'timeout']) metrics.ordersCancelled.inc({ reason }, 0);
  for (const code of PAYMENT_FAILURE_CODES) metrics.paymentFailures.inc({ code }, 0);
  return metrics;
}

/**
 * The replica's lag, read on each scrape (absent without a replica): seconds since it last replayed
 * a transaction while it had more to replay (0 when caught up), and bytes of WAL it is behind.
 */
export function registerReplicaLag(metrics: Metrics, lag: () => Promise<{ seconds: number | null; bytes: number | null } | null>): void {
  const gauge = (name: string, help: string, pick: (l: { seconds: number | null; bytes: number | null }) => number | null) =>
    new Gauge({
      name,
      help,
      registers: [metrics.registry],
      async collect() {
        const value = await lag();
        const v = value === null ? null : pick(value);
        if (v === null) this.reset();
        else this.set(v);
      },
    });
  gauge('bookstore_replica_lag_seconds', 'Replica: seconds since it last replayed a transaction, while behind (0 when caught up)', (l) => l.seconds);
  gauge('bookstore_replica_lag_bytes', 'Replica: bytes of WAL it has not replayed yet', (l) => l.bytes);
}

/** The services' business events, counted. */
export function orderEventCounters(metrics: Metrics): OrderEvents {
  return {
    created: () => metrics.ordersCreated.inc(),
    paid: () => metrics.ordersPaid.inc(),
    shipped: () => metrics.ordersShipped.inc(),
    received: () => metrics.ordersReceived.inc(),
    cancelled: (reason, count = 1) => metrics.ordersCancelled.inc({ reason }, count),
  };
}

/**
 * Per-response accounting: the duration histogram by route pattern, 517 answers by route, and
 * the failures of routes whose config asks for it (payment). The histogram child of each
 * (method, route, status) is looked up once.
 */
export function createRecorder(metrics: Metrics) {
  const children = new Map<string, { observe(seconds: number): void }>();

  return function record(method: string, route: string, status: number, seconds: number, countFailures: 'payment' | undefined): void {
    const key = `${method} ${route} ${status}`;
    let child = children.get(key);
    if (child === undefined) {
      child = metrics.httpDuration.labels(method, route, String(status));
      children.set(key, child);
    }
    child.observe(seconds);
    if (status === 517) metrics.stockConflicts.inc({ route });
    if (countFailures === 'payment' && status !== 200) metrics.paymentFailures.inc({ code: String(status) });
  };
}
