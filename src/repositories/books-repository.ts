import type { Queryable } from '../db/database.js';
import { credentialParams, type Actor } from '../domain/actor.js';
import type { BookInfo } from '../domain/book.js';

/** The largest stock level a listing holds (the column is a 32-bit integer). */
export const MAX_STOCK = 2_147_483_647;

/**
 * Creates a listing (the hot row: price and stock) in a store the actor owns and that is open;
 * the statement re-checks the actor's credential. False when refused for any reason (the id is
 * taken, the store is missing, closed or someone else's, the credential is not current).
 */
export async function insertListing(q: Queryable, actor: Actor, storeId: string, book: BookInfo, stockLevel: number): Promise<boolean> {
  const { rowCount } = await q.query(
    `INSERT INTO listings (store_id, book_id, price, stock_level)
     SELECT s.store_id, $6, $7, $8 FROM stores s
      WHERE s.store_id = $5 AND s.closed_at IS NULL AND s.owner_pk = (SELECT actor_pk($1, $2, $3, $4))
     ON CONFLICT (store_id, book_id) DO NOTHING`,
    [...credentialParams(actor), storeId, book.id, book.price ?? 0, stockLevel],
  );
  return rowCount === 1;
}

/** The cold description of a new listing, and its pictures. */
export async function insertBookDetails(q: Queryable, storeId: string, book: BookInfo): Promise<void> {
  await q.query(
    `INSERT INTO books (store_id, book_id, title, author, publisher, original_title, translator, pub_year, pages,
                        currency_unit, binding, isbn, author_intro, book_intro, content, tags)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::text[])`,
    [
      storeId, book.id, book.title ?? null, book.author ?? null, book.publisher ?? null, book.original_title ?? null,
      book.translator ?? null, book.pub_year ?? null, book.pages ?? null, book.currency_unit ?? null,
      book.binding ?? null, book.isbn ?? null, book.author_intro ?? null, book.book_intro ?? null,
      book.content ?? null, book.tags ?? [],
    ],
  );
  // One statement per picture: pictures are large and rare, and a bytea parameter is portable.
  for (const [position, picture] of (book.pictures ?? []).entries()) {
    await q.query('INSERT INTO book_pictures (store_id, book_id, position, data) VALUES ($1, $2, $3, $4)', [
      storeId, book.id, position, typeof picture === 'string' ? Buffer.from(picture, 'base64') : picture,
    ]);
  }
}

/**
 * Adds delta to a listing's stock, in a store the actor owns and that is open, never below 0 nor
 * past MAX_STOCK; false when refused for any reason.
 */
export async function changeStock(q: Queryable, actor: Actor, storeId: string, bookId: string, delta: number): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE listings l SET stock_level = l.stock_level + $7
       FROM stores s
      WHERE l.store_id = $5 AND l.book_id = $6 AND s.store_id = l.store_id AND s.closed_at IS NULL
        AND s.owner_pk = (SELECT actor_pk($1, $2, $3, $4)) AND l.stock_level + $7::int8 BETWEEN 0 AND ${MAX_STOCK}`,
    [...credentialParams(actor), storeId, bookId, delta],
  );
  return rowCount === 1;
}

/** Stock levels of the given books in a store (missing ids are absent from the result). */
export async function findStockLevels(q: Queryable, storeId: string, bookIds: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await q.query<{ book_id: string; stock_level: number }>(
    'SELECT book_id, stock_level FROM listings WHERE store_id = $1 AND book_id = ANY($2::text[])',
    [storeId, bookIds],
  );
  return new Map(rows.map((r) => [r.book_id, r.stock_level]));
}
