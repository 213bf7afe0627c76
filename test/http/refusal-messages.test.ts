import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { newStore, newUser, pay, placeOrder, type Reply, type User } from '../helpers/client.js';
import { cancel, expectCode, orderIn, receive, ship, type OrderState } from '../helpers/core-api.js';
import { DB_KIND, useServer } from '../helpers/server.js';

/** Same status codes as the contract, and a message that says which refusal it was. */
function refused(reply: Reply, status: number, message: string): void {
  expectCode(reply, status, message);
  assert.equal(reply.body.message, message);
}

const LOG_IN_AGAIN = 'log in again';

describe(`refusal messages say what happened (${DB_KIND})`, () => {
  const { server, api } = useServer();

  const createStore = (user: User, token: string | undefined, userId = user.userId): Promise<Reply> =>
    api.post('/seller/create_store', { user_id: userId, store_id: `s-${randomUUID().slice(0, 8)}` }, token);

  describe('401: the token', () => {
    test('no token', async () => {
      const u = await newUser(api);
      refused(await createStore(u, undefined), 401, 'no token: send the token from /auth/login in the `token` header');
    });

    test('a malformed token', async () => {
      const u = await newUser(api);
      refused(await createStore(u, 'not-a-token'), 401, 'malformed token: send the token from /auth/login unchanged');
    });

    test('a token not signed by this server', async () => {
      const u = await newUser(api);
      const [header, payload, signature] = u.token.split('.') as [string, string, string];
      const forged = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
      refused(await createStore(u, forged), 401, `token not issued by this server (or its secret has changed): ${LOG_IN_AGAIN}`);
    });

    test("another user's token (its user is not the body's user_id)", async () => {
      const [a, b] = [await newUser(api), await newUser(api)];
      refused(await createStore(b, a.token), 401, 'token of another user: it must belong to the user_id of the request');
    });

    test('a logged-out token (its session is gone)', async () => {
      const u = await newUser(api);
      expectCode(await api.post('/auth/logout', { user_id: u.userId }, u.token), 200, 'logout');
      const message = `token no longer valid: its terminal logged out, or the password was changed; ${LOG_IN_AGAIN}`;
      refused(await createStore(u, u.token), 401, message);
      refused(await api.post('/auth/logout', { user_id: u.userId }, u.token), 401, message);
    });

    test('a token of a changed password (every session ends)', async () => {
      const u = await newUser(api);
      expectCode(await api.post('/auth/password', { user_id: u.userId, oldPassword: u.password, newPassword: 'new-pw-1' }), 200, 'password');
      refused(await createStore(u, u.token), 401, `token no longer valid: its terminal logged out, or the password was changed; ${LOG_IN_AGAIN}`);
    });

    test('a token replaced by a newer login on the same terminal', async () => {
      const u = await newUser(api);
      expectCode(await api.post('/auth/login', { user_id: u.userId, password: u.password, terminal: 'terminal-1' }), 200, 'login again');
      refused(await createStore(u, u.token), 401, `token replaced by a newer login on terminal terminal-1: use the newer token, or ${LOG_IN_AGAIN}`);
    });

    test('an unknown user on a token route that answers 401 for it', async () => {
      const u = await newUser(api);
      refused(await api.post('/auth/logout', { user_id: 'no-such-user-x' }, u.token), 401, 'user no-such-user-x does not exist');
    });
  });

  describe('401: the password', () => {
    test('a wrong password', async () => {
      const u = await newUser(api);
      refused(await api.post('/auth/login', { user_id: u.userId, password: 'wrong', terminal: 't' }), 401, 'wrong password');
      refused(await api.post('/buyer/add_funds', { user_id: u.userId, password: 'wrong', add_value: 1 }), 401, 'wrong password');
    });

    test('an unknown user', async () => {
      refused(await api.post('/auth/login', { user_id: 'nobody-here', password: 'x', terminal: 't' }), 401, 'user nobody-here does not exist');
    });
  });

  describe('518 and the order state codes', () => {
    test('no such order (a well-formed id, and one that is not an order id at all)', async () => {
      const u = await newUser(api);
      const id = randomUUID();
      refused(await pay(api, u, id), 518, `no such order: ${id}`);
      refused(await pay(api, u, 'nope'), 518, 'no such order: nope');
    });

    test("another buyer's order → 518; another seller's order → 401", async () => {
      const o = await orderIn(api, 'paid');
      const other = await newUser(api);
      refused(await pay(api, other, o.orderId), 518, 'not your order: it was placed by another buyer');
      refused(await receive(api, other, o.orderId), 518, 'not your order: it was placed by another buyer');
      const otherShop = await newStore(api, []);
      refused(await ship(api, otherShop, o.orderId), 401, "not your order: it was placed in another seller's store");
    });

    /** What each call answers for an order in each state it refuses (API.md's table), and its words. */
    const EXPECTED: Record<OrderState, [call: 'pay' | 'ship' | 'receive' | 'cancel', status: number, message: string][]> = {
      unpaid: [
        ['ship', 520, 'order not paid yet: it cannot be shipped'],
        ['receive', 522, 'order not paid yet: its receipt cannot be confirmed'],
      ],
      paid: [
        ['pay', 518, 'order already paid: it cannot be paid'],
        ['receive', 522, 'order not shipped yet: its receipt cannot be confirmed'],
      ],
      shipped: [
        ['pay', 518, 'order already shipped: it cannot be paid'],
        ['ship', 525, 'order already shipped: it cannot be shipped'],
        ['cancel', 524, 'order already shipped: it cannot be cancelled'],
      ],
      received: [
        ['pay', 518, 'order already received: it cannot be paid'],
        ['ship', 525, 'order already received: it cannot be shipped'],
        ['receive', 523, 'order already received: its receipt cannot be confirmed'],
        ['cancel', 524, 'order already received: it cannot be cancelled'],
      ],
      cancelled: [
        ['pay', 518, 'order cancelled (by the buyer): it cannot be paid'],
        ['ship', 521, 'order cancelled (by the buyer): it cannot be shipped'],
        ['receive', 521, 'order cancelled (by the buyer): its receipt cannot be confirmed'],
        ['cancel', 521, 'order cancelled (by the buyer): it cannot be cancelled'],
      ],
    };

    for (const [state, calls] of Object.entries(EXPECTED) as [OrderState, (typeof EXPECTED)[OrderState]][]) {
      test(`an order that is ${state}: ${calls.map(([c, s]) => `${c} → ${s}`).join(', ')}`, async () => {
        const o = await orderIn(api, state);
        for (const [call, status, message] of calls) {
          const reply =
            call === 'pay'
              ? await pay(api, o.buyer, o.orderId)
              : call === 'ship'
                ? await ship(api, o.shop, o.orderId)
                : call === 'receive'
                  ? await receive(api, o.buyer, o.orderId)
                  : await cancel(api, o.buyer, o.orderId);
          refused(reply, status, message);
        }
      });
    }
  });

  // Runs last: it moves the database's clock past every deadline and token lifetime.
  test('after the clock passes the deadlines: an unpaid order timed out (518), an expired session (401)', async () => {
    const shop = await newStore(api, [{ price: 100, stock: 5 }]);
    const buyer = await newUser(api, 'buyer');
    expectCode(await api.post('/buyer/add_funds', { user_id: buyer.userId, password: buyer.password, add_value: 1000 }), 200, 'add_funds');
    const placed = expectCode(await placeOrder(api, buyer, shop.storeId, [{ id: shop.books[0]!.id, count: 1 }]), 200, 'new_order');
    await server.clock.advance(4000); // past the 900 s order timeout and the 3600 s token lifetime
    refused(await pay(api, buyer, placed.body.order_id as string), 518, 'order cancelled (not paid in time): it cannot be paid');
    refused(await createStore(buyer, buyer.token), 401, `token expired: ${LOG_IN_AGAIN}`);
  });
});
