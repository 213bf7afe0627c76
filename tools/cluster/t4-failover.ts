import { Api, freshStatus, mapLimit, type Account } from './api.js';
import type { ServerProc } from './cluster.js';
import type { Context, TestResult } from './context.js';
import { sleep, waitFor } from './exec.js';

const CLIENTS = 12;
const DURATION_S = 12;
const FAULT_AT_S = 4;
const STOCK = 1_000_000;
const FUNDS = 1_000_000_000;
const BOOKS_PER_STORE = 20;
/** Statuses a client retries (same Idempotency-Key, same body): the request may or may not have run. */
const RETRYABLE = new Set([0, 500, 502, 503, 504, 409]);
const MAX_ATTEMPTS = 40;
/** Every REPLAY_EVERY-th acknowledged request is deliberately sent again with its key. */
const REPLAY_EVERY = 4;

interface Sent {
  statuses: number[];
  status: number;
  body: Record<string, unknown>;
}

interface Line {
  id: string;
  count: number;
  price: number;
}

interface Round {
  signal: 'SIGKILL' | 'SIGTERM';
  requests: number;
  /** Logical requests that needed more than one attempt. */
  retried: number;
  /** Logical requests whose first attempt did not answer 200. */
  failedFirst: number;
  failedStatuses: Map<string, number>;
  /** Logical requests that never got a definitive answer. */
  unresolved: number;
  acked: Map<string, { buyer: number; store: number; lines: Line[]; total: number; paid: boolean }>;
  replays: number;
  replayMismatches: string[];
  paymentRetryMismatches: number;
  probe422: number | null;
  victim: string;
  downForS: number;
  /** HAProxy's counters for the victim over the round: retries, redispatches, response errors. */
  haproxy: string;
  /** SIGTERM only: what the draining process did. */
  drain: { readyz: number; servedAfter1s: number; exitAfterS: number } | null;
}

/**
 * T4 failover. CLIENTS clients (one buyer each) place and pay orders through HAProxy; every
 * write carries an Idempotency-Key, and a request that got no definitive answer (no response,
 * 502/503/504, 409 in progress) is sent again with the same key and body until it gets one.
 * A quarter of the acknowledged requests are also replayed on purpose: the replay must return
 * the same result (the same order_id; a payment's 200, not 518).
 *
 * Round 1: FAULT_AT_S into the run one api process is SIGKILLed and started again. Round 2:
 * another gets SIGTERM (it must drain: /readyz 503 at once, serve on meanwhile), and then is
 * started again; no client request may fail at all in this round.
 * After each round, on the primary: every acknowledged order exists with the state the client
 * was told; no order exists that no client was acknowledged (a duplicate from a retry); each
 * buyer's balance and each book's stock equal what the acknowledged answers imply.
 */
export async function t4Failover(ctx: Context): Promise<TestResult> {
  const { cluster } = ctx;
  if (!cluster.apis.every((a) => a.alive)) await cluster.startAll(ctx.base);
  const details: string[] = [];
  const verdicts: boolean[] = [];
  const summaries: string[] = [];
  for (const [signal, victim] of [['SIGKILL', cluster.apis[1]!], ['SIGTERM', cluster.apis[2]!]] as const) {
    const { round, checks } = await runRound(ctx, signal, victim);
    const ok = checks.every((c) => c.ok) && (signal === 'SIGKILL' || round.failedFirst === 0);
    verdicts.push(ok);
    const failed = [...round.failedStatuses.entries()].map(([s, n]) => `${n}× ${s}`).join(', ') || 'none';
    summaries.push(`${signal}: ${round.retried} retried, ${round.failedFirst} failed first attempts` +
      (signal === 'SIGTERM' ? ` (must be 0)` : '') + `, ${checks.filter((c) => !c.ok).length} check(s) failed`);
    details.push(`round ${signal} of ${round.victim} at ${FAULT_AT_S} s of ${DURATION_S} s: ${round.requests} requests from ${CLIENTS} clients, ` +
      `${round.retried} needed a retry, first attempts failed: ${failed}; ${round.unresolved} never resolved; ` +
      `${round.victim} back in service after ${round.downForS.toFixed(1)} s`);
    details.push(`  ${round.haproxy}`);
    for (const c of checks) details.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    if (signal === 'SIGTERM' && round.failedFirst > 0) {
      details.push(`  FAIL zero failed requests under SIGTERM: ${round.failedFirst} requests failed (${failed})`);
    }
  }
  return { id: 'T4', name: 'failover', pass: verdicts.every(Boolean), summary: summaries.join('; '), details };
}

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

