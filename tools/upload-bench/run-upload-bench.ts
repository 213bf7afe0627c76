import { randomFillSync } from 'node:crypto';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { ADD_BOOK_BODY_LIMIT } from '../../src/http/body-parser.js';
import { MAX_CONTENT_CHARS, MAX_INTRO_CHARS, MAX_SHORT_TEXT_CHARS } from '../../src/schemas/common.js';
import { MAX_PICTURE_CHARS, MAX_PICTURES, MAX_TAG_CHARS, MAX_TAGS } from '../../src/schemas/seller.js';

const HELP = `Usage: npm run bench:upload -- [--url URL] [--rounds N]

Against a running server: sends the largest add_book the API allows (32 MiB: every field at its
cap, 16 random pictures sharing the rest) N times, one after another, while a separate thread
probes GET /healthz every 10 ms; prints each upload's time and the probes' latencies during it.
The prober has an event loop of its own: the uploader's work does not delay its probes.

  --url URL      the server; default http://127.0.0.1:5000
  --rounds N     uploads; default 3
`;

interface ProbeReport {
  count: number;
  median: number;
  p99: number;
  worst: number;
}

/** The prober thread: probes until told to stop, then reports. */
async function probe(url: string): Promise<void> {
  let stop = false;
  parentPort!.on('message', () => (stop = true));
  await (await fetch(`${url}/healthz`)).arrayBuffer(); // the first fetch loads the HTTP client: not counted
  parentPort!.postMessage('ready');
  const times: number[] = [];
  while (!stop) {
    const started = performance.now();
    const res = await fetch(`${url}/healthz`);
    await res.arrayBuffer();
    times.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(times.length * q))] ?? NaN;
  parentPort!.postMessage({ count: times.length, median: at(0.5), p99: at(0.99), worst: times[times.length - 1] ?? NaN } satisfies ProbeReport);
}

async function post(url: string, path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { token } : {}) }, body: JSON.stringify(body) });
  const reply = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(reply)}`);
  return reply;
}

/** The largest add_book body: text fields at their caps (CJK, the tokenizer's worst), random pictures. */
function largestBody(userId: string, storeId: string, bookId: string): Buffer {
  const cjk = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7919) % 20_000))).join('');
  const book: Record<string, unknown> = { id: bookId, price: 1, pages: 1, content: cjk(MAX_CONTENT_CHARS), author_intro: cjk(MAX_INTRO_CHARS), book_intro: cjk(MAX_INTRO_CHARS) };
  for (const f of ['title', 'author', 'publisher', 'original_title', 'translator', 'pub_year', 'currency_unit', 'binding', 'isbn']) book[f] = '书'.repeat(MAX_SHORT_TEXT_CHARS);
  book.tags = Array.from({ length: MAX_TAGS }, (_, i) => `${i}`.padEnd(MAX_TAG_CHARS, '签'));
  const body = { user_id: userId, store_id: storeId, book_info: book, stock_level: 1 };
  const room = ADD_BOOK_BODY_LIMIT - Buffer.byteLength(JSON.stringify(body)) - MAX_PICTURES * 3 - 16;
  const chars = Math.min(MAX_PICTURE_CHARS, Math.floor(room / MAX_PICTURES / 4) * 4);
  book.pictures = Array.from({ length: MAX_PICTURES }, () => randomFillSync(Buffer.alloc((chars / 4) * 3)).toString('base64'));
  return Buffer.from(JSON.stringify(body));
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { url: { type: 'string', default: 'http://127.0.0.1:5000' }, rounds: { type: 'string', default: '3' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const url = values.url.replace(/\/$/, '');
  const userId = `upload-bench-${Date.now()}`;
  await post(url, '/auth/register', { user_id: userId, password: 'upload-bench' });
  const { token } = (await post(url, '/auth/login', { user_id: userId, password: 'upload-bench', terminal: 'upload-bench' })) as { token: string };
  await post(url, '/seller/create_store', { user_id: userId, store_id: userId }, token);
  process.stdout.write('round | body MiB | status | upload ms | /healthz probes | median ms | p99 ms | worst ms\n');
  for (let round = 1; round <= Number(values.rounds); round++) {
    const body = largestBody(userId, userId, `book-${round}`);
    const blob = new Blob([new Uint8Array(body)]);
    const prober = new Worker(new URL(import.meta.url), { workerData: { url } });
    await new Promise((resolve) => prober.once('message', resolve)); // ready
    const started = performance.now();
    const res = await fetch(`${url}/seller/add_book`, { method: 'POST', headers: { 'content-type': 'application/json', token }, body: blob });
    await res.arrayBuffer();
    const took = performance.now() - started;
    const report = await new Promise<ProbeReport>((resolve) => {
      prober.once('message', resolve);
      prober.postMessage('stop');
    });
    await prober.terminate();
    const f = (n: number) => n.toFixed(1);
    process.stdout.write(`${round} | ${(body.length / 1024 / 1024).toFixed(1)} | ${res.status} | ${took.toFixed(0)} | ${report.count} | ${f(report.median)} | ${f(report.p99)} | ${f(report.worst)}\n`);
  }
  return 0;
}

if (isMainThread) {
  main().then(
    (code) => (process.exitCode = code),
    (err: Error) => {
      process.stderr.write(`upload bench: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
} else {
  await probe((workerData as { url: string }).url);
}
