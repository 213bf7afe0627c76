import type { Queryable } from '../db/database.js';
import { fail } from '../errors.js';
import * as books from '../repositories/books-repository.js';
import type { BookInfo } from '../domain/book.js';
import * as stores from '../repositories/stores-repository.js';
import type { AccountService } from './account-service.js';
import type { ServiceContext } from './context.js';

export type BookIndexer = (tx: Queryable, storeId: string, book: BookInfo) => Promise<void>;

export type StoreService = ReturnType<typeof createStoreService>;

export function createStoreService(ctx: ServiceContext, accounts: AccountService, indexBook: BookIndexer) {
  const { db, clock } = ctx;

  /** 513 when the store does not exist, 401 when it is someone else's. */
  async function assertOwnStore(q: Queryable, storeId: string, userPk: number): Promise<void> {
    const owner = await stores.findStoreOwner(q, storeId);
    if (owner === null) fail('STORE_NOT_FOUND');
    if (owner !== userPk) fail('AUTH_FAILED', 'store belongs to another seller');
  }

  async function createStore(userId: string, token: string | undefined, storeId: string): Promise<void> {
    const { userPk } = await accounts.authenticateByToken(userId, token, 'USER_NOT_FOUND');
    if (!(await stores.insertStore(db, storeId, userPk, clock.now()))) fail('STORE_EXISTS');
  }

  /** Lists a book; it is searchable as soon as this returns (indexed in the same transaction). */
  async function addBook(userId: string, token: string | undefined, storeId: string, book: BookInfo, stockLevel: number) {
    const { userPk } = await accounts.authenticateByToken(userId, token, 'USER_NOT_FOUND');
    await db.transaction(async (tx) => {
      await assertOwnStore(tx, storeId, userPk);
      if (!(await books.insertBook(tx, storeId, book, stockLevel))) fail('BOOK_EXISTS');
      await indexBook(tx, storeId, book);
    });
  }

  async function addStockLevel(userId: string, token: string | undefined, storeId: string, bookId: string, delta: number) {
    const { userPk } = await accounts.authenticateByToken(userId, token, 'USER_NOT_FOUND');
    await assertOwnStore(db, storeId, userPk);
    const result = await books.changeStock(db, storeId, bookId, delta);
    if (result === 'no-book') fail('BOOK_NOT_FOUND');
    if (result === 'too-low') fail('STOCK_TOO_LOW');
    if (result === 'too-high') fail('BAD_REQUEST', 'add_stock_level: stock level would exceed 2147483647');
  }

  return { assertOwnStore, createStore, addBook, addStockLevel };
}
