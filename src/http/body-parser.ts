import type { FastifyInstance } from 'fastify';

/** Every endpoint's body limit (API.md, "Protocol rules"): 64 KiB… */
export const BODY_LIMIT = 64 * 1024;
/** …except add_book's, which carries a book's content and its pictures. */
export const ADD_BOOK_BODY_LIMIT = 32 * 1024 * 1024;

/**
 * Request bodies are JSON whatever their Content-Type says: clients send it without the header,
 * as text/plain (fetch's default for a string body), or with a header Fastify would refuse with
 * 415 ("application/json, text/plain"). Every body therefore goes through Fastify's own JSON
 * parser, with its prototype-poisoning guard (`__proto__` and `constructor.prototype` are
 * refused), and within the route's `bodyLimit`, checked before a byte is parsed.
 */
export function registerBodyParser(server: FastifyInstance): void {
  // Fastify answers an unparseable media type with 415 before any parser runs: present the
  // header as JSON, so the only outcomes are a parsed body or a 400.
  server.addHook('onRequest', async (request) => {
    if (request.raw.headers['content-type'] !== undefined) request.raw.headers['content-type'] = 'application/json';
  });
  server.removeAllContentTypeParsers();
  // '*' also serves a body sent without any Content-Type.
  server.addContentTypeParser('*', { parseAs: 'string' }, server.getDefaultJsonParser('error', 'error'));
}
