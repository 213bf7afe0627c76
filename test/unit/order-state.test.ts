import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ERROR_STATUS } from '../../src/errors.js';
import { refusalError } from '../../src/domain/messages.js';
import { ORDER_STATUSES, ORDER_TRANSITIONS, refusal, type OrderAction, type OrderStatus } from '../../src/domain/order-state.js';

/** API.md's table: what each call answers for an order in each state. */
const CONTRACT: Record<Exclude<OrderAction, 'expire'>, Record<OrderStatus, number>> = {
  pay: { unpaid: 200, paid: 518, shipped: 518, received: 518, cancelled: 518 },
  ship: { unpaid: 520, paid: 200, shipped: 525, received: 525, cancelled: 521 },
  receive: { unpaid: 522, paid: 522, shipped: 200, received: 523, cancelled: 521 },
  cancel: { unpaid: 200, paid: 200, shipped: 524, received: 524, cancelled: 521 },
};

describe('order state machine', () => {
  for (const [action, row] of Object.entries(CONTRACT) as [Exclude<OrderAction, 'expire'>, Record<OrderStatus, number>][]) {
    test(`${action}: every state answers as API.md's table says`, () => {
      for (const status of ORDER_STATUSES) {
        const refused = refusal(action, status);
        assert.equal(refused === null ? 200 : ERROR_STATUS[refused.code], row[status], `${action} on ${status}`);
      }
    });
  }

  test('each transition leads out of the states it accepts, stamping its own time', () => {
    for (const t of Object.values(ORDER_TRANSITIONS)) {
      assert.ok(!t.from.includes(t.to), `${t.stamp}: ${t.to} is not one of its own starting states`);
    }
    assert.deepEqual(ORDER_TRANSITIONS.expire.from, ['unpaid'], 'only unpaid orders time out');
    assert.equal(ORDER_TRANSITIONS.expire.cancelReason, 'timeout');
    assert.equal(ORDER_TRANSITIONS.cancel.cancelReason, 'buyer');
  });

  test('refusal messages say what state the order is in, and why a cancelled one is', () => {
    const words = (action: Exclude<OrderAction, 'expire'>, status: OrderStatus, cancelReason: 'buyer' | 'timeout' | null = null) =>
      refusalError({ reason: 'order state', action, status, cancelReason }).message;
    assert.match(words('pay', 'paid'), /already paid/);
    assert.match(words('pay', 'cancelled', 'timeout'), /cancelled \(not paid in time\)/);
    assert.match(words('ship', 'cancelled', 'buyer'), /cancelled \(by the buyer\)/);
    assert.match(words('receive', 'paid'), /not shipped yet/);
    assert.equal(refusal('cancel', 'paid'), null);
  });
});
