/**
 * Search benchmark (a command, not a test):
 *
 *   npm run bench:search -- --listings 1000000
 *
 * Builds (or reuses) a synthetic catalogue of Chinese and English books listed in many stores
 * in its own PostgreSQL database, then times POST /search/books through the real HTTP app,
 * one request at a time, for five kinds of query, and prints p50/p95/p99 per kind.
 *
 * The catalogue is loaded set-based: distinct books are generated and tokenized by the
 * application's own tokenizer (in batches), then spread over the stores' listings by
 * INSERT … SELECT, in a random physical order as if they had been listed over time; each
 * listing's document is its book's lexemes plus its store's. The GIN index is built after the
 * load, and a sample of documents is checked against what add_book would have written.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { buildApp } from '../../src/app.js';
import { configWith } from '../../src/config.js';
import { migrate } from '../../src/db/migrate.js';
import { connectPostgres } from '../../src/db/postgres.js';
import { COMMON_PAIR_KEYWORDS, COMMON_ZH_KEYWORDS, MULTI_WORD_KEYWORDS, SeededRandom, catalogueBook } from './catalogue.js';
import { MAX_LISTINGS_PER_TEXT, fieldLexemes, textFingerprint } from '../../src/domain/search/document.js';
import { SEARCH_FIELDS } from '../../src/domain/search/fields.js';
import { tierQueries } from '../../src/domain/search/query.js';
import { SITE_WIDE_PAGE_SQL, STORE_PAGE_SQL } from '../../src/repositories/search-repository.js';
import { keywordWords } from '../../src/domain/search/tokenizer.js';

const USAGE = `Usage: bookstore bench search [options]      (from a checkout: npm run bench:search -- [options])
  --listings N     listings in the catalogue (default 100000)
  --db URL         PostgreSQL database to use, created if missing; its contents are replaced
                   (default postgres://postgres@127.0.0.1:5432/bs_searchbench)
  --requests N     measured requests per query kind (default 300)
  --seed N         catalogue seed (default 1)
  --stores-per-book N  how many stores offer each book on average (default 8); 1 makes every
                   listing's content distinct, the worst case for site-wide searches
  --rebuild        rebuild the catalogue even if the database already holds this one
  --build-only     build the catalogue, do not run the queries
  --explain        print EXPLAIN ANALYZE of one query of each kind
  --json           print the results as JSON too
  -h, --help       show this text`;

const OPTIONS = {
  listings: { type: 'string', default: '100000' },
  db: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/bs_searchbench' },
  requests: { type: 'string', default: '300' },
  seed: { type: 'string', default: '1' },
  'stores-per-book': { type: 'string', default: '8' },
  rebuild: { type: 'boolean', default: false },
  'build-only': { type: 'boolean', default: false },
  explain: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false, short: 'h' },
} as const;
// A mistyped option gets the usage text, as every other command answers it, not a stack trace.
function parseCommandLine() {
  try {
    return parseArgs({ options: OPTIONS }).values;
  } catch (err) {
    console.error(`bookstore bench search: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    process.exit(2);
  }
}
const args = parseCommandLine();
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const LISTINGS = Number(args.listings);
const REQUESTS = Number(args.requests);
const SEED = Number(args.seed);
if (
  !Number.isInteger(LISTINGS) || LISTINGS < 1000 || !Number.isInteger(REQUESTS) || REQUESTS < 1 || !Number.isInteger(SEED) ||
  !Number.isInteger(Number(args['stores-per-book'])) || Number(args['stores-per-book']) < 1
) {
  console.error(USAGE);
  process.exit(2);
}
const DB_URL = args.db;

/** On average a book is offered by this many stores; a store lists ~250 books (skewed). */
const STORES_PER_BOOK = Number(args['stores-per-book']);
const LISTINGS_PER_STORE = 250;
const BOOK_BATCH = 2000;
/** Changes whenever the search tables or the catalogue change, so an older build is not reused. */
const LAYOUT = 'texts-7';
const LOAD_SLICES = 10;

const log = (msg: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);

async function ensureDatabase(): Promise<void> {
  const target = new URL(DB_URL);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(DB_URL);
  admin.pathname = '/postgres';
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (!rowCount) await c.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  await c.end();
}

interface Meta {
  listings: number;
  seed: number;
  books: number;
  stores: number;
  build_seconds: number;
}

