import { performance } from 'node:perf_hooks';
import { JSON_HEADERS, type HttpClient } from './client.js';
import type { Ledger } from './ledger.js';
import { Rng } from './rng.js';
import type { World } from './setup.js';
import { ADD_FUNDS, NEW_ORDER, PAYMENT, type Recorder } from './stats.js';
import { OrderPicker, PendingOrder, addFundsBody, newOrderBody, paymentBody } from './workload.js';

export type Mode = 'closed' | 'open';

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
    private readonly http: HttpClient,
    private readonly world: World,
    private readonly ledger: Ledger,
    private readonly recorder: Recorder,
  ) {
    this.newOrderPath = http.path('/buyer/new_order');
    this.paymentPath = http.path('/buyer/payment');
    this.addFundsPath = http.path('/buyer/add_funds');
  }

  /** `scheduledAt` is the open loop's intended start; NaN means "now" (closed loop). */
  async run(client: SimClient, scheduledAt: number): Promise<void> {
    const buyerIdx = client.nextBuyer();
    const order = client.order;
    client.picker.next(order);
    if (this.ledger.balance[buyerIdx]! < order.total) await this.topUp(buyerIdx);
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
      return;
    }
    const record = this.ledger.orderPlaced(orderId, buyerIdx, order);
    const payBody = paymentBody(buyer, orderId, this.world.passwordJson);
    const payStatus = await this.http.postStatus(this.paymentPath, payBody, JSON_HEADERS);
    const t2 = performance.now();
    this.recorder.response(PAYMENT, payStatus, t1, t2);
    if (payStatus === 200) this.ledger.orderPaid(record);
    else this.ledger.paymentRejected(record, payStatus);
    this.recorder.transactionDone(payStatus === 200, start, t2);
  }

  /** Adds another `funds` so that long runs never hit 519 by design. */
  private async topUp(buyerIdx: number): Promise<void> {
    const body = addFundsBody(this.world.buyers[buyerIdx]!, this.world.funds, this.world.passwordJson);
    const t0 = performance.now();
    const status = await this.http.postStatus(this.addFundsPath, body, JSON_HEADERS);
    this.recorder.response(ADD_FUNDS, status, t0, performance.now());
    this.ledger.fundsAdded(buyerIdx, this.world.funds, status);
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
    while (performance.now() < stopAt) await txns.run(client, Number.NaN);
  }));
}

/**
 * Starts transactions at a fixed rate whether or not earlier ones have finished. When every
 * client is busy the start waits in a queue, and its latency still counts from the scheduled
 * time, so a slow server cannot hide its stalls (no coordinated omission).
 */
function openLoop(clients: SimClient[], txns: Transactions, plan: LoadPlan, startAt: number, stopAt: number): Promise<number> {
  const interval = 1000 / plan.rate;
  const idle = clients.slice();
  const queue: number[] = [];
  let queueHead = 0;
  let issued = 0;
  let inFlight = 0;
  let stopped = false;
  return new Promise((resolve) => {
    const finish = (): void => resolve(queue.length - queueHead);
    const launch = (client: SimClient, scheduledAt: number): void => {
      inFlight += 1;
      void txns.run(client, scheduledAt).finally(() => {
        inFlight -= 1;
        if (!stopped && queueHead < queue.length) launch(client, queue[queueHead++]!);
        else idle.push(client);
        if (stopped && inFlight === 0) finish();
      });
    };
    const tick = (): void => {
      const now = performance.now();
      if (now >= stopAt) {
        stopped = true;
        if (inFlight === 0) finish();
        return;
      }
      for (let due = startAt + issued * interval; due <= now; due = startAt + issued * interval) {
        issued += 1;
        const client = idle.pop();
        if (client) launch(client, due);
        else queue.push(due);
      }
      if (queueHead > 4096 && queueHead * 2 > queue.length) {
        queue.splice(0, queueHead);
        queueHead = 0;
      }
      setTimeout(tick, Math.max(1, startAt + issued * interval - now));
    };
    tick();
  });
}

/** Runs warm-up then the measured phase; returns after in-flight transactions have drained. */
export async function runLoad(
  http: HttpClient,
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
    else unsent = await openLoop(clients, txns, plan, startAt, recorder.windowEnd);
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
