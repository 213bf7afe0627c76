import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_THROTTLE, Throttle } from '../../src/http/throttle.js';
import { uid } from '../helpers/client.js';
import { postFrom } from '../helpers/from-address.js';
import { DB_KIND, useServer } from '../helpers/server.js';

/** The throttle's clock, moved by the tests instead of sleeping. */
let nowMs = Date.parse('2026-01-01T00:00:00Z');
const advance = (seconds: number) => (nowMs += seconds * 1000);

// Client addresses: every 127.x.y.z reaches the server on 127.0.0.1.
const OWNER_HOME = '127.0.0.2';
const ATTACKER = '127.0.0.3';
const OWNER_NEW_DEVICE = '127.0.0.4';
const OTHER = '127.0.0.5';

describe(`throttling failed credentials (${DB_KIND})`, () => {
  // These clients play remote ones from 127.x addresses: loopback's exemption is off here.
  const { server } = useServer(() => ({ throttle: new Throttle({ ...DEFAULT_THROTTLE, exemptLoopback: false }, () => nowMs) }));
  const { user, address } = DEFAULT_THROTTLE;

  const post = (from: string, path: string, body: unknown, token?: string) => postFrom(from, server.url, path, body, token);
  const login = (from: string, userId: string, password: string, terminal = 't') => post(from, '/auth/login', { user_id: userId, password, terminal });
  const register = async (prefix: string) => {
    const userId = uid(prefix);
    assert.equal((await post(OTHER, '/auth/register', { user_id: userId, password: 'right' })).status, 200);
    return userId;
  };

  test('after a few failures for one user id: 429 with Retry-After, and the owner gets in again after a short back-off', async () => {
    const victim = await register('victim');
    assert.equal((await login(OWNER_HOME, victim, 'right', 'home')).status, 200); // the owner's usual address

    for (let i = 0; i < user.free + 1; i++) assert.equal((await login(ATTACKER, victim, `guess-${i}`)).status, 401);
    // Past the free allowance: refused without checking the password (the right one included).
    const refused = await login(ATTACKER, victim, 'right');
    assert.equal(refused.status, 429);
    assert.match(refused.body.message, /user id/);
    assert.equal(refused.retryAfter, String(user.baseMs / 1000));

    // The waits double: 1 s, 2 s, 4 s … for each further failure.
    advance(1);
    assert.equal((await login(ATTACKER, victim, 'guess-x')).status, 401);
    assert.equal((await login(ATTACKER, victim, 'guess-y')).retryAfter, '2');

    // The owner, where they logged in before, is not held back by the guesser.
    assert.equal((await login(OWNER_HOME, victim, 'right', 'home')).status, 200);
    // From an address never seen: held for the short back-off only, then in.
    assert.equal((await login(OWNER_NEW_DEVICE, victim, 'right', 'new')).status, 429);
    advance(2);
    assert.equal((await login(OWNER_NEW_DEVICE, victim, 'right', 'new')).status, 200);
  });

  test('the back-off for a user id is capped low; the attacker\'s address is blocked far longer', async () => {
    const victim = await register('capped');
    const attacker = '127.0.1.1';
    let retryAfter = 0;
    // Keep failing, waiting out each back-off, until the address is past its allowance by 7 doublings.
    for (let failures = 0, i = 0; failures < address.free + 8; i++) {
      const reply = await login(attacker, victim, `guess-${i}`);
      if (reply.status === 429) {
        if (/user id/.test(reply.body.message)) retryAfter = Math.max(retryAfter, Number(reply.retryAfter));
        advance(Number(reply.retryAfter));
        continue;
      }
      assert.equal(reply.status, 401);
      failures++;
    }
    assert.equal(retryAfter, user.capMs / 1000, "the user id's wait stops growing at the cap");
    // By now the address has failed more than its allowance: it waits longer than any user id does.
    const fromAttacker = await login(attacker, uid('anyone'), 'x');
    assert.equal(fromAttacker.status, 429);
    assert.match(fromAttacker.body.message, /address/);
    assert.ok(Number(fromAttacker.retryAfter) > user.capMs / 1000, `address back-off ${fromAttacker.retryAfter} s`);
    // The owner needs at most the user id's cap, from anywhere else.
    advance(user.capMs / 1000);
    assert.equal((await login('127.0.1.2', victim, 'right')).status, 200);
  });

  test('failures from one address across many user ids throttle that address only (tokens count too)', async () => {
    const from = '127.0.2.1';
    const owner = await register('owner');
    // Bad tokens and wrong passwords for many different user ids: each id stays under its allowance.
    for (let i = 0; i < address.free; i++) {
      const reply =
        i % 2 === 0
          ? await post(from, '/auth/logout', { user_id: uid('nobody') }, `bad-token-${i}`)
          : await login(from, await register('bystander'), 'wrong');
      assert.equal(reply.status, 401);
    }
    assert.equal((await login(from, owner, 'wrong')).status, 401); // one past the allowance: now blocked 1 s
    const refused = await login(from, owner, 'right');
    assert.equal(refused.status, 429);
    assert.match(refused.body.message, /address/);
    assert.ok(Number(refused.retryAfter) >= 1);
    assert.equal((await post(from, '/auth/logout', { user_id: owner }, 'bad-token')).status, 429);

    // The same user from another address is unaffected.
    assert.equal((await login('127.0.2.2', owner, 'right')).status, 200);
    advance(1);
    assert.equal((await login(from, owner, 'right')).status, 200);
  });

  test('attempts sent all at once when a back-off ends: only one gets through to be checked', async () => {
    const victim = await register('burst');
    const from = '127.0.3.1';
    for (let i = 0; i < user.free; i++) assert.equal((await login(from, victim, `guess-${i}`)).status, 401);
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => login(from, victim, `burst-${i}`)));
    assert.deepEqual(
      replies.map((r) => r.status).sort(),
      [401, 429, 429, 429, 429, 429, 429, 429],
    );
  });
});

describe(`throttling leaves this machine's own clients their codes (${DB_KIND})`, () => {
  const { server } = useServer(() => ({ throttle: new Throttle(DEFAULT_THROTTLE) }));

  test('a course test suite on 127.0.0.1 failing credentials by the dozen keeps getting 401, not 429', async () => {
    const post = (path: string, body: unknown, token?: string) => postFrom('127.0.0.1', server.url, path, body, token);
    for (let i = 0; i < DEFAULT_THROTTLE.address.free * 2; i++) {
      const userId = uid('suite');
      assert.equal((await post('/auth/register', { user_id: userId, password: 'right' })).status, 200);
      assert.equal((await post('/auth/login', { user_id: userId, password: 'wrong', terminal: 't' })).status, 401);
      assert.equal((await post('/auth/login', { user_id: `${userId}_x`, password: 'right', terminal: 't' })).status, 401);
    }
  });
});
