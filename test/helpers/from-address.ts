import http from 'node:http';
import { checkConventions } from './core-api.js';

export interface HeadedReply {
  status: number;
  body: Record<string, any>;
  /** The Retry-After header, when there is one. */
  retryAfter: string | undefined;
}

/**
 * POSTs JSON as the contract's client does, from a chosen local address (any of 127.0.0.0/8 reaches
 * a server on 127.0.0.1), so tests can act as several clients; answers with the headers tests need.
 */
export function postFrom(localAddress: string, url: string, path: string, body: unknown, token?: string): Promise<HeadedReply> {
  const payload = JSON.stringify(body);
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
  if (token !== undefined) headers.token = token;
  return new Promise((resolve, reject) => {
    const req = http.request(url + path, { method: 'POST', headers, localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        try {
          const reply = { status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, any> };
          checkConventions(path, reply);
          const retryAfter = res.headers['retry-after'];
          resolve({ ...reply, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter });
        } catch (err) {
          reject(err as Error);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}
