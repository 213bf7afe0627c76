import { Api, metricsOf, metricValue } from './api.js';
import type { Context, TestResult } from './context.js';
import { sleep, waitFor } from './exec.js';
import { REPLICA_DB } from './pgbouncer.js';

const APPLY_DELAY_S = 2;
const ORDER_PROBES = 40;
const SEARCH_PROBES = 20;
const LAG_METRIC = 'bookstore_replica_lag_seconds';

/**
 * T5 replica. The api processes get DATABASE_REPLICA_URL (PgBouncer's pool on the streaming
 * replica) and the replica is told to apply WAL only APPLY_DELAY_S seconds late
 * (recovery_min_apply_delay, reloaded with SIGHUP), so anything read from it is visibly stale.
 * Then, with read-your-writes the caller must still see their own writes at once:
 * - new_order, then at once query_order by the same buyer shows the order — half of the probes
 *   go through HAProxy, half write on one api process and read on another;
 * - add_book, then at once a search by its seller (`token` header, `store_id`) finds the book;
 * - every api process exports the gauge bookstore_replica_lag_seconds, and it shows the delay.
 * Each probe also asks the replica directly whether it already has the new row, to show the
 * delay was really in force (otherwise the probes would prove nothing).
 */
export async function t5Replica(ctx: Context): Promise<TestResult> {
  const { cluster, log, runId } = ctx;
  if (!cluster.settings?.replicaReads || !cluster.apis.every((a) => a.alive)) {
    await cluster.startAll({ ...(cluster.settings ?? ctx.base), replicaReads: true });
  }
  const details: string[] = [];
  const lb = new Api(cluster.lb.url, 4);
  const direct = cluster.apis.map((a) => new Api(a.url, 2));
  // Transactions the servers ran on the replica, counted by PgBouncer (the harness's own
  // look-ups go to the replica directly and are not in it).
  const replicaXacts = async (): Promise<number> => {
    const rows = await cluster.pgbouncer.admin('SHOW STATS').catch(() => []);
    return Number(rows.find((r) => r['database'] === REPLICA_DB)?.['total_xact_count'] ?? 0);
  };
  try {
    cluster.replica.reloadWith(`recovery_min_apply_delay = '${APPLY_DELAY_S}s'\n`);
    await waitFor('the replica to take recovery_min_apply_delay', 10_000, async () =>
      (await cluster.replica.query<{ d: string }>("SELECT current_setting('recovery_min_apply_delay') AS d").then((r) => r[0]?.d)) ===
        `${APPLY_DELAY_S}s`);
    log(`T5: replica applies WAL ${APPLY_DELAY_S} s late; ${ORDER_PROBES} order probes, ${SEARCH_PROBES} search probes`);

    const tag = `t5${runId}${Date.now().toString(36)}`;
    const seller = await lb.account(`${tag}-seller`);
    const storeId = `${tag}-store`;
    await lb.store(seller, storeId, [{ id: 'b0', price: 100 }, { id: 'b1', price: 200 }], 100_000);
    const buyer = await lb.account(`${tag}-buyer`);
    const xactsBefore = await replicaXacts();

    // The lag gauge is sampled all along, while the probes write.
    const lagSeen = cluster.apis.map(() => ({ present: false, max: 0, samples: 0 }));
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await Promise.all(cluster.apis.map(async (a, i) => {
          const v = metricValue(await metricsOf(a.url).catch(() => ''), LAG_METRIC);
          lagSeen[i]!.samples += 1;
          if (v !== null && Number.isFinite(v)) {
            lagSeen[i]!.present = true;
            lagSeen[i]!.max = Math.max(lagSeen[i]!.max, v);
          }
        }));
        await sleep(250);
      }
    })();
    // Sanity: the delay is in force when the replica lacks the row right after the write.
    const onReplica = async (sql: string, params: unknown[]): Promise<boolean> =>
      (await cluster.replica.query(sql, params).catch(() => [])).length > 0;

    let orderSeen = 0;
    let orderStaleOnReplica = 0;
    const orderFailures: string[] = [];
    for (let i = 0; i < ORDER_PROBES; i++) {
      const crossProcess = i % 2 === 1;
      const writer = crossProcess ? direct[i % direct.length]! : lb;
      const reader = crossProcess ? direct[(i + 1) % direct.length]! : lb;
      const r = await writer.post('/buyer/new_order', { user_id: buyer.id, store_id: storeId, books: [{ id: 'b0', count: 1 }] }, { token: buyer.token });
      if (r.status !== 200) {
        orderFailures.push(`new_order ${r.status}`);
        continue;
      }
      const orderId = String(r.body['order_id']);
      const q = await reader.post('/buyer/query_order', { user_id: buyer.id, password: buyer.password, page: 1, page_size: 100 });
      const orders = (q.body['orders'] as { order_id: string }[] | undefined) ?? [];
      if (q.status === 200 && orders.some((o) => o.order_id === orderId)) orderSeen += 1;
      else orderFailures.push(`${crossProcess ? 'cross-process' : 'via HAProxy'}: query_order ${q.status} without the new order`);
      if (!(await onReplica('SELECT 1 FROM orders WHERE order_id = $1', [orderId]))) orderStaleOnReplica += 1;
    }
    const ordersOk = orderSeen === ORDER_PROBES;
    details.push(`new_order → query_order: ${orderSeen} of ${ORDER_PROBES} saw their order at once ` +
      `(${ORDER_PROBES / 2} through HAProxy, ${ORDER_PROBES / 2} written on one api process and read on another)` +
      (orderFailures.length ? `; failures: ${orderFailures.slice(0, 3).join('; ')}` : ''));

    let found = 0;
    let bookStaleOnReplica = 0;
    const searchFailures: string[] = [];
    for (let i = 0; i < SEARCH_PROBES; i++) {
      const writer = i % 2 === 1 ? direct[i % direct.length]! : lb;
      const reader = i % 2 === 1 ? direct[(i + 1) % direct.length]! : lb;
      const word = `zq${tag}w${i}`; // one search term (letters and digits)
      const bookId = `fresh-${i}`;
      const add = await writer.post('/seller/add_book', {
        user_id: seller.id, store_id: storeId, stock_level: 5, book_info: { id: bookId, title: `Harness ${word}`, price: 300 },
      }, { token: seller.token });
      if (add.status !== 200) {
        searchFailures.push(`add_book ${add.status}`);
        continue;
      }
      const s = await reader.post('/search/books', { keyword: word, store_id: storeId }, { token: seller.token });
      const books = (s.body['books'] as { id: string }[] | undefined) ?? [];
      if (s.status === 200 && books.some((b) => b.id === bookId)) found += 1;
      else searchFailures.push(`search ${s.status}, ${books.length} result(s)`);
      if (!(await onReplica('SELECT 1 FROM listings WHERE store_id = $1 AND book_id = $2', [storeId, bookId]))) bookStaleOnReplica += 1;
    }
    const searchOk = found === SEARCH_PROBES;
    details.push(`add_book → search by its seller: ${found} of ${SEARCH_PROBES} found the new book at once` +
      (searchFailures.length ? `; failures: ${searchFailures.slice(0, 3).join('; ')}` : ''));
    details.push(`the delay was in force: the replica itself lacked ${orderStaleOnReplica}/${ORDER_PROBES} new orders and ` +
      `${bookStaleOnReplica}/${SEARCH_PROBES} new books right after their write`);

    // A server may refresh the gauge only every few seconds: keep writing a little and sampling
    // (up to 8 s more) until some process shows the delay.
    for (let waited = 0; waited < 8000 && !lagSeen.some((l) => l.max >= APPLY_DELAY_S / 2); waited += 250) {
      await lb.post('/buyer/new_order', { user_id: buyer.id, store_id: storeId, books: [{ id: 'b1', count: 1 }] }, { token: buyer.token });
      await sleep(250);
    }
    sampling = false;
    await sampler;
    const lagOk = lagSeen.every((l) => l.present) && lagSeen.some((l) => l.max >= APPLY_DELAY_S / 2);
    details.push(`${LAG_METRIC}: ` + cluster.apis.map((a, i) =>
      `${a.name} ${lagSeen[i]!.present ? `max ${lagSeen[i]!.max.toFixed(2)} s` : 'absent'}`).join(', ') +
      ` (${lagSeen[0]?.samples ?? 0} samples each; must be present everywhere and show ≥ ${APPLY_DELAY_S / 2} s somewhere)`);
    const xacts = (await replicaXacts()) - xactsBefore;
    details.push(`the servers ran ${xacts} transactions on the replica during T5 (PgBouncer's count)` +
      (xacts === 0 ? ': they did not read from it at all' : ''));
    const staleOk = orderStaleOnReplica + bookStaleOnReplica > 0;
    if (!staleOk) details.push('the replica was never behind: the probes above prove nothing');
    return {
      id: 'T5', name: 'replica', pass: ordersOk && searchOk && lagOk && staleOk,
      summary: `apply delay ${APPLY_DELAY_S} s: ${orderSeen}/${ORDER_PROBES} orders and ${found}/${SEARCH_PROBES} books seen at once; ` +
        `lag gauge ${lagSeen.every((l) => l.present) ? `max ${Math.max(...lagSeen.map((l) => l.max)).toFixed(2)} s` : 'missing'}; ${xacts} replica reads`,
      details,
    };
  } finally {
    cluster.replica.reloadWith('');
    await Promise.all([lb.close(), ...direct.map((d) => d.close())]);
  }
}
