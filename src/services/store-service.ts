import type { Actor } from '../domain/actor.js';
import type { BookInfo } from '../domain/book.js';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { searchDocument, type SearchDocument } from '../domain/search/document.js';
import { AppError } from '../errors.js';
import * as books from '../repositories/books-repository.js';
import { indexListing } from '../repositories/search-repository.js';
import * as stores from '../repositories/stores-repository.js';
import type { ServiceContext } from './context.js';
import { fenceKey } from './read-routing.js';
import { attemptWrite, refusalOf } from './refusals.js';

export type StoreService = ReturnType<typeof createStoreService>;

export function createStoreService({ db, reads }: Pick<ServiceContext, 'db' | 'reads'>) {
  async function createStore(actor: Actor, storeId: string): Promise<void> {
    await attemptWrite(db, async () => ((await stores.insertStore(db, actor, storeId)) ? true : null), { actor, newStoreId: storeId });
  }

  /**
   * Lists books in one of the actor's stores, in one transaction, each searchable as soon as it
   * commits. A book id the store already lists is refused (516), or skipped with `skipExisting`
   * (the command-line import, which may run again). The search documents are computed before
   * the transaction opens (no CPU-heavy work while rows are locked), a slice at a time between
   * other requests' turns on the event loop.
   */
  async function addBooks(
    actor: Actor,
    storeId: string,
    list: readonly BookInfo[],
    stockLevel: number,
    { skipExisting = false } = {},
  ): Promise<{ added: number; skipped: number }> {
    const indexed: { book: BookInfo; document: SearchDocument }[] = [];
    for (const book of list) indexed.push({ book, document: await searchDocument(book, () => nextTurn()) });
    const result = await db.transaction(async (tx) => {
      let added = 0;
      for (const { book, document } of indexed) {
        if (await books.insertListing(tx, actor, storeId, book, stockLevel)) {
          await books.insertBookDetails(tx, storeId, book);
          await indexListing(tx, storeId, book.id, document);
          added++;
          continue;
        }
        const why = await refusalOf(tx, { actor, store: { id: storeId, as: 'owner' } });
        if (why) throw why;
        if (!skipExisting) throw new AppError('BOOK_EXISTS', `book ${book.id} is already in store ${storeId}`);
      }
      return { added, skipped: list.length - added };
    });
    if (reads.hasReplica && result.added > 0) await reads.recordWrite([fenceKey.catalogue, fenceKey.store(storeId)]);
    return result;
  }

  async function addBook(actor: Actor, storeId: string, book: BookInfo, stockLevel: number): Promise<void> {
    await addBooks(actor, storeId, [book], stockLevel);
  }

  async function addStock(actor: Actor, storeId: string, bookId: string, delta: number): Promise<void> {
    await attemptWrite(db, async () => ((await books.changeStock(db, actor, storeId, bookId, delta)) ? true : null), {
      actor,
      store: { id: storeId, as: 'owner' },
      books: { ids: [bookId], change: [delta] },
    });
    if (reads.hasReplica) await reads.recordWrite([fenceKey.catalogue, fenceKey.store(storeId)]);
  }

  /** Which of these books the store lists (the command-line import checks where it left off). */
  async function listedBooks(storeId: string, bookIds: readonly string[]): Promise<string[]> {
    return [...(await books.findStockLevels(db, storeId, bookIds)).keys()];
  }

  return { createStore, addBooks, addBook, addStock, listedBooks };
}
