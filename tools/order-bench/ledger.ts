import { NO_RESPONSE, statusLabel } from './client.js';
import type { World } from './setup.js';
import type { PendingOrder } from './workload.js';

export interface OrderRecord {
  store: number;
  buyer: number;
  total: number;
  paid: boolean;
}

/** True for a status the API never uses for a business outcome: 500–510, 527+ or no response. */
export function isServerError(status: number): boolean {
  return status === NO_RESPONSE || (status >= 500 && status <= 510) || status >= 527;
}

/**
 * What the server's state must be, as far as the generator can tell from the replies it got.
 * Covers the whole run (warm-up and drain included), not just the measured window.
 */
export class Ledger {
  /** Units sold per store and book index, from orders that were answered 200. */
  readonly sold: Float64Array[];
  /** Units in orders sent but not yet answered, per store and book index. */
  private readonly inFlight: Float64Array[];
  /** Expected balance per buyer: funds added minus totals of paid orders. */
  readonly balance: Float64Array;
  readonly orders = new Map<string, OrderRecord>();
  /** Replies no correct server gives to this workload, keyed `endpoint status`. */
  readonly unexpected = new Map<string, number>();
  /** Requests that got no reply: the server may or may not have applied them. */
  indeterminate = 0;
  /** Replies that were 5xx outside the API's 511–526 business codes, or missing. */
  serverErrors = 0;

  constructor(readonly world: World) {
    this.sold = world.stores.map((s) => new Float64Array(s.books.length));
    this.inFlight = world.stores.map((s) => new Float64Array(s.books.length));
    this.balance = new Float64Array(world.buyers.length).fill(world.funds);
  }

  reserve(order: PendingOrder): void {
    const pending = this.inFlight[order.store]!;
    for (let i = 0; i < order.lines; i++) pending[order.books[i]!]! += order.counts[i]!;
  }

  release(order: PendingOrder): void {
    const pending = this.inFlight[order.store]!;
    for (let i = 0; i < order.lines; i++) pending[order.books[i]!]! -= order.counts[i]!;
  }

  orderPlaced(orderId: string, buyer: number, order: PendingOrder): OrderRecord {
    const sold = this.sold[order.store]!;
    for (let i = 0; i < order.lines; i++) sold[order.books[i]!]! += order.counts[i]!;
    const record: OrderRecord = { store: order.store, buyer, total: order.total, paid: false };
    this.orders.set(orderId, record);
    return record;
  }

  /** Call after `release`, so in-flight counts hold only other clients' orders. */
  orderRejected(order: PendingOrder, status: number): void {
    if (status !== 517) this.note(`new_order ${statusLabel(status)}`, status);
    else if (!this.stockCouldBeShort(order)) this.note('new_order 517 while stock sufficed', status);
  }

  orderPaid(record: OrderRecord): void {
    record.paid = true;
    this.balance[record.buyer]! -= record.total;
  }

  paymentRejected(record: OrderRecord, status: number): void {
    if (status === 519 && this.balance[record.buyer]! < record.total) return;
    this.note(status === 519 ? 'payment 519 while funds sufficed' : `payment ${statusLabel(status)}`, status);
  }

  fundsAdded(buyer: number, amount: number, status: number): void {
    if (status === 200) this.balance[buyer]! += amount;
    else this.note(`add_funds ${statusLabel(status)}`, status);
  }

  /** Every line's stock, less what other in-flight orders might have taken, covered the order. */
  private stockCouldBeShort(order: PendingOrder): boolean {
    const sold = this.sold[order.store]!;
    const pending = this.inFlight[order.store]!;
    for (let i = 0; i < order.lines; i++) {
      const b = order.books[i]!;
      if (this.world.stock - sold[b]! - pending[b]! < order.counts[i]!) return true;
    }
    return false;
  }

  /** Marks a 200 whose reply lacked a field the generator needs (e.g. no `order_id`). */
  malformedReply(key: string): void {
    this.indeterminate += 1;
    this.note(key, 200);
  }

  private note(key: string, status: number): void {
    if (status === NO_RESPONSE) this.indeterminate += 1;
    if (isServerError(status)) this.serverErrors += 1;
    this.unexpected.set(key, (this.unexpected.get(key) ?? 0) + 1);
  }
}
