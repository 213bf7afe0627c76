import type { Queryable } from '../db/database.js';
import { MAX_LISTINGS_PER_TEXT, storeLexeme, type SearchDocument } from '../domain/search/document.js';

/**
 * Indexes one listing, inside add_book's transaction: the listing joins the text row of the
 * same content if one has room (adding its store's lexeme and counting it), or starts one.
 * Two listings of a new content indexed at the same moment may each start a row: harmless,
 * every listing still belongs to exactly one text. The document is computed by the caller,
 * before the transaction: no tokenizing or hashing while rows are locked.
 */
export async function indexListing(q: Queryable, storeId: string, bookId: string, { lexemes, fingerprint }: SearchDocument): Promise<void> {
  const store = storeLexeme(storeId);
  const joined = await q.query<{ text_id: number }>(
    `UPDATE search_texts SET listings = listings + 1, lexemes = lexemes || array_to_tsvector(ARRAY[$2::text])
      WHERE text_id = (SELECT text_id FROM search_texts WHERE fingerprint = $1 AND listings < $3
                        ORDER BY text_id DESC LIMIT 1 FOR UPDATE)
      RETURNING text_id`,
    [fingerprint, store, MAX_LISTINGS_PER_TEXT],
  );
  let textId = joined.rows[0]?.text_id;
  if (textId === undefined) {
    const created = await q.query<{ text_id: number }>(
      `INSERT INTO search_texts (fingerprint, listings, lexemes) VALUES ($1, 1, array_to_tsvector($2::text[]))
       RETURNING text_id`,
      [fingerprint, [store, ...lexemes]],
    );
    textId = created.rows[0]!.text_id;
  }
  await q.query('INSERT INTO search_documents (store_id, book_id, text_id) VALUES ($1, $2, $3)', [storeId, bookId, textId]);
}

/**
 * Takes a closed store's listings out of the index: its documents go, each text they shared
 * counts them no more and forgets the store's lexeme, and a text no listing shares any more goes
 * too. The texts are locked first (in text_id order), so a listing being indexed into one of them
 * at the same moment is counted after this, never lost.
 */
export async function unindexStore(q: Queryable, storeId: string): Promise<void> {
  await q.query(
    `SELECT text_id FROM search_texts
      WHERE text_id IN (SELECT text_id FROM search_documents WHERE store_id = $1)
      ORDER BY text_id FOR UPDATE`,
    [storeId],
  );
  await q.query(
    `WITH gone AS (DELETE FROM search_documents WHERE store_id = $1 RETURNING text_id),
     counts AS (SELECT text_id, count(*)::int AS n FROM gone GROUP BY text_id),
     emptied AS (DELETE FROM search_texts t USING counts c WHERE t.text_id = c.text_id AND t.listings <= c.n RETURNING 1),
     kept AS (UPDATE search_texts t SET listings = t.listings - c.n, lexemes = ts_delete(t.lexemes, $2::text)
                FROM counts c WHERE t.text_id = c.text_id AND t.listings > c.n RETURNING 1)
     SELECT (SELECT count(*) FROM emptied) + (SELECT count(*) FROM kept) AS texts`,
    [storeId, storeLexeme(storeId)],
  );
}

/** A result listing as the API shows it. */
export interface SearchBook {
  id: string;
  title: string | null;
  author: string | null;
  publisher: string | null;
  tags: string[];
  price: number;
  store_id: string;
  stock_level: number;
}

export interface SearchRow extends Omit<SearchBook, 'id'> {
  total: number;
  /** null in the one row that only carries the total, when the page is empty. */
  id: string | null;
}

const RESULT_COLUMNS = `l.book_id AS id, b.title, b.author, b.publisher, b.tags, l.price, l.store_id, l.stock_level`;

/**
 * Site-wide page. The matches come from search_hits (migrations/002_search.sql): one GIN
 * bitmap scan per tier query. Texts rank by (tier, text_id); a text stands for its `listings` listings,
 * which follow one another by doc_id. The total is the sum of `listings` over the matches; the
 * page is placed by running sums over the first texts only (at most offset + limit of them, a
 * bounded sort), and only the page's few texts are expanded into listings. One row comes back
 * even when the page is empty, carrying the total with a null id.
 * $1 limit, $2 offset, $3 the tier queries.
 */
export const SITE_WIDE_PAGE_SQL = `WITH hits AS MATERIALIZED (SELECT * FROM search_hits($3::tsquery[])),
     total AS (SELECT coalesce(sum(listings), 0)::int8 AS total FROM hits),
     head AS (SELECT rank, text_id, listings FROM hits ORDER BY rank LIMIT $1::int8 + $2::int8),
     ranked AS (SELECT rank, text_id, listings, sum(listings) OVER (ORDER BY rank ROWS UNBOUNDED PRECEDING) AS upto FROM head),
     page_texts AS (SELECT * FROM ranked WHERE upto > $2::int8 ORDER BY rank LIMIT $1::int8),
     page AS (
       SELECT d.store_id, d.book_id,
              pt.upto - pt.listings + row_number() OVER (PARTITION BY pt.text_id ORDER BY d.doc_id) - 1 AS pos
         FROM page_texts pt JOIN search_documents d ON d.text_id = pt.text_id),
     found AS (
       SELECT p.pos, ${RESULT_COLUMNS}
         FROM page p
         JOIN listings l ON l.store_id = p.store_id AND l.book_id = p.book_id
         JOIN books b ON b.store_id = p.store_id AND b.book_id = p.book_id
        WHERE p.pos >= $2::int8 AND p.pos < $2::int8 + $1::int8)
SELECT t.total, f.id, f.title, f.author, f.publisher, f.tags, f.price, f.store_id, f.stock_level
  FROM total t LEFT JOIN found f ON true
 ORDER BY f.pos`;

