import type { BookIndexer } from '../services/store-service.js';
import { fieldLexemes } from '../domain/search/document.js';
import { indexListing } from '../repositories/search-repository.js';

/** Indexes the listing in add_book's transaction: it is searchable as soon as add_book commits. */
export const indexBook: BookIndexer = async (tx, storeId, book) => {
  await indexListing(tx, storeId, book.id, fieldLexemes(book));
};
