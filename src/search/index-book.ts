import type { BookIndexer } from '../services/store-service.js';

/** Placeholder until full-text search lands: nothing to index. */
export const indexBook: BookIndexer = async () => {};
