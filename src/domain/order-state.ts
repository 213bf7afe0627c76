import type { ErrorCode } from '../errors.js';

export const ORDER_STATUSES = ['unpaid', 'paid', 'shipped', 'received', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export type OrderAction = 'pay' | 'ship' | 'receive' | 'cancel';

interface Transition {
  /** States the action accepts; the SQL of the transition names them in its WHERE clause. */
  from: readonly OrderStatus[];
  to: OrderStatus;
  /** The timestamp column the transition sets. */
  stamp: 'paid_at' | 'shipped_at' | 'received_at' | 'cancelled_at';
  /** What the caller is told when the order is in any other state (API.md's table). */
  refuse: Partial<Record<OrderStatus, ErrorCode>>;
}

/** The order state machine: unpaid → paid → shipped → received, or → cancelled. */
export const ORDER_TRANSITIONS: Record<OrderAction, Transition> = {
  pay: {
    from: ['unpaid'],
    to: 'paid',
    stamp: 'paid_at',
    refuse: { paid: 'INVALID_ORDER', shipped: 'INVALID_ORDER', received: 'INVALID_ORDER', cancelled: 'INVALID_ORDER' },
  },
  ship: {
    from: ['paid'],
    to: 'shipped',
    stamp: 'shipped_at',
    refuse: { unpaid: 'ORDER_NOT_PAID', shipped: 'ORDER_SHIPPED', received: 'ORDER_SHIPPED', cancelled: 'ORDER_CLOSED' },
  },
  receive: {
    from: ['shipped'],
    to: 'received',
    stamp: 'received_at',
    refuse: { unpaid: 'ORDER_NOT_SHIPPED', paid: 'ORDER_NOT_SHIPPED', received: 'ORDER_RECEIVED', cancelled: 'ORDER_CLOSED' },
  },
  cancel: {
    from: ['unpaid', 'paid'],
    to: 'cancelled',
    stamp: 'cancelled_at',
    refuse: { shipped: 'ORDER_NOT_CANCELLABLE', received: 'ORDER_NOT_CANCELLABLE', cancelled: 'ORDER_CLOSED' },
  },
};

/**
 * An unpaid order past its deadline is cancelled, whether or not the sweeper has got to it
 * yet; every decision uses this effective state, so a late payment is refused at once.
 */
export function effectiveStatus(status: OrderStatus, createdAt: Date, now: Date, timeoutS: number): OrderStatus {
  return status === 'unpaid' && createdAt.getTime() + timeoutS * 1000 <= now.getTime() ? 'cancelled' : status;
}

/** The error for attempting `action` on an order in `status`, or null when it is allowed. */
export function refusal(action: OrderAction, status: OrderStatus): ErrorCode | null {
  const t = ORDER_TRANSITIONS[action];
  return t.from.includes(status) ? null : (t.refuse[status] ?? 'INVALID_ORDER');
}
