import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hashPassword, PasswordVerifier, verifyPasswordHash } from '../../src/security/passwords.js';

describe('passwords', () => {
  test('scrypt hashes carry their parameters and a salt: the same password hashes differently each time', async () => {
    const a = await hashPassword('pw', 10);
    const b = await hashPassword('pw', 10);
    assert.match(a, /^scrypt\$10\$8\$1\$[\w-]+\$[\w-]+$/);
    assert.notEqual(a, b);
    assert.equal(await verifyPasswordHash('pw', a), true);
    assert.equal(await verifyPasswordHash('pw2', a), false);
    assert.equal(await verifyPasswordHash('pw', 'not-a-hash'), false);
  });

  test('a verified password is remembered with its hash, for a while; a wrong one never is', async () => {
    let now = 0;
    const verifier = new PasswordVerifier(Buffer.alloc(32, 3), () => now, 1000);
    const hash = await hashPassword('right', 10);
    assert.equal(await verifier.verify('alice', 'wrong', hash), false);
    assert.equal(verifier.recall('alice', 'wrong'), undefined);
    assert.equal(await verifier.verify('alice', 'right', hash), true);
    assert.equal(verifier.recall('alice', 'right'), hash);
    assert.equal(verifier.recall('bob', 'right'), undefined, 'keyed by user and password');
    now = 1000;
    assert.equal(verifier.recall('alice', 'right'), undefined, 'forgotten after its time');
    await verifier.verify('alice', 'right', hash);
    verifier.forget('alice', 'right');
    assert.equal(verifier.recall('alice', 'right'), undefined);
  });
});
