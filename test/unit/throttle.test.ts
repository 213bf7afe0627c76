import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../../src/errors.js';
import { Throttle, type Attempt, type ThrottlePolicy } from '../../src/http/throttle.js';

const POLICY: ThrottlePolicy = {
  user: { free: 2, baseMs: 1000, capMs: 4000, forgetMs: 60_000 },
  address: { free: 4, baseMs: 1000, capMs: 60_000, forgetMs: 600_000 },
  trustMs: 3_600_000,
  maxKeys: 10,
  exemptLoopback: false,
};

describe('throttle', () => {
  let now = 0;
  const throttle = () => new Throttle(POLICY, () => now);
  const admitted = (t: Throttle, user: string, address: string): Attempt => {
    const a = t.admit(user, address);
    assert.ok(!(a instanceof AppError), `refused: ${a instanceof AppError ? a.message : ''}`);
    return a;
  };
  const waitS = (t: Throttle, user: string, address: string): number => {
    const a = t.admit(user, address);
    if (a instanceof AppError) return a.retryAfterS ?? NaN;
    t.settled(a);
    return 0;
  };

  test('waits double after the allowance, up to the cap, and are forgotten after a quiet spell', () => {
    now = 0;
    const t = throttle();
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      t.failed(admitted(t, 'u', `a${i}`)); // a new address each time: only the user id counts up
      waits.push(waitS(t, 'u', 'elsewhere'));
      now += waits.at(-1)! * 1000;
    }
    assert.deepEqual(waits, [0, 0, 1, 2, 4, 4]);
    now += POLICY.user.forgetMs;
    t.failed(admitted(t, 'u', 'x'));
    assert.equal(waitS(t, 'u', 'elsewhere'), 0); // counting starts again
  });

  test('a success releases the hold of an attempt past the allowance, but does not reset the count', () => {
    now = 0;
    const t = throttle();
    for (let i = 0; i < 2; i++) t.failed(admitted(t, 'u', `a${i}`));
    const probe = admitted(t, 'u', 'owner');
    assert.equal(waitS(t, 'u', 'other'), 1); // held while the probe is decided
    t.succeeded(probe, true);
    assert.equal(waitS(t, 'u', 'other'), 0);
    t.failed(admitted(t, 'u', 'other'));
    assert.equal(waitS(t, 'u', 'other'), 1); // the third failure: past the allowance
    assert.equal(waitS(t, 'u', 'owner'), 0); // where the owner logged in, the user id's wait does not apply
  });

  test('tables stay bounded: stale keys, then the oldest, make room', () => {
    now = 0;
    const t = throttle();
    for (let i = 0; i < 50; i++) t.failed(admitted(t, `user-${i}`, `addr-${i}`));
    // Everything still works, and a recent key is still remembered.
    for (let i = 0; i < POLICY.user.free; i++) t.failed(admitted(t, 'recent', `b${i}`));
    assert.equal(waitS(t, 'recent', 'c'), 0);
    t.failed(admitted(t, 'recent', 'c'));
    assert.equal(waitS(t, 'recent', 'd'), 1);
  });
  test('with the default exemption, loopback addresses are never throttled by address; their user ids still are', () => {
    const t = new Throttle({ ...POLICY, exemptLoopback: true }, () => now);
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      for (let i = 0; i < POLICY.address.free * 3; i++) {
        const attempt = t.admit(`loop-${address}-${i}`, address);
        assert.ok(!(attempt instanceof AppError), `${address} attempt ${i}`);
        t.failed(attempt);
      }
    }
    for (let i = 0; i <= POLICY.user.free; i++) {
      const attempt = t.admit('loop-user', '127.0.0.1');
      assert.ok(!(attempt instanceof AppError));
      t.failed(attempt);
    }
    assert.ok(t.admit('loop-user', '127.0.0.1') instanceof AppError);
    assert.ok(t.admit('someone', '10.0.0.1', false) instanceof AppError === false);
  });
});