async function runRound(ctx: Context, signal: 'SIGKILL' | 'SIGTERM', victim: ServerProc): Promise<{ round: Round; checks: Check[] }> {
  const { cluster, log, runId } = ctx;
  const api = new Api(cluster.lb.url, CLIENTS + 4, 10_000);
  try {
    const tag = `t4${signal === 'SIGKILL' ? 'k' : 't'}${runId}${Date.now().toString(36)}`;
    const seller = await api.account(`${tag}-seller`);
    const stores = [`${tag}-s0`, `${tag}-s1`];
    const books = Array.from({ length: BOOKS_PER_STORE }, (_, i) => ({ id: `b${i}`, price: 100 + 7 * i }));
    for (const s of stores) await api.store(seller, s, books, STOCK);
    const buyers: Account[] = await mapLimit(Array.from({ length: CLIENTS }, (_, i) => i), 6, async (i) => {
      const b = await api.account(`${tag}-buyer${i}`);
      await api.ok('/buyer/add_funds', { user_id: b.id, password: b.password, add_value: FUNDS });
      return b;
    });

    const round: Round = {
      signal, requests: 0, retried: 0, failedFirst: 0, failedStatuses: new Map(), unresolved: 0, acked: new Map(),
      replays: 0, replayMismatches: [], paymentRetryMismatches: 0, probe422: null, victim: victim.name, downForS: 0,
      haproxy: '', drain: null,
    };

    /**
     * One logical request: retried with the same key and body until it gets a definitive answer.
     * Deliberate replays and probes pass `counted` false: they are not the clients' traffic.
     */
    const send = async (path: string, body: unknown, headers: Record<string, string>, counted = true): Promise<Sent> => {
      const statuses: number[] = [];
      for (let attempt = 1; ; attempt++) {
        const r = await api.post(path, body, headers);
        statuses.push(r.status);
        if (!RETRYABLE.has(r.status) || attempt >= MAX_ATTEMPTS) {
          if (!counted) return { statuses, status: r.status, body: r.body };
          round.requests += 1;
          if (statuses.length > 1) round.retried += 1;
          if (statuses[0] !== 200) {
            round.failedFirst += 1;
            const key = `${path.split('/').pop()} ${statuses[0] === 0 ? 'no-response' : statuses[0]}`;
            round.failedStatuses.set(key, (round.failedStatuses.get(key) ?? 0) + 1);
          }
          if (RETRYABLE.has(r.status)) round.unresolved += 1;
          return { statuses, status: r.status, body: r.body };
        }
        await sleep(Math.min(50 * attempt, 500));
      }
    };

    const endAt = Date.now() + DURATION_S * 1000;
    const client = async (c: number): Promise<void> => {
      const buyer = buyers[c]!;
      for (let seq = 0; Date.now() < endAt; seq++) {
        const store = (c + seq) % stores.length;
        const lines: Line[] = Array.from({ length: 1 + (seq % 3) }, (_, j) => {
          const b = books[(c * 5 + seq * 3 + j * 7) % BOOKS_PER_STORE]!;
          return { id: b.id, count: 1 + ((seq + j) % 3), price: b.price };
        });
        const orderBody = { user_id: buyer.id, store_id: stores[store], books: lines.map((l) => ({ id: l.id, count: l.count })) };
        const orderKey = `${tag}-${c}-${seq}-order`;
        const headers = { token: buyer.token, 'idempotency-key': orderKey };
        const placed = await send('/buyer/new_order', orderBody, headers);
        if (placed.status !== 200) continue;
        const orderId = String(placed.body['order_id']);
        const total = lines.reduce((n, l) => n + l.count * l.price, 0);
        round.acked.set(orderId, { buyer: c, store, lines, total, paid: false });
        if (seq % REPLAY_EVERY === 0) {
          round.replays += 1;
          const again = await send('/buyer/new_order', orderBody, headers, false);
          const againId = String(again.body['order_id'] ?? '');
          if (again.status !== 200 || againId !== orderId) {
            round.replayMismatches.push(`new_order replay answered ${again.status}${again.status === 200 ? ' with another order_id' : ''}`);
            // A replay the server treated as a new order is an order too: keep the ledger true.
            if (again.status === 200 && againId && againId !== orderId) round.acked.set(againId, { buyer: c, store, lines, total, paid: false });
          }
        }
        if (c === 0 && seq === 1 && round.probe422 === null) {
          // The same key with a different body must be refused (422), not run.
          const other = { ...orderBody, books: [{ id: books[0]!.id, count: 9 }] };
          const probe = await send('/buyer/new_order', other, headers, false);
          round.probe422 = probe.status;
          if (probe.status === 200) round.acked.set(String(probe.body['order_id']), {
            buyer: c, store, lines: [{ id: books[0]!.id, count: 9, price: books[0]!.price }], total: 9 * books[0]!.price, paid: false,
          });
        }
        const payBody = { user_id: buyer.id, order_id: orderId, password: buyer.password };
        const payHeaders = { 'idempotency-key': `${tag}-${c}-${seq}-pay` };
        const paid = await send('/buyer/payment', payBody, payHeaders);
        if (paid.status === 200) round.acked.get(orderId)!.paid = true;
        else if (paid.status === 518 && paid.statuses.length > 1) round.paymentRetryMismatches += 1; // the lost first attempt had paid it
        if (paid.status === 200 && seq % REPLAY_EVERY === 1) {
          round.replays += 1;
          const again = await send('/buyer/payment', payBody, payHeaders, false);
          if (again.status !== 200) round.replayMismatches.push(`payment replay answered ${again.status}`);
        }
      }
    };

    log(`T4: ${signal} round: ${CLIENTS} clients for ${DURATION_S} s, ${signal} to ${victim.name} at ${FAULT_AT_S} s`);
    const fault = (async () => {
      await sleep(FAULT_AT_S * 1000);
      // Land the fault on work in progress: wait (up to 2 s) for requests in flight on the victim.
      await waitFor('requests in flight on the victim', 2000, async () =>
        Number((await cluster.lb.serverStats()).get(victim.name)?.['scur'] ?? 0) >= 1, 5).catch(() => {});
      const before = (await cluster.lb.serverStats()).get(victim.name);
      const t0 = Date.now();
      let exitedAt = 0;
      void victim.proc!.exited.then(() => (exitedAt = Date.now()));
      victim.proc?.signal(signal);
      if (signal === 'SIGTERM') {
        // Draining, seen from outside: /readyz says 503 at once, and the process still serves.
        // Each probe opens a connection of its own, like HAProxy's health check and a new client.
        const readyz = await freshStatus(`${victim.url}/readyz`);
        await sleep(1000);
        const servedAfter1s = await freshStatus(`${victim.url}/search/books`, 'POST', { keyword: 'drain' });
        round.drain = { readyz, servedAfter1s, exitAfterS: 0 };
      }
      const exit = await victim.proc!.exited;
      const exitAfterS = ((exitedAt || Date.now()) - t0) / 1000;
      if (round.drain) round.drain.exitAfterS = exitAfterS;
      log(`T4: ${victim.name} exited after ${exitAfterS.toFixed(1)} s (${exit.signal ?? `code ${exit.code}`}); restarting it`);
      cluster.startServer(victim, cluster.settings!);
      await cluster.waitReady(victim);
      await cluster.lb.waitUp([victim.name]);
      round.downForS = (Date.now() - t0) / 1000;
      const after = (await cluster.lb.serverStats()).get(victim.name);
      const delta = (k: string): number => Number(after?.[k] ?? 0) - Number(before?.[k] ?? 0);
      round.haproxy = `${Number(before?.['scur'] ?? 0)} request(s) in flight on ${victim.name} at the ${signal}; HAProxy answered ` +
        `${delta('eresp')} response error(s) and ${delta('econ')} connection error(s) for it, retried ${delta('wretr')}× ` +
        `and redispatched ${delta('wredis')}×`;
    })();
    await Promise.all([...Array.from({ length: CLIENTS }, (_, c) => client(c)), fault]);
    const checks = await verifyRound(ctx, round, stores, buyers, books);
    if (round.drain) {
      const d = round.drain;
      const drainS = cluster.settings?.drainS ?? 0;
      checks.push({
        name: 'drains on SIGTERM', ok: d.readyz === 503 && d.servedAfter1s === 200 && d.exitAfterS >= drainS - 0.5,
        detail: `/readyz right after SIGTERM: ${label(d.readyz)} (expected 503); a request 1 s later: ${label(d.servedAfter1s)} ` +
          `(expected 200); exited after ${d.exitAfterS.toFixed(1)} s (BOOKSTORE_DRAIN_S=${drainS})`,
      });
    }
    return { round, checks };
  } finally {
    await api.close();
  }
}

