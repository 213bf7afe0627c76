import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newBuyer, newStore, newUser, placeOrder, pay, uid, type Reply, type User } from '../helpers/client.js';
import { addFunds, cancel, expectCode, orderIn, receive, ship, type PlacedOrder } from '../helpers/core-api.js';
import { DB_KIND, useServer } from '../helpers/server.js';

/**
 * Every write re-checks its caller's credential in the statement that acts, and holds it until it
 * commits: no interleaving of a revocation (logout, a new login on the same terminal, a password
 * change, unregistering) with a write lets the write act on a credential the revocation ended.
 * Each pair is raced over HTTP, round after round, and each outcome must be one a serial order of
 * the two would give. Then the database as a whole must hold nothing only such an act could leave
 * behind: a session of an unregistered user, money or an open order or store of one.
 */
describe(`credential races (${DB_KIND})`, () => {
  const { server, api } = useServer();
  const ROUNDS = 4;

  /** The revocations: what they end, and the call that makes them. */
  const REVOCATIONS = {
    logout: (u: User) => api.post('/auth/logout', { user_id: u.userId }, u.token),
    'login on the same terminal': (u: User) => api.post('/auth/login', { user_id: u.userId, password: u.password, terminal: 'terminal-1' }),
    'password change': (u: User) => api.post('/auth/password', { user_id: u.userId, oldPassword: u.password, newPassword: `${u.password}-new` }),
    unregister: (u: User) => api.post('/auth/unregister', { user_id: u.userId, password: u.password }),
  };
  type Revocation = keyof typeof REVOCATIONS;

  /** Whether the revocation, having succeeded, ended the credential a write of this kind used. */
  const ends = (r: Revocation, credential: 'token' | 'password') =>
    r === 'unregister' || r === 'password change' || credential === 'token';

  interface Race {
    /** The user whose credential is raced. */
    actor: User;
    credential: 'token' | 'password';
    write(): Promise<Reply>;
    /** Whether the write's effect is in the database now. */
    happened(): Promise<boolean>;
  }

  const count = async (sql: string, params: unknown[]) =>
    (await server.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) x`, params)).rows[0]!.n;

  /** The writes, each set up afresh for one round. */
  const WRITES: Record<string, () => Promise<Race>> = {
    login: async () => {
      const actor = await newUser(api);
      const terminal = uid('t');
      let token = '';
      return {
        actor,
        credential: 'password',
        write: async () => {
          const res = await api.post('/auth/login', { user_id: actor.userId, password: actor.password, terminal });
          token = res.body.token ?? '';
          return res;
        },
        // The session it opened still lets its token act.
        happened: async () => token !== '' && (await api.post('/seller/query_order', { user_id: actor.userId }, token)).status === 200,
      };
    },
    new_order: async () => {
      const shop = await newStore(api, [{ price: 100, stock: 5 }]);
      const actor = await newBuyer(api, 0);
      return {
        actor,
        credential: 'token',
        write: () => placeOrder(api, actor, shop.storeId, [{ id: 'book-1', count: 1 }]),
        happened: async () => (await count('SELECT 1 FROM orders WHERE store_id = $1', [shop.storeId])) === 1,
      };
    },
    payment: async () => {
      const o = await orderIn(api, 'unpaid', { funds: 10_000 });
      return { actor: o.buyer, credential: 'password', write: () => pay(api, o.buyer, o.orderId), happened: () => isIn(o, 'paid') };
    },
    'add_funds (deposit)': async () => {
      const actor = await newBuyer(api, 0);
      return {
        actor,
        credential: 'password',
        write: () => addFunds(api, actor, 500),
        happened: async () => (await count('SELECT 1 FROM users WHERE user_id = $1 AND balance = 500', [actor.userId])) === 1,
      };
    },
    'add_funds (withdrawal)': async () => {
      const actor = await newBuyer(api, 500);
      return {
        actor,
        credential: 'password',
        write: () => addFunds(api, actor, -500),
        happened: async () => (await count('SELECT 1 FROM users WHERE user_id = $1 AND balance = 0', [actor.userId])) === 1,
      };
    },
    close_order: async () => {
      const o = await orderIn(api, 'paid', { funds: 10_000 });
      return { actor: o.buyer, credential: 'password', write: () => cancel(api, o.buyer, o.orderId), happened: () => isIn(o, 'cancelled') };
    },
    create_store: async () => {
      const actor = await newUser(api, 'seller');
      const storeId = uid('store');
      return {
        actor,
        credential: 'token',
        write: () => api.post('/seller/create_store', { user_id: actor.userId, store_id: storeId }, actor.token),
        happened: async () => (await count('SELECT 1 FROM stores WHERE store_id = $1', [storeId])) === 1,
      };
    },
    add_book: async () => {
      const shop = await newStore(api, []);
      return {
        actor: shop.seller,
        credential: 'token',
        write: () =>
          api.post('/seller/add_book', { user_id: shop.seller.userId, store_id: shop.storeId, book_info: { id: 'b', price: 1 }, stock_level: 1 }, shop.seller.token),
        happened: async () => (await count('SELECT 1 FROM listings WHERE store_id = $1', [shop.storeId])) === 1,
      };
    },
    add_stock_level: async () => {
      const shop = await newStore(api, [{ price: 1, stock: 1 }]);
      return {
        actor: shop.seller,
        credential: 'token',
        write: () =>
          api.post('/seller/add_stock_level', { user_id: shop.seller.userId, store_id: shop.storeId, book_id: 'book-1', add_stock_level: 4 }, shop.seller.token),
        happened: async () => (await count('SELECT 1 FROM listings WHERE store_id = $1 AND stock_level = 5', [shop.storeId])) === 1,
      };
    },
    send_books: async () => {
      const o = await orderIn(api, 'paid', { funds: 10_000 });
      return { actor: o.shop.seller, credential: 'token', write: () => ship(api, o.shop, o.orderId), happened: () => isIn(o, 'shipped') };
    },
    receive_books: async () => {
      const o = await orderIn(api, 'shipped', { funds: 10_000 });
      return { actor: o.buyer, credential: 'token', write: () => receive(api, o.buyer, o.orderId), happened: () => isIn(o, 'received') };
    },
  };

  const isIn = async (o: PlacedOrder, status: string) =>
    (await count('SELECT 1 FROM orders WHERE order_id = $1 AND status = $2', [o.orderId, status])) === 1;

  for (const [writeName, setUp] of Object.entries(WRITES)) {
    for (const revocation of Object.keys(REVOCATIONS) as Revocation[]) {
      test(`${writeName} racing ${revocation}`, async () => {
        for (let round = 0; round < ROUNDS; round++) {
          const race = await setUp();
          const [w, r] = await Promise.all([race.write(), REVOCATIONS[revocation](race.actor)]);
          const what = `round ${round}: ${writeName} → ${w.status} ${JSON.stringify(w.body)}, ${revocation} → ${r.status} ${JSON.stringify(r.body)}`;
          const revoked = r.status === 200 && ends(revocation, race.credential);
          if (writeName === 'login' && revoked) {
            // The one write that creates a credential: whatever the order, no session it opened survives.
            assert.equal(await race.happened(), false, `${what}: a session survived the ${revocation}`);
          } else {
            // A write either acted (all of it) or changed nothing.
            assert.equal(await race.happened(), w.status === 200, `${what}: the effect is there iff the write answered 200`);
          }
          if (w.status !== 200 && revoked) {
            assert.ok([401, 511, 512].includes(w.status), `${what}: refused for its credential`);
          }
        }
      });
    }
  }

  test('afterwards, nothing only a write on a revoked credential could leave behind', async () => {
    const unregistered = 'SELECT id FROM users WHERE unregistered_at IS NOT NULL';
    assert.equal(await count(`SELECT 1 FROM sessions WHERE user_pk IN (${unregistered})`, []), 0, 'sessions of unregistered users');
    assert.equal(await count(`SELECT 1 FROM users WHERE unregistered_at IS NOT NULL AND balance <> 0`, []), 0, 'money of unregistered users');
    assert.equal(await count(`SELECT 1 FROM stores WHERE closed_at IS NULL AND owner_pk IN (${unregistered})`, []), 0, 'open stores of unregistered users');
    assert.equal(
      await count(
        `SELECT 1 FROM orders_now o JOIN stores s ON s.store_id = o.store_id
          WHERE o.status IN ('unpaid', 'paid', 'shipped') AND (o.buyer_pk IN (${unregistered}) OR s.owner_pk IN (${unregistered}))`,
        [],
      ),
      0,
      'open orders of unregistered users',
    );
  });

  test('the login racing a password change leaves no session behind, in any run', async () => {
    for (let run = 0; run < 3; run++) {
      const user = await newUser(api);
      const logins = Array.from({ length: 40 }, (_, i) =>
        api.post('/auth/login', { user_id: user.userId, password: user.password, terminal: `t${i}` }),
      );
      const change = api.post('/auth/password', { user_id: user.userId, oldPassword: user.password, newPassword: 'changed' });
      const results = await Promise.all([...logins, change]);
      expectCode(results.at(-1)!, 200, 'password change');
      const survivors = await count('SELECT 1 FROM sessions s JOIN users u ON u.id = s.user_pk WHERE u.user_id = $1', [user.userId]);
      assert.equal(survivors, 0, `run ${run}: ${survivors} session(s) survived the password change`);
      for (const login of results.slice(0, -1)) {
        if (login.status !== 200) continue;
        const res = await api.post('/seller/query_order', { user_id: user.userId }, login.body.token);
        assert.equal(res.status, 401, `run ${run}: a token from before the change still works`);
      }
    }
  });
});
