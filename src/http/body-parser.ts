import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import { parseOffThread } from './off-thread-body.js';

/** Every endpoint's body limit (API.md, "Protocol rules"): 64 KiB… */
export const BODY_LIMIT = 64 * 1024;
/** …except add_book's, which carries a book's content and its pictures. */
export const ADD_BOOK_BODY_LIMIT = 32 * 1024 * 1024;

type Done = (err: Error | null, body?: unknown) => void;

/**
 * Request bodies are JSON whatever their Content-Type says: clients send it without the header,
 * as text/plain (fetch's default for a string body), or with a header Fastify would refuse with
 * 415 ("application/json, text/plain"). Every body therefore goes through Fastify's own JSON
 * parser, with its prototype-poisoning guard (`__proto__` and `constructor.prototype` are
 * refused), and within the route's `bodyLimit`, checked before a byte is parsed. A route with
 * `config.offThreadBody` has its body parsed and validated on a worker thread instead.
 */
export function registerBodyParser(server: FastifyInstance): void {
  // Fastify answers an unparseable media type with 415 before any parser runs: present the
  // header as JSON, so the only outcomes are a parsed body or a 400.
  server.addHook('onRequest', async (request) => {
    if (request.raw.headers['content-type'] !== undefined) request.raw.headers['content-type'] = 'application/json';
  });
  server.removeAllContentTypeParsers();
  const parseJson = server.getDefaultJsonParser('error', 'error');
  // '*' also serves a body sent without any Content-Type.
  server.addContentTypeParser('*', (request, payload, done) => {
    const sink = request.routeOptions.config.offThreadBody
      ? bytesSink(request, (bytes) => parseOffThread(request, bytes, done))
      : textSink((text) => parseJson(request, text, done));
    readBody(request, payload, sink, done);
  });
}

/**
 * Reads the body chunk by chunk as it arrives, handing each to `sink`; past the route's limit
 * (declared, or counted as it streams) it is refused unread: 413.
 */
function readBody(request: FastifyRequest, payload: IncomingMessage, sink: BodySink, done: Done): void {
  const limit = request.routeOptions.bodyLimit ?? BODY_LIMIT;
  const declared = Number(request.headers['content-length']);
  if (declared > limit) return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
  let received = 0;
  const stop = () => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onEnd);
  };
  function onData(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    received += bytes.length;
    if (received > limit) {
      stop();
      done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      return;
    }
    sink.write(bytes);
  }
  function onEnd(err?: Error & { statusCode?: number }): void {
    stop();
    if (err) {
      // A broken upload is the client's failure, as Fastify's own reader says.
      if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
      return done(err);
    }
    if (!Number.isNaN(declared) && received !== declared) return done(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
    sink.end();
  }
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onEnd);
}

interface BodySink {
  write(chunk: Buffer): void;
  end(): void;
}

/**
 * The body as text, decoded chunk by chunk: a large body is not copied and decoded in one go once
 * complete, which would hold the event loop for every other request.
 */
function textSink(done: (text: string) => void): BodySink {
  const decoder = new StringDecoder('utf8');
  const parts: string[] = [];
  return {
    write: (chunk) => parts.push(decoder.write(chunk)),
    end: () => {
      parts.push(decoder.end());
      done(parts.join(''));
    },
  };
}

/**
 * The body's bytes, copied as they arrive into memory of their own (sized by Content-Length when
 * given), which can then be transferred to a worker thread without another copy.
 */
function bytesSink(request: FastifyRequest, done: (bytes: Uint8Array) => void): BodySink {
  const declared = Number(request.headers['content-length']);
  let store = new Uint8Array(Number.isInteger(declared) && declared >= 0 ? declared : 64 * 1024);
  let length = 0;
  return {
    write: (chunk) => {
      if (length + chunk.length > store.length) {
        const grown = new Uint8Array(Math.max(store.length * 2, length + chunk.length));
        grown.set(store.subarray(0, length));
        store = grown;
      }
      store.set(chunk, length);
      length += chunk.length;
    },
    end: () => done(length === store.length ? store : store.slice(0, length)),
  };
}
