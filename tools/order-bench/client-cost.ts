import { fork } from 'node:child_process';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { HttpClient, JSON_HEADERS, type OrderTransport } from './client.js';
import { LeanClient } from './lean-client.js';

/**
 * The instrument alone: CPU per order (new_order + payment, bodies as the workload sends them)
 * of each HTTP client against a stub in another process, so that the server's CPU does not enter
 * the figure. The stub answers at once, or after a delay: a real server's latency makes replies
 * arrive one by one, each with its own wake-up, which costs more per order than a busy loop.
 *   node build/tools/order-bench/client-cost.js [orders per round, 20000] [rounds, 3] [reply delay ms, 0]
 */
const NEW_ORDER_REPLY = '{"message":"ok","order_id":"bench-1234abcd-00000000-0000-0000-0000-000000000000"}';
const PAYMENT_REPLY = '{"message":"ok"}';

function stub(delayMs: number): void {
  // Answers every request head+body with a canned reply; enough HTTP for both clients.
  const server = createServer((socket) => {
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        const headEnd = pending.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        const head = pending.toString('latin1', 0, headEnd);
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (pending.length < headEnd + 4 + length) return;
        pending = pending.subarray(headEnd + 4 + length);
        const body = head.includes('/new_order') ? NEW_ORDER_REPLY : PAYMENT_REPLY;
        const reply = `HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${body.length}\r\n` +
          `date: ${new Date().toUTCString()}\r\nconnection: keep-alive\r\nkeep-alive: timeout=5\r\n\r\n${body}`;
        if (delayMs > 0) setTimeout(() => socket.write(reply), delayMs);
        else socket.write(reply);
      }
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.(typeof address === 'object' && address ? address.port : 0);
  });
}

async function measure(client: OrderTransport, orders: number, concurrency: number): Promise<{ cpuMs: number; sysMs: number; wallMs: number }> {
  const headers = { ...JSON_HEADERS, token: 'x'.repeat(180) }; // a login token's length
  const newOrder = client.path('/buyer/new_order');
  const payment = client.path('/buyer/payment');
  let left = orders;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, c) => {
    while (left-- > 0) {
      const body = `{"user_id":"bench-1234abcd-buyer-${c}","store_id":"bench-1234abcd-store-1","books":[{"id":"b-1","count":${left % 10}},{"id":"b-2","count":3}]}`;
      const [status, id] = await client.postForField(newOrder, body, headers, 'order_id');
      if (status !== 200 || id === '') throw new Error(`new_order answered ${status}`);
      const paid = await client.postStatus(payment, `{"user_id":"bench-1234abcd-buyer-${c}","order_id":${JSON.stringify(id)},"password":"pw"}`, JSON_HEADERS);
      if (paid !== 200) throw new Error(`payment answered ${paid}`);
    }
  }));
  const cpu = process.cpuUsage(cpu0);
  return { cpuMs: (cpu.user + cpu.system) / 1000, sysMs: cpu.system / 1000, wallMs: performance.now() - t0 };
}

async function main(): Promise<void> {
  const orders = Number(process.argv[2] ?? 20000);
  const rounds = Number(process.argv[3] ?? 3);
  const delayMs = Number(process.argv[4] ?? 0);
  const child = fork(fileURLToPath(import.meta.url), ['--stub', String(delayMs)], { stdio: 'inherit' });
  const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve(Number(m))));
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const kind of ['undici', 'lean'] as const) {
        const client: OrderTransport = kind === 'lean' ? new LeanClient(url, 8, 30_000) : new HttpClient(url, 8, 30_000);
        await measure(client, Math.min(2000, orders), 8); // warm-up: V8 optimises the client first
        const { cpuMs, sysMs, wallMs } = await measure(client, orders, 8);
        await client.close();
        console.log(`${kind.padEnd(6)} round ${round}: ${(cpuMs / orders).toFixed(3)} ms CPU per order, of which kernel ${(sysMs / orders).toFixed(3)} ` +
          `(${orders} orders in ${(wallMs / 1000).toFixed(1)} s, replies after ${delayMs} ms)`);
      }
    }
  } finally {
    child.kill();
  }
}

if (process.argv[2] === '--stub') stub(Number(process.argv[3] ?? 0));
else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
