import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { Api, newBuyer, newStore, pay, placeOrder, stockOf } from '../helpers/client.js';
import { DB_KIND, useServer } from '../helpers/server.js';

/** Two servers on one database, as two server processes sharing one PostgreSQL would be. */
describe(`order timeout with several servers (${DB_KIND})`, () => {
  const secret = randomBytes(32);
  const { server: first, api } = useServer({ orderTimeoutS: 60, secret });
  const { server: second } = useServer(() => ({ orderTimeoutS: 60, secret, sharing: first }));

  test('expired orders are cancelled and restocked exactly once when servers sweep together', async () => {
    const { seller, storeId, books } = await newStore(api, [{ price: 10, stock: 100 }]);
    const buyer = await newBuyer(api, 1_000);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await placeOrder(api, buyer, storeId, [{ id: books[0]!.id, count: 2 }]);
      assert.equal(res.status, 200);
      ids.push(res.body.order_id as string);
    }
    assert.equal((await pay(api, buyer, ids[0]!)).status, 200); // a paid order never times out
    await first.clock.advance(61);

    const [a, b, c] = await Promise.all([first.sweep(), second.sweep(), first.sweep()]);
    assert.equal(a + b + c, 29);
    assert.equal(await stockOf(api, seller, storeId, books[0]!.id), 100 - 2);

    const res = await new Api(second.url).post('/buyer/query_order', {
      user_id: buyer.userId,
      password: buyer.password,
      status: 'cancelled',
      page_size: 100,
    });
    assert.equal(res.body.total, 29);
    for (const o of res.body.orders) assert.equal(o.cancel_reason, 'timeout');
    assert.equal(await Promise.all([first.sweep(), second.sweep()]).then(([x, y]) => x + y), 0);
  });
});
