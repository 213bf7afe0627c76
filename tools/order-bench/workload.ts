import type { Rng } from './rng.js';
import type { Store, User } from './setup.js';

export const MAX_LINES = 10;
export const MAX_COUNT = 10;

/** One order being placed; each simulated client reuses a single instance. */
export class PendingOrder {
  store = 0;
  lines = 0;
  total = 0;
  /** Book indexes into the store's `books`, distinct within the order. */
  readonly books = new Int32Array(MAX_LINES);
  readonly counts = new Int32Array(MAX_LINES);
}

/** Draws random orders: one random store, 1–10 distinct random books, each 1–10 copies. */
export class OrderPicker {
  private readonly perm: Int32Array;

  constructor(
    private readonly stores: readonly Store[],
    private readonly rng: Rng,
  ) {
    const size = stores[0]?.books.length ?? 0;
    if (size === 0 || stores.some((s) => s.books.length !== size)) {
      throw new Error('every store needs the same, non-zero number of books');
    }
    this.perm = Int32Array.from({ length: size }, (_, i) => i);
  }

  next(out: PendingOrder): void {
    const rng = this.rng;
    const perm = this.perm;
    out.store = rng.int(0, this.stores.length - 1);
    const books = this.stores[out.store]!.books;
    out.lines = rng.int(1, Math.min(MAX_LINES, perm.length));
    out.total = 0;
    // Partial Fisher-Yates: any permutation left in `perm` is as good a start as the identity.
    for (let i = 0; i < out.lines; i++) {
      const j = rng.int(i, perm.length - 1);
      const book = perm[j]!;
      perm[j] = perm[i]!;
      perm[i] = book;
      const count = rng.int(1, MAX_COUNT);
      out.books[i] = book;
      out.counts[i] = count;
      out.total += count * books[book]!.price;
    }
  }
}

export function newOrderBody(buyer: User, store: Store, order: PendingOrder): string {
  let body = '{"user_id":' + buyer.idJson + ',"store_id":' + store.idJson + ',"books":[';
  for (let i = 0; i < order.lines; i++) {
    if (i > 0) body += ',';
    body += '{"id":' + store.books[order.books[i]!]!.idJson + ',"count":' + order.counts[i]! + '}';
  }
  return body + ']}';
}

export function paymentBody(buyer: User, orderId: string, passwordJson: string): string {
  return '{"user_id":' + buyer.idJson + ',"order_id":' + JSON.stringify(orderId) + ',"password":' + passwordJson + '}';
}

export function addFundsBody(buyer: User, amount: number, passwordJson: string): string {
  return '{"user_id":' + buyer.idJson + ',"password":' + passwordJson + ',"add_value":' + amount + '}';
}
