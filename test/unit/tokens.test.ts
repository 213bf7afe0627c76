import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TokenSigner, type TokenClaims } from '../../src/security/tokens.js';

const SECRET = Buffer.alloc(32, 1);
const claims = (exp: number): TokenClaims => ({ sub: 'alice', trm: 'laptop', jti: '00000000-0000-4000-8000-000000000000', iat: 1, exp });

describe('login tokens', () => {
  const signer = new TokenSigner(SECRET);
  const now = 1_000_000_000_000;

  test('a signed token verifies to its claims until it expires', () => {
    const token = signer.sign(claims(now / 1000 + 60));
    assert.deepEqual(signer.verify(token, now), { claims: claims(now / 1000 + 60) });
    assert.deepEqual(signer.verify(token, now + 60_000), { refused: 'expired' });
  });

  test('a token signed with another secret, or altered, is not ours', () => {
    const other = new TokenSigner(Buffer.alloc(32, 2)).sign(claims(now / 1000 + 60));
    assert.deepEqual(signer.verify(other, now), { refused: 'not ours' });
    const token = signer.sign(claims(now / 1000 + 60));
    const [h, p, s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims(now / 1000 + 60), sub: 'mallory' })).toString('base64url');
    assert.deepEqual(signer.verify(`${h}.${forged}.${s}`, now), { refused: 'not ours' });
    assert.deepEqual(signer.verify(`${h}.${p}.${s!.slice(1)}`, now), { refused: 'not ours' });
  });

  test('anything that is not a token of ours in shape is malformed', () => {
    for (const junk of ['', 'abc', 'a.b', 'a.b.c', 'x.y.z.w']) assert.deepEqual(signer.verify(junk, now), { refused: 'malformed' }, junk);
  });

  test('a token carries no secret: its payload is only the session it names', () => {
    const payload = JSON.parse(Buffer.from(signer.sign(claims(9e9)).split('.')[1]!, 'base64url').toString());
    assert.deepEqual(Object.keys(payload).sort(), ['exp', 'iat', 'jti', 'sub', 'trm']);
  });
});
