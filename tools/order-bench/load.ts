import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { JSON_HEADERS, NO_RESPONSE, type OrderTransport } from './client.js';
import type { Ledger } from './ledger.js';
import type { Mode } from './options.js';
import { Rng } from './rng.js';
import type { World } from './setup.js';
import { ADD_FUNDS, NEW_ORDER, PAYMENT, type Recorder } from './stats.js';
import { OrderPicker, PendingOrder, addFundsBody, newOrderBody, paymentBody } from './workload.js';

const NO_RESPONSE_PAUSE_MS = 50;


export interface LoadPlan {
  mode: Mode;
  concurrency: number;
  /** Offered transactions per second (open loop only). */
  rate: number;
  warmupMs: number;
  durationMs: number;
  seed: number;
}

export interface PhaseHooks {
  onMeasureStart(): void;
  onMeasureEnd(): void;
  onProgress(elapsedS: number): void;
}

export interface LoadOutcome {
  measuredS: number;
  /** Open loop: transactions scheduled during the measured window. */
  offered: number | null;
  /** Open loop: transactions still queued for a free client when the run ended. */
  unsent: number;
}

/** A simulated client: owns a fixed set of buyers, so each buyer's balance is never raced. */
class SimClient {
  private cursor = 0;
  readonly order = new PendingOrder();

  constructor(
    private readonly buyers: readonly number[],
    readonly picker: OrderPicker,
  ) {}

  nextBuyer(): number {
    const buyer = this.buyers[this.cursor]!;
    this.cursor = (this.cursor + 1) % this.buyers.length;
    return buyer;
  }
}

/** Performs new_order + payment transactions and feeds the ledger and the recorder. */
class Transactions {
  private readonly newOrderPath: string;
  private readonly paymentPath: string;
  private readonly addFundsPath: string;

  constructor(
    private readonly http: OrderTransport,
    private readonly world: World,
    private readonly ledger: Ledger,
    private readonly recorder: Recorder,
  ) {
    this.newOrderPath = http.path('/buyer/new_order');
    this.paymentPath = http.path('/buyer/payment');
    this.addFundsPath = http.path('/buyer/add_funds');
  }

  /**
   * `scheduledAt` is the open loop's intended start; NaN means "now" (closed loop).
   * Resolves to the last status received, NO_RESPONSE if the server could not be reached.
   */
  async run(client: SimClient, scheduledAt: number): Promise<number> {
    const buyerIdx = client.nextBuyer();
    const order = client.order;
    client.picker.next(order);
    if (this.ledger.balance[buyerIdx]! < order.total) await this.topUp(buyerIdx, order.total);
    const buyer = this.world.buyers[buyerIdx]!;
    const body = newOrderBody(buyer, this.world.stores[order.store]!, order);
    this.ledger.reserve(order);
    const t0 = performance.now();
    const [status, orderId] = await this.http.postForField(this.newOrderPath, body, buyer.headers, 'order_id');
    const t1 = performance.now();
    this.ledger.release(order);
    this.recorder.response(NEW_ORDER, status, t0, t1);
    const start = Number.isNaN(scheduledAt) ? t0 : scheduledAt;
    if (status !== 200 || orderId === '') {
      if (status === 200) this.ledger.malformedReply('new_order 200 without order_id');
      else this.ledger.orderRejected(order, status);
      this.recorder.transactionDone(false, start, t1);
      return status;
    }
    const record = this.ledger.orderPlaced(orderId, buyerIdx, order);
    const payBody = paymentBody(buyer, orderId, this.world.passwordJson);
    const payStatus = await this.http.postStatus(this.paymentPath, payBody, JSON_HEADERS);
    const t2 = performance.now();
    this.recorder.response(PAYMENT, payStatus, t1, t2);
    if (payStatus === 200) this.ledger.orderPaid(record);
    else this.ledger.paymentRejected(record, payStatus);
    this.recorder.transactionDone(payStatus === 200, start, t2);
    return payStatus;
  }

  /** Adds at least another `funds` (and never too little for `needed`), so orders never hit 519 by design. */
  private async topUp(buyerIdx: number, needed: number): Promise<void> {
    const amount = Math.max(this.world.funds, Math.ceil(needed - this.ledger.balance[buyerIdx]!));
    const body = addFundsBody(this.world.buyers[buyerIdx]!, amount, this.world.passwordJson);
    const t0 = performance.now();
    const status = await this.http.postStatus(this.addFundsPath, body, JSON_HEADERS);
    this.recorder.response(ADD_FUNDS, status, t0, performance.now());
    this.ledger.fundsAdded(buyerIdx, amount, status);
  }
}