async function readMeta(c: pg.Client): Promise<Meta | null> {
  try {
    const { rows } = await c.query<Meta & { layout: string }>('SELECT * FROM bench_meta');
    const meta = rows[0];
    return meta && meta.layout === LAYOUT ? meta : null;
  } catch {
    return null;
  }
}

/** Store sizes: log-normal (a few large stores, many small ones), summing to `total`. */
function storeSizes(stores: number, total: number, maxSize: number, r: SeededRandom): number[] {
  const weights = Array.from({ length: stores }, () => {
    const g = Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
    return Math.exp(g);
  });
  const sum = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.min(maxSize, Math.max(1, Math.floor((w / sum) * total))));
  let missing = total - sizes.reduce((a, b) => a + b, 0);
  for (let i = 0; missing !== 0; i = (i + 1) % stores) {
    if (missing > 0 && sizes[i]! < maxSize) {
      sizes[i]!++;
      missing--;
    } else if (missing < 0 && sizes[i]! > 1) {
      sizes[i]!--;
      missing++;
    }
  }
  return sizes;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

async function build(c: pg.Client): Promise<Meta> {
  const started = Date.now();
  const books = Math.ceil(LISTINGS / STORES_PER_BOOK);
  const stores = Math.max(20, Math.round(LISTINGS / LISTINGS_PER_STORE));
  log(`building: ${LISTINGS} listings = ${books} distinct books in ${stores} stores (seed ${SEED})`);

  await c.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  const db = connectPostgres(DB_URL, 1);
  await migrate(db);
  await db.close();
  await c.query(`SET synchronous_commit = off; SET maintenance_work_mem = '1GB'; SET work_mem = '256MB'`);
  const { rows: idx } = await c.query<{ indexname: string; indexdef: string }>(
    `SELECT indexname, indexdef FROM pg_indexes
      WHERE tablename IN ('search_texts', 'search_documents') AND indexdef NOT LIKE 'CREATE UNIQUE%'`,
  );
  // Secondary indexes are built after the load (faster than maintaining them row by row).
  for (const { indexname } of idx) await c.query(`DROP INDEX ${indexname}`);

  // 1. Distinct books, generated and tokenized by the indexer's own functions, in batches.
  await c.query(`CREATE UNLOGGED TABLE bench_books (
      book_no int PRIMARY KEY, book_id text, title text, author text, publisher text, translator text, pub_year text,
      pages int, price bigint, isbn text, author_intro text, book_intro text, content text, tags text[],
      fingerprint bytea, lexemes tsvector)`);
  await c.query('CREATE TABLE bench_rare (word text PRIMARY KEY, books int NOT NULL)');
  const rare = new Map<string, number>();
  for (let from = 0; from < books; from += BOOK_BATCH) {
    const cols: unknown[][] = Array.from({ length: 16 }, () => []);
    for (let n = from; n < Math.min(books, from + BOOK_BATCH); n++) {
      const b = catalogueBook(SEED, n);
      for (const w of b.rare) rare.set(w, (rare.get(w) ?? 0) + 1);
      const lexemes = fieldLexemes({ id: b.book_id, ...b });
      const row = [n, b.book_id, b.title, b.author, b.publisher, b.translator, b.pub_year, b.pages, b.price, b.isbn,
        b.author_intro, b.book_intro, b.content, b.tags.join('\u0001'), textFingerprint(lexemes), lexemes.join('\u0001')];
      row.forEach((v, i) => cols[i]!.push(v));
    }
    await c.query(
      `INSERT INTO bench_books
       SELECT n, id, ti, au, pu, tr, py, pa, pr, isbn, ai, bi, co, string_to_array(tg, chr(1)), fp,
              array_to_tsvector(string_to_array(lx, chr(1)))
         FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::bigint[],
                     $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::bytea[], $16::text[])
              AS t(n, id, ti, au, pu, tr, py, pa, pr, isbn, ai, bi, co, tg, fp, lx)`,
      cols,
    );
    if ((from / BOOK_BATCH) % 10 === 0) log(`  books ${Math.min(books, from + BOOK_BATCH)}/${books}`);
  }
  const rareWords = [...rare.entries()].filter(([, n]) => n <= 2);
  await c.query('INSERT INTO bench_rare SELECT * FROM unnest($1::text[], $2::int[])', [
    rareWords.map(([w]) => w),
    rareWords.map(([, n]) => n),
  ]);

  // 2. Sellers and stores.
  const r = new SeededRandom(SEED);
  await c.query(
    `INSERT INTO users (user_id, password_hash, created_at)
     SELECT 'bench_seller_' || i, 'not-a-password', now() FROM generate_series(1, $1) i`,
    [stores],
  );
  await c.query(
    `INSERT INTO stores (store_id, owner_pk, created_at)
     SELECT 'store_' || lpad(substr(u.user_id, 14), 5, '0'), u.id, now() FROM users u WHERE u.user_id LIKE 'bench_seller_%'`,
  );
  // 3. Which books each store lists (a distinct arithmetic progression modulo the book count),
  //    in a random order of listing; the text row each listing joins, as the indexer would.
  const sizes = storeSizes(stores, LISTINGS, books, r);
  const starts = sizes.map(() => r.int(0, books - 1));
  const steps = sizes.map(() => {
    for (;;) {
      const s = r.int(1, books - 1);
      if (gcd(s, books) === 1) return s;
    }
  });
  await c.query(
    `CREATE UNLOGGED TABLE bench_plan AS
     SELECT s.store_id, ((s.start::int8 + j::int8 * s.step) % $5)::int AS book_no, hashtext(s.store_id || ':' || j) AS seq
       FROM unnest($1::text[], $2::int[], $3::int[], $4::int[]) AS s(store_id, size, start, step),
            generate_series(0, s.size - 1) AS j`,
    [sizes.map((_, i) => `store_${String(i + 1).padStart(5, '0')}`), sizes, starts, steps, books],
  );
  await c.query(
    `CREATE UNLOGGED TABLE bench_listings AS
     SELECT row_number() OVER (ORDER BY seq, store_id) AS doc_id, store_id, book_no, seq,
            (row_number() OVER (PARTITION BY book_no ORDER BY seq, store_id) - 1) / $1 AS chunk
       FROM bench_plan`,
    [MAX_LISTINGS_PER_TEXT],
  );
  await c.query(
    `CREATE UNLOGGED TABLE bench_texts AS
     SELECT row_number() OVER (ORDER BY min(doc_id)) AS text_id, book_no, chunk, count(*)::int AS listings,
            array_agg(DISTINCT 's:' || store_id) AS stores
       FROM bench_listings GROUP BY book_no, chunk`,
  );
  await c.query('CREATE INDEX ON bench_listings (doc_id)');
  await c.query('CREATE INDEX ON bench_texts (book_no, chunk)');
  await c.query('DROP TABLE bench_plan');
  log(`  ${LISTINGS} listings planned (largest store ${Math.max(...sizes)}, smallest ${Math.min(...sizes)})`);

  // 4. Texts, then listings, their descriptions and their search documents in listing order.
  await c.query(
    `INSERT INTO search_texts (text_id, fingerprint, listings, lexemes) OVERRIDING SYSTEM VALUE
     SELECT t.text_id, b.fingerprint, t.listings, array_to_tsvector(t.stores) || b.lexemes
       FROM bench_texts t JOIN bench_books b USING (book_no) ORDER BY t.text_id`,
  );
  await c.query(`SELECT setval(pg_get_serial_sequence('search_texts', 'text_id'), (SELECT max(text_id) FROM search_texts))`);
  const slice = Math.ceil(LISTINGS / LOAD_SLICES);
  for (let lo = 1; lo <= LISTINGS; lo += slice) {
    const range = [lo, lo + slice];
    await c.query('BEGIN');
    await c.query(
      `INSERT INTO listings (store_id, book_id, price, stock_level)
       SELECT l.store_id, b.book_id, b.price + (abs(l.seq) % 7) * 100, abs(l.seq) % 200
         FROM bench_listings l JOIN bench_books b USING (book_no) WHERE l.doc_id >= $1 AND l.doc_id < $2 ORDER BY l.doc_id`,
      range,
    );
    await c.query(
      `INSERT INTO books (store_id, book_id, title, author, publisher, translator, pub_year, pages, currency_unit, isbn,
                          author_intro, book_intro, content, tags)
       SELECT l.store_id, b.book_id, b.title, b.author, b.publisher, b.translator, b.pub_year, b.pages, '元', b.isbn,
              b.author_intro, b.book_intro, b.content, b.tags
         FROM bench_listings l JOIN bench_books b USING (book_no) WHERE l.doc_id >= $1 AND l.doc_id < $2 ORDER BY l.doc_id`,
      range,
    );
    await c.query(
      `INSERT INTO search_documents (doc_id, store_id, book_id, text_id) OVERRIDING SYSTEM VALUE
       SELECT l.doc_id, l.store_id, b.book_id, t.text_id
         FROM bench_listings l JOIN bench_books b USING (book_no) JOIN bench_texts t USING (book_no, chunk)
        WHERE l.doc_id >= $1 AND l.doc_id < $2 ORDER BY l.doc_id`,
      range,
    );
    await c.query('COMMIT');
    log(`  loaded listings ${Math.min(LISTINGS, lo + slice - 1)}/${LISTINGS}`);
  }
  await c.query(`SELECT setval(pg_get_serial_sequence('search_documents', 'doc_id'), (SELECT max(doc_id) FROM search_documents))`);
  log('  building the indexes');
  for (const { indexdef } of idx) await c.query(indexdef);
  await c.query('DROP TABLE bench_listings, bench_texts, bench_books');
  await c.query('DELETE FROM search_backfill'); // every listing has its document
  log('  vacuum analyze');
  await c.query('VACUUM ANALYZE');

  // 5. Spot check: the loaded texts are what add_book's indexer would have written.
  const { rows: sample } = await c.query(
    `SELECT b.*, d.text_id, t.fingerprint, t.listings, t.lexemes::text AS stored,
            (SELECT array_agg(DISTINCT 's:' || d2.store_id) FROM search_documents d2 WHERE d2.text_id = d.text_id) AS stores,
            (SELECT count(*)::int FROM search_documents d2 WHERE d2.text_id = d.text_id) AS n
       FROM search_documents d JOIN books b USING (store_id, book_id) JOIN search_texts t USING (text_id)
      WHERE d.doc_id % 9973 = 1 LIMIT 50`,
  );
  for (const row of sample) {
    const lexemes = fieldLexemes({ ...row, id: row.book_id });
    const { rows } = await c.query('SELECT array_to_tsvector($1::text[])::text AS t', [[...row.stores, ...lexemes]]);
    const same = rows[0].t === row.stored && textFingerprint(lexemes).equals(row.fingerprint) && row.n === row.listings;
    if (!same) throw new Error(`text of ${row.store_id}/${row.book_id} differs from the indexer's`);
  }
  log(`  ${sample.length} listings checked against the indexer`);

  const meta: Meta = { listings: LISTINGS, seed: SEED, books, stores, build_seconds: Math.round((Date.now() - started) / 1000) };
  await c.query(`CREATE TABLE bench_meta (listings int, seed int, books int, stores int, build_seconds int, layout text)`);
  await c.query('INSERT INTO bench_meta VALUES ($1, $2, $3, $4, $5, $6)', [
    meta.listings, meta.seed, meta.books, meta.stores, meta.build_seconds, LAYOUT,
  ]);
  log(`built in ${meta.build_seconds} s`);
  return meta;
}

