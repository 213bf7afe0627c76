import { refuse } from '../domain/messages.js';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { pageOf, type PageRequest } from '../domain/paging.js';
import { searchDocument, type SearchDocument } from '../domain/search/document.js';
import { SEARCH_FIELDS, type SearchField } from '../domain/search/fields.js';
import { tierQueries } from '../domain/search/query.js';
import { keywordWords } from '../domain/search/tokenizer.js';
import { fail } from '../errors.js';
import * as repo from '../repositories/search-repository.js';
import type { SearchBook } from '../repositories/search-repository.js';
import { findStore } from '../repositories/stores-repository.js';
import type { ServiceContext } from './context.js';
import { fenceKey } from './read-routing.js';

export interface SearchRequest extends PageRequest {
  keyword: string;
  scope?: readonly SearchField[] | null;
  store_id?: string | null;
}

export interface SearchResult {
  books: SearchBook[];
  total: number;
  page: number;
  page_size: number;
}

export type SearchService = ReturnType<typeof createSearchService>;

export function createSearchService({ db, reads }: Pick<ServiceContext, 'db' | 'reads'>) {
  /** Ranked full-text search, site-wide or in one store. 400 for a blank keyword, 513 for an unknown store. */
  async function searchBooks(request: SearchRequest): Promise<SearchResult> {
    if (request.keyword.trim() === '') fail('BAD_REQUEST', 'keyword: must not be empty');
    const { page, page_size: pageSize, offset } = pageOf(request);
    const storeId = request.store_id ?? null;
    const scope = request.scope ? SEARCH_FIELDS.filter((f) => request.scope!.includes(f)) : [...SEARCH_FIELDS];
    if (scope.length === 0) fail('BAD_REQUEST', 'scope: must name at least one field');
    const words = keywordWords(request.keyword);

    // One statement answers a search; the store is looked up only when nothing matched, to
    // tell an empty store (200) from an unknown one (513).
    // From a replica once it has every catalogue change (and the store's, for a store search).
    const source = await reads.forReader(storeId === null ? [fenceKey.catalogue] : [fenceKey.catalogue, fenceKey.store(storeId)]);
    const rows = words.length === 0 ? [] : await repo.findPage(source, tierQueries(words, scope, storeId), storeId, pageSize, offset);
    const total = Number(rows[0]?.total ?? 0);
    if (total === 0 && storeId !== null) {
      const store = await findStore(db, storeId);
      if (store === null || store.closed) refuse({ reason: store === null ? 'no such store' : 'store closed', storeId });
    }
    const books: SearchBook[] = [];
    for (const { total: _total, id, ...book } of rows) if (id !== null) books.push({ id, ...book, tags: book.tags ?? [] });
    return { books, total, page, page_size: pageSize };
  }

  /**
   * Indexes the listings made before search existed (once, after the migration that added
   * it); returns how many. Several servers starting together take turns.
   */
  async function indexMissing(batchSize = 500): Promise<number> {
    if (!(await repo.backfillPending(db))) return 0;
    let done = 0;
    for (;;) {
      // Read and tokenize outside any transaction; only the writes hold the backfill lock.
      const batch = await repo.findUnindexed(db, batchSize);
      if (batch.length === 0) {
        await repo.finishBackfill(db);
        return done;
      }
      const documents: { book: repo.UnindexedBook; document: SearchDocument }[] = [];
      for (const book of batch) documents.push({ book, document: await searchDocument({ ...book, id: book.book_id }, () => nextTurn()) });
      done += await db.transaction(async (tx) => {
        const open = await repo.claimUnindexed(tx, batch);
        let indexed = 0;
        for (const { book, document } of documents) {
          if (!open.has(repo.listingKey(book.store_id, book.book_id))) continue; // another server was first
          await repo.indexListing(tx, book.store_id, book.book_id, document);
          indexed++;
        }
        return indexed;
      });
    }
  }

  return { searchBooks, indexMissing };
}
