import { AppError } from '../errors.js';

/**
 * Bounds password work. scrypt runs on libuv's thread pool and holds 128·N·r bytes while it runs
 * (32 MiB at N = 2^15): unbounded, a burst of logins would pile up inside libuv — where it also
 * delays file and DNS work — and each hash waiting there would still be started, however late.
 * So at most `concurrency` hashes run at once, at most `queueLimit` wait their turn in order, and
 * a request beyond that is refused at once (503) with an estimate of when the line will have moved.
 */
export class HashGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** A moving average of one hash's duration (ms), for Retry-After; starts at a typical N = 2^15 hash. */
  private averageMs = 100;

  constructor(
    readonly concurrency: number,
    readonly queueLimit: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Runs `work` when a slot is free; refuses (503 OVERLOADED) when the queue is full. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrency) {
      this.running++;
    } else {
      if (this.waiting.length >= this.queueLimit) {
        const retryAfterS = this.retryAfterS();
        throw new AppError('OVERLOADED', `too many password checks in progress: try again in ${retryAfterS} s`, retryAfterS);
      }
      // The slot is handed over by the hash that finishes (see below): running stays as it is.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    const started = this.now();
    try {
      return await work();
    } finally {
      this.averageMs += (this.now() - started - this.averageMs) * 0.2;
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.running--;
    }
  }

  /** Seconds until everyone now in line, and one more, would have been hashed. */
  retryAfterS(): number {
    return Math.max(1, Math.ceil(((this.waiting.length + this.concurrency) / this.concurrency) * (this.averageMs / 1000)));
  }

  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
