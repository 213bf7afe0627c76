import type { Queryable } from '../db/database.js';
import type { BookInfo } from '../domain/book.js';

/** Creates the listing (hot row), its description and its pictures; false if the id is taken. */
export async function insertBook(q: Queryable, storeId: string, book: BookInfo, stockLevel: number): Promise<boolean> {
  const { rowCount } = await q.query(
    `INSERT INTO listings (store_id, book_id, price, stock_level) VALUES ($1, $2, $3, $4)
     ON CONFLICT (store_id, book_id) DO NOTHING`,
    [storeId, book.id, book.price ?? 0, stockLevel],
  );
  if (rowCount !== 1) return false;
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
      storeId, book.id, position, Buffer.from(picture, 'base64'),
    ]);
  }
  return true;
}

export type StockChange = 'ok' | 'no-book' | 'too-low' | 'too-high';

/** Adds delta to a listing's stock, never below 0 nor past the column's range. */
export async function changeStock(q: Queryable, storeId: string, bookId: string, delta: number): Promise<StockChange> {
  const { rowCount } = await q.query(
    `UPDATE listings SET stock_level = stock_level + $3
      WHERE store_id = $1 AND book_id = $2 AND stock_level + $3::int8 BETWEEN 0 AND 2147483647`,
    [storeId, bookId, delta],
  );
  if (rowCount === 1) return 'ok';
  const { rows } = await q.query<{ stock_level: number }>(
    'SELECT stock_level FROM listings WHERE store_id = $1 AND book_id = $2',
    [storeId, bookId],
  );
  const row = rows[0];
  if (!row) return 'no-book';
  return row.stock_level + delta < 0 ? 'too-low' : 'too-high';
}

/** Stock levels of the given books in a store (missing ids are absent from the result). */
export async function findStockLevels(q: Queryable, storeId: string, bookIds: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await q.query<{ book_id: string; stock_level: number }>(
    'SELECT book_id, stock_level FROM listings WHERE store_id = $1 AND book_id = ANY($2::text[])',
    [storeId, bookIds],
  );
  return new Map(rows.map((r) => [r.book_id, r.stock_level]));
}

/** Returns the reserved copies of the given orders to their stores' stock. */
export async function restockOrders(q: Queryable, orderIds: readonly string[]): Promise<void> {
  await q.query(
    `UPDATE listings l SET stock_level = l.stock_level + r.count
       FROM (SELECT o.store_id, ol.book_id, sum(ol.count)::int AS count
               FROM order_lines ol JOIN orders o ON o.order_id = ol.order_id
              WHERE ol.order_id = ANY($1::uuid[])
              GROUP BY o.store_id, ol.book_id
              ORDER BY o.store_id, ol.book_id) AS r
      WHERE l.store_id = r.store_id AND l.book_id = r.book_id`,
    [orderIds],
  );
}