async function verifyRound(
  ctx: Context, round: Round, stores: string[], buyers: Account[], books: { id: string; price: number }[],
): Promise<Check[]> {
  const db = ctx.cluster.primary;
  const checks: Check[] = [];
  const rows = await db.query<{ order_id: string; buyer: string; status: string; total_price: number }>(
    `SELECT o.order_id::text, u.user_id AS buyer, o.status, o.total_price::float8 AS total_price
       FROM orders o JOIN users u ON u.id = o.buyer_pk WHERE o.store_id = ANY($1)`, [stores]);
  const inDb = new Map(rows.map((r) => [r.order_id, r]));
  const missing = [...round.acked.keys()].filter((id) => !inDb.has(id));
  const extra = rows.filter((r) => !round.acked.has(r.order_id));
  const wrongState = [...round.acked.entries()].filter(([id, o]) => {
    const r = inDb.get(id);
    return r !== undefined && r.status !== (o.paid ? 'paid' : 'unpaid');
  });
  checks.push({
    name: 'acknowledged orders exist', ok: missing.length === 0,
    detail: `${round.acked.size - missing.length} of ${round.acked.size} acknowledged orders found on the primary`,
  });
  checks.push({
    name: 'no duplicates', ok: extra.length === 0 && round.replayMismatches.length === 0 && round.paymentRetryMismatches === 0,
    detail: `${extra.length} order(s) on the primary that no client was acknowledged (a retry ran twice); ` +
      `${round.replays} deliberate replays, ${round.replayMismatches.length} answered differently from the original` +
      (round.replayMismatches.length ? ` (${summarize(round.replayMismatches)})` : '') +
      `; ${round.paymentRetryMismatches} payment retries answered 518 although the first attempt had paid`,
  });
  checks.push({
    name: 'same key, different body → 422', ok: round.probe422 === 422,
    detail: `answered ${round.probe422 ?? 'n/a'}`,
  });
  checks.push({
    name: 'states as acknowledged', ok: wrongState.length === 0,
    detail: `${wrongState.length} acknowledged orders in another state than the client was told` +
      (wrongState.length ? ` (e.g. ${inDb.get(wrongState[0]![0])?.status} vs ${wrongState[0]![1].paid ? 'paid' : 'unpaid'})` : ''),
  });

  // Money: each buyer's balance = funds − the totals of the orders the client was told are paid.
  const balances = await db.query<{ user_id: string; balance: number }>(
    'SELECT user_id, balance::float8 AS balance FROM users WHERE user_id = ANY($1)', [buyers.map((b) => b.id)]);
  const spent = new Array<number>(buyers.length).fill(0);
  for (const o of round.acked.values()) if (o.paid) spent[o.buyer]! += o.total;
  const moneyOff = balances.filter((b) => b.balance !== FUNDS - spent[buyers.findIndex((x) => x.id === b.user_id)]!);
  checks.push({
    name: 'money adds up (as acknowledged)', ok: balances.length === buyers.length && moneyOff.length === 0,
    detail: `${balances.length - moneyOff.length} of ${buyers.length} buyers hold exactly funds − acknowledged payments` +
      (moneyOff.length ? ` (e.g. ${moneyOff[0]!.user_id}: ${moneyOff[0]!.balance})` : ''),
  });

  // Stock: each book's stock = initial − the units of the acknowledged (never cancelled) orders.
  const sold = stores.map(() => new Map<string, number>(books.map((b) => [b.id, 0])));
  for (const o of round.acked.values()) for (const l of o.lines) sold[o.store]!.set(l.id, sold[o.store]!.get(l.id)! + l.count);
  const stock = await db.query<{ store_id: string; book_id: string; stock_level: number }>(
    'SELECT store_id, book_id, stock_level FROM listings WHERE store_id = ANY($1)', [stores]);
  const stockOff = stock.filter((s) => s.stock_level !== STOCK - (sold[stores.indexOf(s.store_id)]?.get(s.book_id) ?? 0));
  checks.push({
    name: 'stock adds up (as acknowledged)', ok: stock.length === stores.length * books.length && stockOff.length === 0,
    detail: `${stock.length - stockOff.length} of ${stores.length * books.length} books hold exactly initial − acknowledged units`,
  });
  // The database's own books, whatever the clients were told: balances against the paid orders
  // it holds, stock against the lines of its orders that are not cancelled. This tells a server
  // that ran a request twice (consistent, but more than the client knows) from one that lost
  // or corrupted money or stock.
  const dbMoney = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM users u
      WHERE u.user_id = ANY($1)
        AND u.balance <> $2::bigint - (SELECT coalesce(sum(o.total_price), 0) FROM orders o
                                        WHERE o.buyer_pk = u.id AND o.status IN ('paid', 'shipped', 'received'))`,
    [buyers.map((b) => b.id), FUNDS]);
  const dbStock = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM listings l
      WHERE l.store_id = ANY($1)
        AND l.stock_level <> $2::int - (SELECT coalesce(sum(ol.count), 0) FROM order_lines ol JOIN orders o USING (order_id)
                                         WHERE o.store_id = l.store_id AND ol.book_id = l.book_id AND o.status <> 'cancelled')`,
    [stores, STOCK]);
  const moneyBad = Number(dbMoney[0]?.n ?? -1);
  const stockBad = Number(dbStock[0]?.n ?? -1);
  checks.push({
    name: 'database consistent in itself', ok: moneyBad === 0 && stockBad === 0,
    detail: `${moneyBad} buyers whose balance differs from funds − their paid orders, ${stockBad} books whose stock differs ` +
      `from initial − their open orders' lines`,
  });
  checks.push({ name: 'every request answered', ok: round.unresolved === 0, detail: `${round.unresolved} requests still unanswered after ${MAX_ATTEMPTS} attempts` });
  return checks;
}

function label(status: number): string {
  return status === 0 ? 'no response' : String(status);
}

function summarize(items: string[]): string {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1);
  return [...counts.entries()].map(([k, n]) => `${n}× ${k}`).join(', ');
}
