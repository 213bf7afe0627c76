import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import type { HttpClient } from './client.js';

const LOOP_RESOLUTION_MS = 10;
export const CPU_WARN_PERCENT = 80;
export const LOOP_DELAY_WARN_MS = 20;

export interface GeneratorLoad {
  /** User + system CPU of this process as a percentage of one core. */
  cpuPercent: number;
  /** User + system CPU milliseconds over the measured phase: the instrument's own cost. */
  cpuMs: number;
  /** cpuMs per successful order (filled in by the report, which knows the count). */
  cpuMsPerOrder: number | null;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Why the generator itself may have limited the result, if it may have. */
  warning: string | null;
}

/** The generator's own CPU use and event-loop delay over the measured phase. */
export class SelfMonitor {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  private cpuStart: NodeJS.CpuUsage = process.cpuUsage();
  private wallStart = 0;
  private result: GeneratorLoad | null = null;

  start(): void {
    this.cpuStart = process.cpuUsage();
    this.wallStart = performance.now();
    this.loop.enable();
  }

  stop(): void {
    const cpu = process.cpuUsage(this.cpuStart);
    const wallMs = Math.max(1, performance.now() - this.wallStart);
    this.loop.disable();
    // The histogram holds whole timer periods; the delay is what exceeds the period.
    const excessMs = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);
    const cpuPercent = ((cpu.user + cpu.system) / 1000 / wallMs) * 100;
    const loopDelayP99Ms = excessMs(this.loop.percentile(99));
    const warnings: string[] = [];
    if (cpuPercent > CPU_WARN_PERCENT) warnings.push(`generator CPU ${cpuPercent.toFixed(0)}% of one core`);
    if (loopDelayP99Ms > LOOP_DELAY_WARN_MS) warnings.push(`event-loop delay p99 ${loopDelayP99Ms.toFixed(1)} ms`);
    this.result = {
      cpuPercent: round1(cpuPercent),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      cpuMsPerOrder: null,
      loopDelayP99Ms: round1(loopDelayP99Ms),
      loopDelayMaxMs: round1(excessMs(this.loop.max)),
      warning: warnings.length > 0 ? `${warnings.join(', ')}: the generator may be the bottleneck` : null,
    };
  }

  report(): GeneratorLoad | null {
    return this.result;
  }
}

export interface ServerMemory {
  peakMb: number;
  meanMb: number;
  samples: number;
}

const RSS_LINE = /^process_resident_memory_bytes(?:\{[^}]*\})?\s+([0-9.eE+-]+)/m;

export function parseRss(metricsText: string): number | null {
  const match = RSS_LINE.exec(metricsText);
  const value = match ? Number(match[1]) : Number.NaN;
  return Number.isFinite(value) ? value : null;
}

/** Polls the server's Prometheus /metrics for its resident memory every `periodMs`. */
export class RssPoller {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly samples: number[] = [];

  constructor(
    private readonly http: HttpClient,
    private readonly periodMs = 500,
  ) {}

  /** Whether /metrics answers with a resident-memory gauge at all. */
  async available(): Promise<boolean> {
    const reply = await this.http.getText('/metrics');
    return reply.status === 200 && parseRss(reply.text) !== null;
  }

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.periodMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  report(): ServerMemory | null {
    if (this.samples.length === 0) return null;
    const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;
    const sum = this.samples.reduce((a, b) => a + b, 0);
    return { peakMb: mb(Math.max(...this.samples)), meanMb: mb(sum / this.samples.length), samples: this.samples.length };
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const reply = await this.http.getText('/metrics');
      const rss = reply.status === 200 ? parseRss(reply.text) : null;
      if (rss !== null) this.samples.push(rss);
    } finally {
      this.busy = false;
    }
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
