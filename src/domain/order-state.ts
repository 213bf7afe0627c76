import type { ErrorCode } from '../errors.js';

export const ORDER_STATUSES = ['unpaid', 'paid', 'shipped', 'received', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export type OrderAction = 'pay' | 'ship' | 'receive' | 'cancel' | 'expire';

/** What a transition does besides changing the order's state, in the same statement. */
export type OrderEffect =
  /** buyer's balance → escrow (guarded: balance ≥ total) */
  | 'debit_buyer'
  /** escrow → seller's balance */
  | 'credit_seller'
  /** reserved stock back to the store; a paid order's escrow back to the buyer */
  | 'restock_and_refund'
  | 'none';

export interface Transition {
  /** States the action accepts; the transition's SQL names them in its WHERE clause. */
  from: readonly OrderStatus[];
  to: OrderStatus;
  /** The timestamp column the transition sets. */
  stamp: 'paid_at' | 'shipped_at' | 'received_at' | 'cancelled_at';
  /** Who may take it: the order's buyer, its store's owner, or nobody but the sweeper. */
  by: 'buyer' | 'seller' | 'sweeper';
  effect: OrderEffect;
  cancelReason?: 'buyer' | 'timeout';
  /** What the caller is told when the order is in another state (API.md's table; worded in messages.ts). */
  refuse: Partial<Record<OrderStatus, ErrorCode>>;
}

/** The order state machine: unpaid → paid → shipped → received, or → cancelled. */
export const ORDER_TRANSITIONS: Readonly<Record<OrderAction, Transition>> = {
  pay: {
    from: ['unpaid'],
    to: 'paid',
    stamp: 'paid_at',
    by: 'buyer',
    effect: 'debit_buyer',
    refuse: { paid: 'INVALID_ORDER', shipped: 'INVALID_ORDER', received: 'INVALID_ORDER', cancelled: 'INVALID_ORDER' },
  },
  ship: {
    from: ['paid'],
    to: 'shipped',
    stamp: 'shipped_at',
    by: 'seller',
    effect: 'none',
    refuse: { unpaid: 'ORDER_NOT_PAID', shipped: 'ORDER_SHIPPED', received: 'ORDER_SHIPPED', cancelled: 'ORDER_CLOSED' },
  },
  receive: {
    from: ['shipped'],
    to: 'received',
    stamp: 'received_at',
    by: 'buyer',
    effect: 'credit_seller',
    refuse: { unpaid: 'ORDER_NOT_SHIPPED', paid: 'ORDER_NOT_SHIPPED', received: 'ORDER_RECEIVED', cancelled: 'ORDER_CLOSED' },
  },
  cancel: {
    from: ['unpaid', 'paid'],
    to: 'cancelled',
    stamp: 'cancelled_at',
    by: 'buyer',
    effect: 'restock_and_refund',
    cancelReason: 'buyer',
    refuse: { shipped: 'ORDER_NOT_CANCELLABLE', received: 'ORDER_NOT_CANCELLABLE', cancelled: 'ORDER_CLOSED' },
  },
  /** The timeout: an unpaid order past its deadline (see past_deadline in migrations/004). */
  expire: {
    from: ['unpaid'],
    to: 'cancelled',
    stamp: 'cancelled_at',
    by: 'sweeper',
    effect: 'restock_and_refund',
    cancelReason: 'timeout',
    refuse: {},
  },
};

/** The code refusing `action` on an order that is `status` now, or null when the state machine allows it. */
export function refusal(action: OrderAction, status: OrderStatus): { code: ErrorCode } | null {
  const t = ORDER_TRANSITIONS[action];
  return t.from.includes(status) ? null : { code: t.refuse[status] ?? 'INVALID_ORDER' };
}
