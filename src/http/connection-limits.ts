import type { Server } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { Limits } from '../config.js';

/**
 * What one client can hold of the HTTP server: a request head or a whole request that arrives
 * too slowly is answered 408 and its connection closed (slowloris), an idle keep-alive
 * connection is closed, and connections beyond the cap are closed as they arrive.
 */
export function applyHttpLimits(server: Server, limits: Limits, log: FastifyBaseLogger): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  // A socket that neither sends nor reads for this long (a client that stopped reading its answer) is closed.
  server.timeout = limits.requestTimeoutMs;
  // Node enforces the two timeouts above only when it sweeps its connections, every 30 s by
  // default: a 10 s limit could hold a connection for 40 s. Sweep often enough to keep them.
  // (A createServer option, which Node reads when the server starts listening; Fastify made the server.)
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(
    1000,
    Math.ceil(limits.headersTimeoutMs / 4),
  );
  let lastWarning = 0;
  server.on('drop', () => {
    if (Date.now() - lastWarning < 10_000) return; // one line per 10 s, not one per refused connection
    lastWarning = Date.now();
    log.warn({ maxConnections: limits.maxConnections }, 'connection limit reached: closing new connections');
  });
}
