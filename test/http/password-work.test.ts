import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { uid } from '../helpers/client.js';
import { postFrom, type HeadedReply } from '../helpers/from-address.js';
import { failedStart } from '../helpers/process.js';
import { DB_KIND, serverFor } from '../helpers/server.js';

const LOCAL = '127.0.0.1';

/** One hash at a time and two waiting: a burst of first logins must overflow it. */
const SMALL_GATE = { hashConcurrency: 1, hashQueue: 2, scryptLogN: 14 } as const;

function assertOverloaded(reply: HeadedReply): void {
  assert.equal(reply.status, 503);
  assert.match(reply.body.message, /try again/);
  assert.ok(reply.retryAfter !== undefined && Number(reply.retryAfter) >= 1, `Retry-After: ${reply.retryAfter}`);
}

describe(`bounded password work (${DB_KIND})`, () => {
  test('logins beyond the hashing queue are refused with 503 and Retry-After; once it drains they succeed', async (t) => {
    const server = await serverFor(t, SMALL_GATE);
    const userId = uid('burst');
    assert.equal((await postFrom(LOCAL, server.url, '/auth/register', { user_id: userId, password: 'pw' })).status, 200);

    // The same correct password on 12 terminals at once: none is remembered yet, each needs a hash.
    const replies = await Promise.all(
      Array.from({ length: 12 }, (_, i) => postFrom(LOCAL, server.url, '/auth/login', { user_id: userId, password: 'pw', terminal: `t${i}` })),
    );
    const ok = replies.filter((r) => r.status === 200).length;
    const overloaded = replies.filter((r) => r.status === 503);
    assert.equal(ok + overloaded.length, 12, JSON.stringify(replies.map((r) => r.status)));
    assert.ok(ok >= 1 && overloaded.length >= 1, `200s: ${ok}, 503s: ${overloaded.length}`);
    overloaded.forEach(assertOverloaded);

    const retry = await postFrom(LOCAL, server.url, '/auth/login', { user_id: userId, password: 'pw', terminal: 't-retry' });
    assert.equal(retry.status, 200);

    // The password checks of the buyer endpoints share the gate: wrong passwords are never
    // remembered, so each one is a hash.
    const checks = await Promise.all(
      Array.from({ length: 12 }, (_, i) => postFrom(LOCAL, server.url, '/buyer/add_funds', { user_id: userId, password: `wrong-${i}`, add_value: 1 })),
    );
    assert.ok(checks.every((r) => r.status === 401 || r.status === 503), JSON.stringify(checks.map((r) => r.status)));
    assert.ok(checks.some((r) => r.status === 503), JSON.stringify(checks.map((r) => r.status)));
    checks.filter((r) => r.status === 503).forEach(assertOverloaded);
    // A remembered correct password needs no hash: it is never refused for load.
    const remembered = await Promise.all(
      Array.from({ length: 12 }, () => postFrom(LOCAL, server.url, '/buyer/add_funds', { user_id: userId, password: 'pw', add_value: 1 })),
    );
    assert.deepEqual(new Set(remembered.map((r) => r.status)), new Set([200]));
  });

  test('registering and changing passwords go through the same gate; a refused one changed nothing', async (t) => {
    const server = await serverFor(t, SMALL_GATE);
    const ids = Array.from({ length: 12 }, () => uid('reg'));
    const replies = await Promise.all(ids.map((id) => postFrom(LOCAL, server.url, '/auth/register', { user_id: id, password: 'pw' })));
    const refused = ids.filter((_, i) => replies[i]!.status === 503);
    assert.ok(refused.length >= 1, JSON.stringify(replies.map((r) => r.status)));
    replies.filter((r) => r.status !== 200).forEach(assertOverloaded);
    // A refused registration made no user: registering again succeeds (not 512).
    for (const id of refused) assert.equal((await postFrom(LOCAL, server.url, '/auth/register', { user_id: id, password: 'pw' })).status, 200);

    // Password changes of all of them at once: each is a check and a new hash.
    const changes = await Promise.all(
      ids.map((id) => postFrom(LOCAL, server.url, '/auth/password', { user_id: id, oldPassword: 'pw', newPassword: 'pw2' })),
    );
    assert.ok(changes.some((r) => r.status === 503), JSON.stringify(changes.map((r) => r.status)));
    changes.filter((r) => r.status !== 200).forEach(assertOverloaded);
    // Whoever was refused still has the old password.
    for (const [i, id] of ids.entries()) {
      const password = changes[i]!.status === 200 ? 'pw2' : 'pw';
      assert.equal((await postFrom(LOCAL, server.url, '/auth/login', { user_id: id, password, terminal: 't' })).status, 200, id);
    }
  });

  test('BOOKSTORE_SCRYPT_LOG_N outside 10..17 stops the start with a message giving the range', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bookstore-scrypt-'));
    try {
      for (const value of ['18', '9']) {
        const { code, output } = await failedStart(dataDir, { BOOKSTORE_SCRYPT_LOG_N: value });
        assert.equal(code, 2, output);
        assert.match(output, new RegExp(`configuration error: BOOKSTORE_SCRYPT_LOG_N must be a whole number between 10 and 17 .*got \"${value}\"`));
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