function makeClients(world: World, plan: LoadPlan): SimClient[] {
  return Array.from({ length: plan.concurrency }, (_, c) => {
    const owned = world.buyers.map((_, b) => b).filter((b) => b % plan.concurrency === c);
    return new SimClient(owned, new OrderPicker(world.stores, new Rng(plan.seed, c + 1)));
  });
}

async function closedLoop(clients: SimClient[], txns: Transactions, stopAt: number): Promise<void> {
  await Promise.all(clients.map(async (client) => {
    while (performance.now() < stopAt) {
      // Without a pause, a client facing a dead server would spin on instant connection errors.
      if ((await txns.run(client, Number.NaN)) === NO_RESPONSE) await delay(NO_RESPONSE_PAUSE_MS);
    }
  }));
}

/**
 * Starts transactions at a fixed rate whether or not earlier ones have finished. When every
 * client is busy the start waits in a queue, and its latency still counts from the scheduled
 * time, so a slow server cannot hide its stalls (no coordinated omission).
 */
class OpenLoop {
  private readonly interval: number;
  private readonly idle: SimClient[];
  /** Scheduled start times waiting for a free client, consumed from `head`. */
  private queue: number[] = [];
  private head = 0;
  private issued = 0;
  private inFlight = 0;
  private stopped = false;
  private resolveDone: (unsent: number) => void = () => {};

  constructor(
    clients: SimClient[],
    private readonly txns: Transactions,
    rate: number,
    private readonly startAt: number,
    private readonly stopAt: number,
  ) {
    this.interval = 1000 / rate;
    this.idle = clients.slice();
  }

  /** Resolves, once in-flight transactions have finished, to the number never started. */
  run(): Promise<number> {
    return new Promise((resolve) => {
      this.resolveDone = resolve;
      this.tick();
    });
  }

  private tick(): void {
    const now = performance.now();
    if (now >= this.stopAt) {
      this.stopped = true;
      if (this.inFlight === 0) this.resolveDone(this.queue.length - this.head);
      return;
    }
    for (let due = this.nextDue(); due <= now; due = this.nextDue()) {
      this.issued += 1;
      const client = this.idle.pop();
      if (client) this.launch(client, due);
      else this.queue.push(due);
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    setTimeout(() => this.tick(), Math.max(1, this.nextDue() - now));
  }

  private nextDue(): number {
    return this.startAt + this.issued * this.interval;
  }

  private launch(client: SimClient, scheduledAt: number): void {
    this.inFlight += 1;
    void this.txns.run(client, scheduledAt).finally(() => {
      this.inFlight -= 1;
      if (!this.stopped && this.head < this.queue.length) this.launch(client, this.queue[this.head++]!);
      else this.idle.push(client);
      if (this.stopped && this.inFlight === 0) this.resolveDone(this.queue.length - this.head);
    });
  }
}

/** Runs warm-up then the measured phase; returns after in-flight transactions have drained. */
export async function runLoad(
  http: OrderTransport,
  world: World,
  ledger: Ledger,
  recorder: Recorder,
  plan: LoadPlan,
  hooks: PhaseHooks,
): Promise<LoadOutcome> {
  const txns = new Transactions(http, world, ledger, recorder);
  const clients = makeClients(world, plan);
  const startAt = performance.now();
  recorder.windowStart = startAt + plan.warmupMs;
  recorder.windowEnd = recorder.windowStart + plan.durationMs;
  const measureStart = once(() => hooks.onMeasureStart());
  const measureEnd = once(() => hooks.onMeasureEnd());
  const timers = [
    setTimeout(measureStart, plan.warmupMs),
    setTimeout(measureEnd, plan.warmupMs + plan.durationMs),
  ];
  const progress = setInterval(() => hooks.onProgress((performance.now() - startAt) / 1000), 1000);
  try {
    let unsent = 0;
    if (plan.mode === 'closed') await closedLoop(clients, txns, recorder.windowEnd);
    else unsent = await new OpenLoop(clients, txns, plan.rate, startAt, recorder.windowEnd).run();
    const offered = plan.mode === 'open' ? Math.round((plan.rate * plan.durationMs) / 1000) : null;
    return { measuredS: plan.durationMs / 1000, offered, unsent };
  } finally {
    timers.forEach(clearTimeout);
    clearInterval(progress);
    measureStart();
    measureEnd();
  }
}

/** Wraps `fn` so that only its first call runs; the phase timers and the cleanup may both call it. */
function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
