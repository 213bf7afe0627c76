import { LogHistogram } from './histogram.js';

export const NEW_ORDER = 0;
export const PAYMENT = 1;
export const ADD_FUNDS = 2;
export const ENDPOINT_NAMES = ['new_order', 'payment', 'add_funds'] as const;

const STATUS_SLOTS = 1000;

export class EndpointStats {
  /** Responses per HTTP status; slot 0 counts requests that got no response. */
  readonly statuses = new Float64Array(STATUS_SLOTS);
  /** Latency of every HTTP response, whatever its status. */
  readonly latency = new LogHistogram();

  get requests(): number {
    let n = 0;
    for (let i = 0; i < STATUS_SLOTS; i++) n += this.statuses[i]!;
    return n;
  }

  count(status: number): number {
    return this.statuses[status] ?? 0;
  }

  /** Non-zero status slots as [status, count] pairs. */
  nonZero(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < STATUS_SLOTS; i++) if (this.statuses[i]! > 0) out.push([i, this.statuses[i]!]);
    return out;
  }
}

/**
 * Counts and latencies for responses that arrive inside the measured window
 * [windowStart, windowEnd) of performance.now(); warm-up and drain traffic is ignored.
 */
export class Recorder {
  windowStart = Number.POSITIVE_INFINITY;
  windowEnd = Number.POSITIVE_INFINITY;
  readonly endpoints = ENDPOINT_NAMES.map(() => new EndpointStats());
  readonly transaction = new LogHistogram();
  transactionsOk = 0;
  transactionsFailed = 0;
  /** Successful transactions over the whole run, for progress lines. */
  liveOk = 0;
  liveFailed = 0;

  response(endpoint: number, status: number, start: number, end: number): void {
    if (end < this.windowStart || end >= this.windowEnd) return;
    const stats = this.endpoints[endpoint]!;
    stats.statuses[status >= 0 && status < STATUS_SLOTS ? status : STATUS_SLOTS - 1]! += 1;
    if (status !== 0) stats.latency.record((end - start) * 1000);
  }

  transactionDone(ok: boolean, start: number, end: number): void {
    if (ok) this.liveOk += 1;
    else this.liveFailed += 1;
    if (end < this.windowStart || end >= this.windowEnd) return;
    if (!ok) {
      this.transactionsFailed += 1;
      return;
    }
    this.transactionsOk += 1;
    this.transaction.record((end - start) * 1000);
  }
}
