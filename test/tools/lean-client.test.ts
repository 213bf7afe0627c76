import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { NO_RESPONSE } from '../../tools/order-bench/client.js';
import { LeanClient } from '../../tools/order-bench/lean-client.js';
import { ProtocolError, ResponseParser, jsonStringField } from '../../tools/order-bench/lean-response.js';

const ORDER_ID = Buffer.from('"order_id"');

function response(status: string, headers: string[], body: string): Buffer {
  return Buffer.from(`HTTP/1.1 ${status}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n${body}`, 'utf8');
}

/** Feeds `bytes` in pieces cut at `cuts`; returns after which piece the parser said done (-1: never). */
function feed(parser: ResponseParser, bytes: Buffer, cuts: number[]): number {
  const edges = [0, ...cuts, bytes.length];
  for (let i = 0; i + 1 < edges.length; i++) {
    // A reused read buffer in the client: the parser must copy what it keeps across calls
    // (the body of a finished response may be a view of the last packet, read at once).
    const piece = Buffer.from(bytes.subarray(edges[i], edges[i + 1]));
    if (parser.push(piece)) return i;
    piece.fill(0x21);
  }
  return -1;
}

const BODY = '{"message":"ok","order_id":"o-123"}';
const PLAIN = response('200 OK', ['content-type: application/json; charset=utf-8', `Content-Length: ${Buffer.byteLength(BODY)}`], BODY);