interface Query {
  keyword: string;
  store_id?: string;
  page?: number;
  page_size?: number;
}

async function chooseQueries(c: pg.Client): Promise<Record<string, Query[]>> {
  const r = new SeededRandom(SEED + 7);
  // Words of a single book (an author's name, a place), offered by a handful of stores.
  const { rows: rare } = await c.query<{ word: string }>(
    `SELECT word FROM bench_rare WHERE books = 1 AND length(word) >= 3 ORDER BY md5(word || $1) LIMIT 60`,
    [String(SEED)],
  );
  const { rows: storeRows } = await c.query<{ store_id: string }>('SELECT store_id FROM stores ORDER BY store_id');
  const storeIds = storeRows.map((s) => s.store_id);
  const storeKeywords = [...COMMON_ZH_KEYWORDS, '物理', '小说', '编程', 'history', 'python', '量子 力学', '经济'];
  return {
    'rare word, site-wide': rare.map((x) => ({ keyword: x.word })),
    'common 2-char Chinese word, site-wide': COMMON_ZH_KEYWORDS.map((keyword) => ({ keyword })),
    'multi-word, site-wide': MULTI_WORD_KEYWORDS.map((keyword) => ({ keyword })),
    'two common words, site-wide': COMMON_PAIR_KEYWORDS.map((keyword) => ({ keyword })),
    'store-scoped': Array.from({ length: 60 }, () => ({ keyword: r.pick(storeKeywords), store_id: r.pick(storeIds) })),
    'deep page (page 500 of 20), common word': COMMON_ZH_KEYWORDS.map((keyword) => ({ keyword, page: 500, page_size: 20 })),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function explain(c: pg.Client, q: Query): Promise<void> {
  const words = keywordWords(q.keyword);
  const tiers = tierQueries(words, [...SEARCH_FIELDS], q.store_id ?? null);
  const pageSize = q.page_size ?? 20;
  const offset = ((q.page ?? 1) - 1) * pageSize;
  const { rows } = q.store_id
    ? await c.query(`EXPLAIN (ANALYZE, BUFFERS) ${STORE_PAGE_SQL}`, [pageSize, offset, q.store_id, tiers])
    : await c.query(`EXPLAIN (ANALYZE, BUFFERS) ${SITE_WIDE_PAGE_SQL}`, [pageSize, offset, tiers]);
  console.log(`\n-- ${JSON.stringify(q)}\n${rows.map((x) => x['QUERY PLAN']).join('\n')}`);
}

/**
 * add_book latency at this size, through HTTP: half the books have the content of a catalogue
 * book (the listing joins its text row), half a new content (a new text row). The seller, its
 * store and everything they added are removed afterwards, so the catalogue stays as built.
 */
async function timeAddBook(address: AddressInfo, c: pg.Client, meta: Meta) {
  const base = `http://127.0.0.1:${address.port}`;
  const post = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { token } : {}) },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status !== 200) throw new Error(`${path} → ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const userId = `bench_addbook_${Date.now()}`;
  const storeId = `${userId}_store`;
  await post('/auth/register', { user_id: userId, password: 'bench-password' });
  const { token } = (await post('/auth/login', { user_id: userId, password: 'bench-password', terminal: 'bench' })) as { token: string };
  await post('/seller/create_store', { user_id: userId, store_id: storeId }, token);
  const times: number[] = [];
  try {
    for (let i = 0; i < 200; i++) {
      const b = i % 2 === 0 ? catalogueBook(SEED, (i * 7919) % meta.books) : catalogueBook(SEED + 1, i);
      const { rare: _rare, book_id: _id, ...info } = b;
      const t0 = process.hrtime.bigint();
      await post('/seller/add_book', { user_id: userId, store_id: storeId, book_info: { ...info, id: `bench-${i}` }, stock_level: 5 }, token);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  } finally {
    await c.query('BEGIN');
    await c.query(
      `WITH d AS (DELETE FROM search_documents WHERE store_id = $1 RETURNING text_id),
            x AS (SELECT text_id, count(*)::int AS n FROM d GROUP BY text_id),
            gone AS (DELETE FROM search_texts t USING x WHERE t.text_id = x.text_id AND t.listings = x.n)
       UPDATE search_texts t SET listings = t.listings - x.n, lexemes = ts_delete(t.lexemes, $2::text)
         FROM x WHERE t.text_id = x.text_id AND t.listings > x.n`,
      [storeId, `s:${storeId}`],
    );
    await c.query('DELETE FROM book_pictures WHERE store_id = $1', [storeId]);
    await c.query('DELETE FROM books WHERE store_id = $1', [storeId]);
    await c.query('DELETE FROM listings WHERE store_id = $1', [storeId]);
    await c.query('DELETE FROM stores WHERE store_id = $1', [storeId]);
    await c.query('DELETE FROM sessions WHERE user_pk IN (SELECT id FROM users WHERE user_id = $1)', [userId]);
    await c.query('DELETE FROM users WHERE user_id = $1', [userId]);
    await c.query('COMMIT');
    await c.query('VACUUM search_texts, search_documents, listings, books');
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99), max: times[times.length - 1]!, totals: '–', queries: 200 };
}

async function main(): Promise<void> {
  await ensureDatabase();
  const c = new pg.Client({ connectionString: DB_URL, application_name: 'bench-search' });
  await c.connect();
  let meta = await readMeta(c);
  const wanted = Math.ceil(LISTINGS / STORES_PER_BOOK);
  if (args.rebuild || !meta || meta.listings !== LISTINGS || meta.seed !== SEED || meta.books !== wanted) meta = await build(c);
  else log(`reusing the catalogue in ${DB_URL} (${meta.listings} listings, built in ${meta.build_seconds} s)`);
  if (args['build-only']) {
    await c.end();
    return;
  }

  const { rows: sizes } = await c.query(`SELECT
      pg_size_pretty(pg_total_relation_size('search_texts')) AS texts,
      pg_size_pretty(pg_relation_size('search_texts_lexemes')) AS gin,
      pg_size_pretty(pg_relation_size('search_texts')) AS heap,
      pg_size_pretty(pg_total_relation_size('search_documents')) AS documents,
      (SELECT count(*) FROM search_texts)::int AS text_rows,
      (SELECT count(*) FROM search_documents)::int AS docs`);
  let kinds = await chooseQueries(c);
  if (args.explain) for (const qs of Object.values(kinds)) await explain(c, qs[0]!);

  const config = configWith({ databaseUrl: DB_URL, secret: randomBytes(32), scryptLogN: 10, poolSize: 4 });
  const db = connectPostgres(DB_URL, 4);
  const { server } = await buildApp({ config, db, logger: false });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}/search/books`;
  const call = async (q: Query) => {
    const t0 = process.hrtime.bigint();
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(q) });
    const body = (await res.json()) as { total: number; books: unknown[] };
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (res.status !== 200) throw new Error(`${JSON.stringify(q)} → ${res.status} ${JSON.stringify(body)}`);
    return { ms, total: body.total, n: body.books.length };
  };

  const results: Record<string, { p50: number; p95: number; p99: number; max: number; totals: string; queries: number }> = {};
  // Reference: the same HTTP path for a request that only runs SELECT 1.
  const REFERENCE = '(reference: GET /healthz, SELECT 1)';
  const health = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}/healthz`;
  const timeHealth = async () => {
    const t0 = process.hrtime.bigint();
    await (await fetch(health)).text();
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, total: 0 };
  };
  kinds = { [REFERENCE]: [{ keyword: '' }], ...kinds };
  // Kinds take turns in rounds of ten requests, so a burst of load from elsewhere on the
  // machine falls on every kind alike.
  const times = new Map<string, number[]>();
  const totals = new Map<string, number[]>();
  for (const [kind, queries] of Object.entries(kinds)) {
    if (kind !== REFERENCE) for (const q of queries) await call(q); // warm-up: each query once
    times.set(kind, []);
    totals.set(kind, []);
  }
  for (let done = 0; done < REQUESTS; done += 10) {
    for (const [kind, queries] of Object.entries(kinds)) {
      for (let i = done; i < Math.min(REQUESTS, done + 10); i++) {
        const { ms, total } = kind === REFERENCE ? await timeHealth() : await call(queries[i % queries.length]!);
        times.get(kind)!.push(ms);
        totals.get(kind)!.push(total);
      }
    }
  }
  for (const kind of Object.keys(kinds)) {
    const t = times.get(kind)!.sort((a, b) => a - b);
    const n = totals.get(kind)!.sort((a, b) => a - b);
    results[kind] = {
      p50: percentile(t, 50),
      p95: percentile(t, 95),
      p99: percentile(t, 99),
      max: t[t.length - 1]!,
      totals: kind === REFERENCE ? '–' : `${n[0]}–${n[n.length - 1]} (median ${percentile(n, 50)})`,
      queries: kinds[kind]!.length,
    };
    log(`${kind}: p50 ${results[kind]!.p50.toFixed(1)} ms, p95 ${results[kind]!.p95.toFixed(1)} ms`);
  }
  results['add_book (indexed in its transaction)'] = await timeAddBook(server.server.address() as AddressInfo, c, meta);

  await server.close();
  await db.close();
  await c.end();

  const s = sizes[0];
  console.log(`\nSearch benchmark: ${meta.listings} listings (${meta.books} distinct books, ${meta.stores} stores), PostgreSQL, ` +
    `${REQUESTS} sequential POST /search/books per kind over HTTP (kinds interleaved), page_size 20 unless noted.`);
  console.log(`search_texts: ${s.text_rows} rows, ${s.texts} in all (heap ${s.heap}, GIN ${s.gin}); search_documents: ${s.docs} rows, ${s.documents}; catalogue built in ${meta.build_seconds} s.\n`);
  console.log('| query kind | distinct queries | total (matches) | p50 ms | p95 ms | p99 ms |');
  console.log('|---|---|---|---|---|---|');
  for (const [kind, x] of Object.entries(results)) {
    console.log(`| ${kind} | ${x.queries} | ${x.totals} | ${x.p50.toFixed(1)} | ${x.p95.toFixed(1)} | ${x.p99.toFixed(1)} |`);
  }
  if (args.json) console.log(JSON.stringify({ meta, sizes: s, results }, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