/**
 * Store page: the store's lexeme is part of every tier's query, so the index returns only
 * texts this store lists; each is expanded to the store's listings of it. Like the site-wide
 * page, one row with a null id carries the total when the page is empty.
 * $1 limit, $2 offset, $3 store id, $4 the tier queries.
 */
export const STORE_PAGE_SQL = `WITH hits AS MATERIALIZED (SELECT * FROM search_hits($4::tsquery[])),
     docs AS MATERIALIZED (
       SELECT h.rank, d.doc_id, d.book_id
         FROM hits h JOIN search_documents d ON d.text_id = h.text_id AND d.store_id = $3),
     total AS (SELECT count(*) AS total FROM docs),
     found AS (
       SELECT p.rank, p.doc_id, ${RESULT_COLUMNS}
         FROM (SELECT * FROM docs ORDER BY rank, doc_id LIMIT $1 OFFSET $2) p
         JOIN listings l ON l.store_id = $3 AND l.book_id = p.book_id
         JOIN books b ON b.store_id = $3 AND b.book_id = p.book_id)
SELECT t.total, f.id, f.title, f.author, f.publisher, f.tags, f.price, f.store_id, f.stock_level
  FROM total t LEFT JOIN found f ON true
 ORDER BY f.rank, f.doc_id`;

/**
 * One page of matches ranked by tier, then text_id, then doc_id: a total order, so
 * consecutive pages never overlap nor skip. Every row carries the total number of matches;
 * an empty page is a single row with a null id.
 */
export async function findPage(
  q: Queryable,
  tierQueries: readonly string[],
  storeId: string | null,
  limit: number,
  offset: number,
): Promise<SearchRow[]> {
  const { rows } =
    storeId === null
      ? await q.query<SearchRow>(SITE_WIDE_PAGE_SQL, [limit, offset, tierQueries])
      : await q.query<SearchRow>(STORE_PAGE_SQL, [limit, offset, storeId, tierQueries]);
  return rows;
}

export interface UnindexedBook {
  store_id: string;
  book_id: string;
  title: string | null;
  author: string | null;
  publisher: string | null;
  tags: string[];
  author_intro: string | null;
  book_intro: string | null;
  content: string | null;
}

// Any constant: serializes backfills of several servers starting on one database.
const BACKFILL_LOCK = 727_002;

/** Whether listings made before search existed may still lack a search document. */
export async function backfillPending(q: Queryable): Promise<boolean> {
  const { rows } = await q.query('SELECT 1 FROM search_backfill');
  return rows.length > 0;
}

/** Up to `limit` listings without a search document, with the fields indexing reads; locks nothing. */
export async function findUnindexed(q: Queryable, limit: number): Promise<UnindexedBook[]> {
  const { rows } = await q.query<UnindexedBook>(
    `SELECT b.store_id, b.book_id, b.title, b.author, b.publisher, b.tags, b.author_intro, b.book_intro, b.content
       FROM (SELECT l.store_id, l.book_id FROM listings l
              WHERE NOT EXISTS (SELECT 1 FROM search_documents d WHERE d.store_id = l.store_id AND d.book_id = l.book_id)
              LIMIT $1) AS missing
       JOIN books b ON b.store_id = missing.store_id AND b.book_id = missing.book_id`,
    [limit],
  );
  return rows;
}

export const listingKey = (storeId: string, bookId: string): string => `${storeId}\u0000${bookId}`;

/**
 * In a transaction: takes the backfill lock (servers starting together take turns), then says
 * which of these listings still lack a search document (listingKey); another server may have
 * indexed some since they were read.
 */
export async function claimUnindexed(q: Queryable, books: readonly Pick<UnindexedBook, 'store_id' | 'book_id'>[]): Promise<Set<string>> {
  await q.query('SELECT pg_advisory_xact_lock($1)', [BACKFILL_LOCK]);
  const { rows } = await q.query<{ store_id: string; book_id: string }>(
    `SELECT k.store_id, k.book_id FROM unnest($1::text[], $2::text[]) AS k (store_id, book_id)
      WHERE NOT EXISTS (SELECT 1 FROM search_documents d WHERE d.store_id = k.store_id AND d.book_id = k.book_id)`,
    [books.map((b) => b.store_id), books.map((b) => b.book_id)],
  );
  return new Set(rows.map((r) => listingKey(r.store_id, r.book_id)));
}

/**
 * Marks the backfill done, once findUnindexed finds nothing: every listing made since the
 * migration is indexed by the transaction that makes it, so none can lack a document again.
 */
export async function finishBackfill(q: Queryable): Promise<void> {
  await q.query('DELETE FROM search_backfill');
}