describe('lean client: response parser', () => {
  test('a whole response in one packet: status, keep-alive, body', () => {
    const p = new ResponseParser();
    p.reset(true);
    assert.equal(p.push(PLAIN), true);
    assert.equal(p.status, 200);
    assert.equal(p.keepAlive, true);
    assert.equal(p.body?.toString(), BODY);
    assert.equal(jsonStringField(p.body!, ORDER_ID), 'o-123');
  });

  test('split at every byte boundary, the same response comes out', () => {
    for (let cut = 1; cut < PLAIN.length; cut++) {
      const p = new ResponseParser();
      p.reset(true);
      assert.equal(feed(p, PLAIN, [cut]), 1, `cut at ${cut}`);
      assert.equal(p.status, 200);
      assert.equal(p.body?.toString(), BODY, `cut at ${cut}`);
    }
    const p = new ResponseParser();
    p.reset(true);
    assert.equal(feed(p, PLAIN, Array.from({ length: PLAIN.length - 1 }, (_, i) => i + 1)), PLAIN.length - 1);
    assert.equal(p.body?.toString(), BODY);
  });

  test('without keepBody the body is counted, not kept; the parser is reusable', () => {
    const p = new ResponseParser();
    p.reset(false);
    assert.equal(feed(p, PLAIN, [40, 80]), 2);
    assert.equal(p.body, null);
    const again: ResponseParser = p;
    again.reset(true);
    assert.equal(again.push(response('404 Not Found', ['content-length: 2'], '{}')), true);
    assert.equal(again.status, 404);
    assert.equal(again.body?.toString(), '{}');
  });

  test('chunked bodies, with extensions and trailers, split anywhere', () => {
    const chunked = response('200 OK', ['Transfer-Encoding: chunked'], '5;x=y\r\n{"ord\r\n1E\r\ner_id":"o-9","message":"ok"}   \r\n0\r\nx-trailer: 1\r\n\r\n');
    for (let cut = 1; cut < chunked.length; cut++) {
      const p = new ResponseParser();
      p.reset(true);
      assert.equal(feed(p, chunked, [cut]), 1, `cut at ${cut}`);
      assert.equal(jsonStringField(p.body!, ORDER_ID), 'o-9', `cut at ${cut}`);
    }
  });

  test('connection: close, HTTP/1.0 and a body framed by the close', () => {
    const p = new ResponseParser();
    p.reset(false);
    assert.equal(p.push(response('503 Service Unavailable', ['content-length: 3', 'Connection: close'], 'no!')), true);
    assert.equal(p.status, 503);
    assert.equal(p.keepAlive, false);
    p.reset(true);
    assert.equal(p.push(Buffer.from('HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nabc')), false);
    assert.equal(p.push(Buffer.from('def')), false);
    assert.equal(p.end(), true);
    assert.equal(p.keepAlive, false);
    assert.equal(p.body?.toString(), 'abcdef');
  });

  test('204 has no body; bytes after a response mark the connection unusable', () => {
    const p = new ResponseParser();
    p.reset(true);
    assert.equal(p.push(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n')), true);
    assert.equal(p.body?.length, 0);
    p.reset(false);
    assert.equal(p.push(Buffer.concat([PLAIN, Buffer.from('HTTP/1.1 200')])), true);
    assert.equal(p.trailing, true);
    assert.equal(p.keepAlive, false);
  });

  test('garbage is a protocol error', () => {
    const p = new ResponseParser();
    p.reset(false);
    assert.throws(() => p.push(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n')), ProtocolError);
    p.reset(false);
    assert.throws(() => p.push(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 1x\r\n\r\n')), ProtocolError);
  });

  test('jsonStringField: spacing, escapes, the key as a value, absent or not a string', () => {
    const f = (s: string): string | null => jsonStringField(Buffer.from(s), ORDER_ID);
    assert.equal(f('{ "order_id" : "a b" }'), 'a b');
    assert.equal(f('{"order_id":"q\\"x\\u00e9"}'), 'q"xé');
    assert.equal(f('{"message":"order_id","order_id":"z"}'), 'z');
    assert.equal(f('{"message":"ok"}'), null);
    assert.equal(f('{"order_id":12}'), null);
    assert.equal(f('{"order_id":"unterminated'), null);
  });
});

describe('lean client: against a raw socket server', () => {
  let server: Server;
  let url = '';
  const received: string[] = [];
  const sockets = new Set<Socket>();

  before(async () => {
    // Answers in two packets, the second after a pause; closes the connection on /close.
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      let pending = '';
      socket.on('data', (chunk) => {
        pending += chunk.toString('utf8');
        const headEnd = pending.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(pending.slice(0, headEnd))?.[1] ?? 0);
        if (Buffer.byteLength(pending) < headEnd + 4 + length) return;
        received.push(pending);
        const close = pending.startsWith('POST /api/close ');
        pending = '';
        const body = `{"message":"ok","order_id":"n${received.length}"}`;
        const bytes = response('200 OK', [`content-length: ${body.length}`, ...(close ? ['connection: close'] : [])], body);
        socket.write(bytes.subarray(0, 30));
        setTimeout(() => {
          socket.write(bytes.subarray(30));
          if (close) socket.end();
        }, 5);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api`;
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  test('keep-alive requests carry the headers and body, and read the field', async () => {
    const client = new LeanClient(url, 2, 5000);
    const headers = { 'content-type': 'application/json', token: 'tok' };
    const [status, id] = await client.postForField(client.path('/buyer/new_order'), '{"x":"é"}', headers, 'order_id');
    assert.equal(status, 200);
    assert.match(id, /^n\d+$/);
    assert.equal(await client.postStatus(client.path('/buyer/payment'), '{}', headers), 200);
    const last = received.at(-1)!;
    assert.match(last, /^POST \/api\/buyer\/payment HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+\r\ncontent-type: application\/json\r\ntoken: tok\r\ncontent-length: 2\r\n\r\n\{\}$/);
    assert.match(received.at(-2)!, /content-length: 10\r\n\r\n\{"x":"é"\}$/);
    // More requests than connections queue for one.
    const many = await Promise.all(Array.from({ length: 6 }, () => client.postStatus(client.path('/x'), '{}', headers)));
    assert.deepEqual(many, [200, 200, 200, 200, 200, 200]);
    // A server that closes after its reply: the reply counts, the next request opens a new connection.
    assert.equal(await client.postStatus(client.path('/close'), '{}', headers), 200);
    assert.equal(await client.postStatus(client.path('/x'), '{}', headers), 200);
    assert.equal(client.transportErrors.size, 0);
    await client.close();
  });

  test('a refused connection is NO_RESPONSE, tallied by code', async () => {
    const client = new LeanClient('http://127.0.0.1:1', 1, 5000);
    assert.equal(await client.postStatus('/x', '{}', {}), NO_RESPONSE);
    assert.equal(client.transportErrors.get('ECONNREFUSED'), 1);
    await client.close();
  });
});
