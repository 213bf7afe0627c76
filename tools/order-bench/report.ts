import type { LatencySummary } from './histogram.js';
import { statusLabel } from './client.js';
import type { GeneratorLoad, ServerMemory } from './monitor.js';
import { ADD_FUNDS, ENDPOINT_NAMES, NEW_ORDER, PAYMENT, type Recorder } from './stats.js';
import type { Verification } from './verify.js';

export interface SetupSummary {
  sellers: number;
  stores: number;
  booksPerStore: number;
  buyers: number;
  stock: number;
  funds: number;
  catalogue: string;
  seconds: number;
}

export interface ErrorCount {
  endpoint: string;
  status: string;
  count: number;
}

export interface RunFacts {
  server: string;
  /** HTTP client of the order load (undici or lean). */
  client: string;
  runId: string;
  seed: number;
  mode: string;
  concurrency: number;
  rate: number | null;
  warmupS: number;
  durationS: number;
  offered: number | null;
  unsent: number;
}

export interface BenchResult extends Omit<RunFacts, 'offered' | 'unsent'> {
  verdict: 'PASS' | 'FAIL';
  setup: SetupSummary;
  throughput: {
    ordersPerSecond: number;
    ordersPerMinute: number;
    newOrdersPerSecond: number;
    paymentsPerSecond: number;
    requestsPerSecond: number;
    transactionsOk: number;
    transactionsFailed: number;
    /** add_funds calls made because a buyer's funds ran low. */
    topUps: number;
    offered: number | null;
    unsent: number;
  };
  latencyMs: Record<'transaction' | 'new_order' | 'payment', LatencySummary>;
  /** Non-200 responses (and lost ones, status "no-response") in the measured window. */
  errors: ErrorCount[];
  /** Why requests got no response, by error code, over the whole run. */
  transportErrors: Record<string, number>;
  generator: GeneratorLoad | null;
  serverMemory: ServerMemory | 'n/a';
  verification: Verification;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

function measuredErrors(recorder: Recorder): ErrorCount[] {
  return recorder.endpoints.flatMap((stats, e) => stats.nonZero()
    .filter(([status]) => status !== 200)
    .map(([status, count]) => ({ endpoint: ENDPOINT_NAMES[e]!, status: statusLabel(status), count })));
}

export function buildResult(
  facts: RunFacts,
  setup: SetupSummary,
  recorder: Recorder,
  transportErrors: ReadonlyMap<string, number>,
  generator: GeneratorLoad | null,
  memory: ServerMemory | null,
  verification: Verification,
): BenchResult {
  const perS = (n: number): number => round2(n / facts.durationS);
  const [newOrder, payment] = [recorder.endpoints[NEW_ORDER]!, recorder.endpoints[PAYMENT]!];
  const requests = recorder.endpoints.reduce((n, e) => n + e.requests, 0);
  const ordersPerSecond = perS(recorder.transactionsOk);
  const { offered, unsent, ...run } = facts;
  return {
    verdict: verification.ok ? 'PASS' : 'FAIL',
    ...run,
    setup,
    throughput: {
      ordersPerSecond,
      ordersPerMinute: Math.round(ordersPerSecond * 60),
      newOrdersPerSecond: perS(newOrder.count(200)),
      paymentsPerSecond: perS(payment.count(200)),
      requestsPerSecond: perS(requests),
      transactionsOk: recorder.transactionsOk,
      transactionsFailed: recorder.transactionsFailed,
      topUps: recorder.endpoints[ADD_FUNDS]!.requests,
      offered,
      unsent,
    },
    latencyMs: {
      transaction: recorder.transaction.summary(),
      new_order: newOrder.latency.summary(),
      payment: payment.latency.summary(),
    },
    errors: measuredErrors(recorder),
    transportErrors: Object.fromEntries(transportErrors),
    generator: generator && {
      ...generator,
      cpuMsPerOrder: recorder.transactionsOk > 0 ? Math.round((generator.cpuMs / recorder.transactionsOk) * 1000) / 1000 : null,
    },
    serverMemory: memory ?? 'n/a',
    verification,
  };
}

const pad = (value: string | number, width: number): string => String(value).padStart(width);

function latencyRows(latency: BenchResult['latencyMs']): string[] {
  const rows = [`latency (ms)    ${pad('count', 8)} ${pad('mean', 8)} ${pad('p50', 8)} ${pad('p95', 8)} ${pad('p99', 8)} ${pad('max', 8)}`];
  for (const [name, s] of Object.entries(latency)) {
    const cells = [s.count, s.meanMs.toFixed(2), s.p50Ms.toFixed(2), s.p95Ms.toFixed(2), s.p99Ms.toFixed(2), s.maxMs.toFixed(2)];
    rows.push(`  ${name.padEnd(13)} ${cells.map((c) => pad(c, 8)).join(' ')}`);
  }
  return rows;
}

function throughputRows(r: BenchResult): string[] {
  const t = r.throughput;
  const rows = [
    'throughput',
    `  orders/s        ${pad(t.ordersPerSecond.toFixed(1), 10)}   (${t.ordersPerMinute} orders/min; new_order and payment both 200)`,
    `  new_order/s     ${pad(t.newOrdersPerSecond.toFixed(1), 10)}`,
    `  payments/s      ${pad(t.paymentsPerSecond.toFixed(1), 10)}`,
    `  requests/s      ${pad(t.requestsPerSecond.toFixed(1), 10)}`,
    `  transactions    ${pad(t.transactionsOk, 10)} ok, ${t.transactionsFailed} failed`,
  ];
  if (t.topUps > 0) rows.push(`  top-ups         ${pad(t.topUps, 10)} add_funds calls for buyers whose funds ran low`);
  if (t.offered !== null) {
    rows.push(`  offered         ${pad(t.offered, 10)} at ${r.rate} /s; ${t.unsent} still queued at the end`);
    if (t.unsent > 0) rows.push('  WARNING: the server did not keep up with the offered rate');
  }
  return rows;
}

function environmentRows(r: BenchResult): string[] {
  const g = r.generator;
  const rows = [
    g === null
      ? 'generator: not measured'
      : `generator (${r.client} client): CPU ${g.cpuPercent}% of one core, ${g.cpuMsPerOrder ?? '?'} ms per order, event-loop delay p99 ${g.loopDelayP99Ms} ms (max ${g.loopDelayMaxMs} ms)`,
  ];
  if (g?.warning) rows.push(`WARNING: ${g.warning}`);
  const m = r.serverMemory;
  rows.push(m === 'n/a' ? 'server memory: n/a (no process_resident_memory_bytes at /metrics)'
    : `server memory (RSS): peak ${m.peakMb} MB, mean ${m.meanMb} MB over ${m.samples} samples`);
  return rows;
}

function verificationRows(v: Verification): string[] {
  const rows = ['verification'];
  for (const c of v.checks) rows.push(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(9)} ${c.detail}`);
  const failed = v.checks.filter((c) => !c.ok).map((c) => c.name);
  if (v.checks.length === 1) rows.push('  (orders, stock and balances not checked: --skip-verify)');
  rows.push(v.ok ? 'PASS: every check passed' : `FAIL: ${failed.join(', ')} check${failed.length > 1 ? 's' : ''} failed`);
  return rows;
}

export function formatText(r: BenchResult): string {
  const s = r.setup;
  const errors = r.errors.length === 0 ? ['errors (measured window): none']
    : ['errors (measured window)', ...r.errors.map((e) => `  ${e.endpoint.padEnd(13)} ${pad(e.status, 11)} ×${e.count}`)];
  const transport = Object.entries(r.transportErrors);
  if (transport.length > 0) errors.push(`  no response (whole run): ${transport.map(([code, n]) => `${code} ×${n}`).join(', ')}`);
  return [
    `Bookstore order benchmark against ${r.server} (run ${r.runId}, seed ${r.seed})`,
    `mode ${r.mode}, concurrency ${r.concurrency}${r.rate === null ? '' : `, rate ${r.rate}/s`}, warm-up ${r.warmupS} s, measured ${r.durationS} s`,
    `setup: ${s.sellers} sellers, ${s.stores} stores × ${s.booksPerStore} books (${s.catalogue}), stock ${s.stock} each, ` +
      `${s.buyers} buyers; ${s.seconds} s`,
    '',
    ...throughputRows(r),
    '',
    ...latencyRows(r.latencyMs),
    '',
    ...errors,
    ...environmentRows(r),
    '',
    ...verificationRows(r.verification),
  ].join('\n');
}
