import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { before, describe, test } from 'node:test';
import { MAX_CONTENT_CHARS } from '../../src/schemas/common.js';
import { newStore, uid, type Reply } from '../helpers/client.js';
import { expectCode, type Shop } from '../helpers/core-api.js';
import { DB_KIND, useServer } from '../helpers/server.js';

/**
 * add_book's body is read, parsed and validated on a worker thread (http/off-thread-body.ts), its
 * pictures decoded there: to a client it must be the same endpoint as every other, byte for byte.
 */
describe(`add_book's body, parsed off the event loop (${DB_KIND})`, () => {
  const { server, api } = useServer();
  let shop: Shop;
  before(async () => {
    shop = await newStore(api, []);
  });

  /** POSTs raw text: with Content-Length, or chunked in `pieces` parts (no length known up front). */
  function post(text: string, { pieces = 1, key }: { pieces?: number; key?: string } = {}): Promise<Reply & { replayed: boolean }> {
    return new Promise((resolve, reject) => {
      const bytes = Buffer.from(text);
      const headers: Record<string, string | number> = { 'content-type': 'application/json', token: shop.seller.token };
      if (pieces === 1) headers['content-length'] = bytes.length;
      if (key !== undefined) headers['idempotency-key'] = key;
      const req = http.request(`${server.url}/seller/add_book`, { method: 'POST', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()), replayed: res.headers['idempotent-replayed'] === 'true' }),
        );
      });
      req.on('error', reject);
      const size = Math.ceil(bytes.length / pieces);
      for (let at = 0; at < bytes.length; at += size) req.write(bytes.subarray(at, at + size));
      req.end();
    });
  }
  const body = (book: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ user_id: shop.seller.userId, store_id: shop.storeId, book_info: book, stock_level: 3, ...extra });
  const stored = async (bookId: string) =>
    (await server.db.query<{ data: Buffer }>('SELECT data FROM book_pictures WHERE store_id = $1 AND book_id = $2 ORDER BY position', [shop.storeId, bookId])).rows.map(
      (r) => Buffer.from(r.data),
    );
  const listed = async (bookId: string) =>
    (await server.db.query('SELECT 1 FROM listings WHERE store_id = $1 AND book_id = $2', [shop.storeId, bookId])).rows.length === 1;

  test('pictures are stored as the bytes their base64 spells, small and large, sent in one piece or in many', async () => {
    const pictures = [randomBytes(10), randomBytes(300_000), Buffer.alloc(0)];
    for (const pieces of [1, 7]) {
      const id = uid(`pics${pieces}`);
      expectCode(await post(body({ id, title: 'Pictures', pictures: pictures.map((p) => p.toString('base64')) }), { pieces }), 200);
      assert.deepEqual(await stored(id), pictures);
      assert.ok(await listed(id));
    }
  });

  test('fields the schema does not know are ignored, as on every endpoint', async () => {
    const id = uid('extra');
    expectCode(await post(body({ id, title: 'Extra', colour: 'red' }, { note: 'x'.repeat(100_000) })), 200);
    assert.ok(await listed(id));
  });

  test('a bad body gets the 400 any endpoint gives, naming the field, and lists nothing', async () => {
    const id = uid('bad');
    const cases: [string, string, RegExp][] = [
      ['not JSON', '{"user_id": ', /^body/],
      ['an empty body', '', /^body/],
      ['a JSON string', '"just text"', /^body/],
      ['prototype poisoning', `{"__proto__": {"admin": true}, "user_id": "${shop.seller.userId}"}`, /^body/],
      ['a picture that is not base64', body({ id, pictures: ['not base64!'] }), /pictures/],
      ['content past its cap', body({ id, content: 'x'.repeat(MAX_CONTENT_CHARS + 1) }), /content/],
      ['no book id', body({ title: 'Nameless' }), /id/],
    ];
    for (const [what, text, message] of cases) {
      const reply = expectCode(await post(text), 400, what);
      assert.match(reply.body.message, message, what);
    }
    assert.equal(await listed(id), false);
  });

  test('an Idempotency-Key repeat is recognised by the body: the same body replays, another is refused', async () => {
    const id = uid('idem');
    const key = randomUUID();
    const text = body({ id, title: 'Once', pictures: [randomBytes(1000).toString('base64')] });
    const first = expectCode(await post(text, { key }), 200);
    const again = expectCode(await post(text, { key, pieces: 3 }), 200);
    assert.deepEqual([first.replayed, again.replayed], [false, true]);
    expectCode(await post(body({ id: uid('idem2'), title: 'Another' }), { key }), 422, 'another body under the same key');
    assert.equal((await stored(id)).length, 1);
  });
});
