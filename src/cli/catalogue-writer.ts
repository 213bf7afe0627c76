import { randomBytes } from 'node:crypto';
import type { Database, Queryable } from '../db/database.js';
import * as books from '../repositories/books-repository.js';
import type { BookInfo } from '../domain/book.js';
import * as stores from '../repositories/stores-repository.js';
import * as users from '../repositories/users-repository.js';
import { indexBook } from '../services/index-book.js';
import { hashPassword } from '../security/passwords.js';
import { CliError } from './io.js';

/**
 * Catalogue writes for the command line: the same repositories and search indexer the HTTP
 * add_book path uses, without tokens (the operator has the database), one transaction per batch.
 */

export const MAX_ID_LENGTH = 255;
const MAX_INT32 = 2_147_483_647;
const MAX_PRICE = 1_000_000_000_000;

export function generatePassword(): string {
  return randomBytes(12).toString('base64url');
}

export interface EnsuredUser {
  userPk: number;
  created: boolean;
  /** The password of a seller this call created. */
  password: string | null;
}

/** The user's internal id; registers the user (given or generated password) when missing. */
export async function ensureUser(
  db: Database,
  userId: string,
  password: string | undefined,
  scryptLogN: number,
  now: Date,
): Promise<EnsuredUser> {
  checkId('seller id', userId);
  const existing = await users.findUser(db, userId);
  if (existing) return { userPk: existing.id, created: false, password: null };
  const chosen = password ?? generatePassword();
  const userPk = await users.insertUser(db, userId, await hashPassword(chosen, scryptLogN), now);
  if (userPk !== null) return { userPk, created: true, password: chosen };
  // Registered concurrently by someone else: use that account.
  const raced = await users.findUser(db, userId);
  if (!raced) throw new CliError(`could not create seller "${userId}"`);
  return { userPk: raced.id, created: false, password: null };
}

/** Creates the store for the seller when missing; refuses a store owned by someone else. */
export async function ensureStore(db: Database, storeId: string, sellerPk: number, sellerId: string, now: Date): Promise<boolean> {
  checkId('store id', storeId);
  const created = await stores.insertStore(db, storeId, sellerPk, now);
  if (created) return true;
  const owner = await stores.findStoreOwner(db, storeId);
  if (owner !== sellerPk) throw new CliError(`store "${storeId}" belongs to another user, not "${sellerId}"; choose another --store`);
  return false;
}

export interface WriteCounts {
  imported: number;
  skipped: number;
  invalid: number;
}

export interface InvalidBook {
  id: string;
  reason: string;
}

/**
 * Lists a batch of books in a store in one transaction, each indexed for search like add_book.
 * Books already listed there are skipped (so a re-run adds nothing twice). Should the batch fail
 * as a whole, its books are retried one per transaction so one bad row cannot sink the others.
 */
export async function writeBooks(
  db: Database,
  storeId: string,
  batch: readonly BookInfo[],
  stockLevel: number,
  onInvalid: (book: InvalidBook) => void,
): Promise<WriteCounts> {
  const counts: WriteCounts = { imported: 0, skipped: 0, invalid: 0 };
  const valid: BookInfo[] = [];
  for (const book of batch) {
    const reason = invalidReason(book);
    if (reason) {
      counts.invalid++;
      onInvalid({ id: book.id, reason });
    } else valid.push(book);
  }
  const insertAll = async (tx: Queryable, list: readonly BookInfo[]) => {
    let imported = 0;
    for (const book of list) {
      if (!(await books.insertBook(tx, storeId, book, stockLevel))) continue;
      await indexBook(tx, storeId, book);
      imported++;
    }
    return imported;
  };
  try {
    const imported = await db.transaction((tx) => insertAll(tx, valid));
    counts.imported += imported;
    counts.skipped += valid.length - imported;
  } catch {
    for (const book of valid) {
      try {
        const imported = await db.transaction((tx) => insertAll(tx, [book]));
        if (imported === 1) counts.imported++;
        else counts.skipped++;
      } catch (err) {
        counts.invalid++;
        onInvalid({ id: book.id, reason: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  return counts;
}

function checkId(what: string, id: string): void {
  if (id === '' || [...id].length > MAX_ID_LENGTH || id.includes('\u0000')) {
    throw new CliError(`${what} must be 1 to ${MAX_ID_LENGTH} characters without NUL, got "${id.slice(0, 40)}"`);
  }
}

/** The same limits the HTTP schema of add_book enforces. */
export function invalidReason(book: BookInfo): string | null {
  if (typeof book.id !== 'string' || book.id === '' || [...book.id].length > MAX_ID_LENGTH) return 'id must be 1 to 255 characters';
  if (book.id.includes('\u0000')) return 'id contains NUL';
  if (book.price != null && (!Number.isSafeInteger(book.price) || book.price < 0 || book.price > MAX_PRICE)) {
    return `price ${book.price} is not a whole number of cents between 0 and ${MAX_PRICE}`;
  }
  if (book.pages != null && (!Number.isSafeInteger(book.pages) || book.pages < 0 || book.pages > MAX_INT32)) {
    return `pages ${book.pages} is out of range`;
  }
  return null;
}
