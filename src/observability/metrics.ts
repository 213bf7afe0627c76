import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
    ordersCreated: counter('bookstore_orders_created_total', 'Orders placed (POST /buyer/new_order answered 200)'),
    ordersPaid: counter('bookstore_orders_paid_total', 'Orders paid (POST /buyer/payment answered 200)'),
    ordersShipped: counter('bookstore_orders_shipped_total', 'Orders shipped (POST /seller/send_books answered 200)'),
    ordersReceived: counter('bookstore_orders_received_total', 'Orders received (POST /buyer/receive_books answered 200)'),
    ordersCancelled: counter('bookstore_orders_cancelled_total', 'Orders cancelled, by reason: buyer or timeout', ['reason']),
    stockConflicts: counter('bookstore_stock_conflicts_total', 'Requests refused with 517 (stock level too low), by route', [
      'route',
    ]),
    paymentFailures: counter('bookstore_payment_failures_total', 'POST /buyer/payment answers other than 200, by status code', [
      'code',
    ]),
  };
  for (const reason of ['buyer', 'timeout']) metrics.ordersCancelled.inc({ reason }, 0);
  for (const code of PAYMENT_FAILURE_CODES) metrics.paymentFailures.inc({ code }, 0);
  return metrics;
}

type DomainRule = (status: number, body: unknown) => void;

/**
 * Per-response accounting, looked up once per route: the domain counters are derived from the
 * route and the status code alone (plus, for close_order, whether the body named an order), so
 * no service code is touched and the hot path costs a map lookup and a histogram observation.
 */
export function createRecorder(metrics: Metrics) {
  const rules: Record<string, DomainRule> = {
    '/buyer/new_order': (status) => {
      if (status === 200) metrics.ordersCreated.inc();
    },
    '/buyer/payment': (status) => {
      if (status === 200) metrics.ordersPaid.inc();
      else metrics.paymentFailures.inc({ code: String(status) });
    },
    '/seller/send_books': (status) => {
      if (status === 200) metrics.ordersShipped.inc();
    },
    '/buyer/receive_books': (status) => {
      if (status === 200) metrics.ordersReceived.inc();
    },
    // Without order_id this URL is an order query (course compatibility), not a cancellation.
    '/buyer/close_order': (status, body) => {
      if (status === 200 && (body as { order_id?: unknown } | null | undefined)?.order_id != null) {
        metrics.ordersCancelled.inc({ reason: 'buyer' });
      }
    },
  };

  const children = new Map<string, { observe(seconds: number): void }>();

  return function record(method: string, route: string, status: number, seconds: number, body: unknown): void {
    const key = `${method} ${route} ${status}`;
    let child = children.get(key);
    if (child === undefined) {
      child = metrics.httpDuration.labels(method, route, String(status));
      children.set(key, child);
    }
    child.observe(seconds);
    if (status === 517) metrics.stockConflicts.inc({ route });
    rules[route]?.(status, body);
  };
}

/** Counts orders the timeout sweeper cancels; wraps whatever runs the sweep. */
export function countTimeoutCancellations<T extends { cancelExpiredOrders(...args: never[]): Promise<number> }>(
  service: T,
  metrics: Metrics,
): T {
  const sweep = service.cancelExpiredOrders.bind(service);
  return {
    ...service,
    cancelExpiredOrders: async (...args: Parameters<T['cancelExpiredOrders']>) => {
      const cancelled = await sweep(...args);
      if (cancelled > 0) metrics.ordersCancelled.inc({ reason: 'timeout' }, cancelled);
      return cancelled;
    },
  };
}
