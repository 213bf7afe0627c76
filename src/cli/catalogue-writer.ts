import { randomBytes } from 'node:crypto';
import { Compile } from 'typebox/compile';
import type { Actor } from '../domain/actor.js';
import type { BookInfo as Book } from '../domain/book.js';
import { AppError } from '../errors.js';
import { Id } from '../schemas/common.js';
import { BookInfo } from '../schemas/seller.js';
import type { Services } from '../services/index.js';
import { CliError } from './io.js';

/**
 * Catalogue writes for the command line go through the same services and the same schema as
 * HTTP add_book: the operator (who has the database) acts in a session of the seller's.
 */

export function generatePassword(): string {
  return randomBytes(12).toString('base64url');
}

/** The terminal name of the command line's sessions. */
const CLI_TERMINAL = 'bookstore-cli';

export interface SellerSession {
  actor: Actor;
  created: boolean;
  /** The password of a seller this call created. */
  password: string | null;
}

const validId = Compile(Id);

/** Ids as the HTTP schema takes them: 1–255 characters, no NUL or lone surrogate. */
function checkId(what: string, id: string): void {
  const shown = id.slice(0, 40);
  if (!validId.Check(id)) throw new CliError(`${what} must be 1 to 255 characters without NUL, got "${shown}"`);
}

/**
 * A session of the seller's; registers the seller first (given or generated password) when
 * missing. `passwordHash`, when given, is `password` hashed already.
 */
export async function sellerSession(
  services: Services,
  userId: string,
  password: string | undefined,
  passwordHash?: string,
): Promise<SellerSession> {
  checkId('seller id', userId);
  const chosen = password ?? generatePassword();
  let created = true;
  try {
    if (password !== undefined && passwordHash !== undefined) await services.accounts.registerHashed(userId, passwordHash);
    else await services.accounts.register(userId, chosen);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    if (err.code !== 'USER_EXISTS') throw new CliError(`seller id "${userId.slice(0, 40)}": ${err.message}`);
    created = false; // an existing account (perhaps registered a moment ago by someone else)
  }
  const actor = await services.accounts.operatorSession(userId, CLI_TERMINAL);
  return { actor, created, password: created ? chosen : null };
}

/** Creates the store for the seller when missing; refuses a store owned by someone else, or closed. */
export async function ensureStore(services: Services, actor: Actor, storeId: string): Promise<boolean> {
  checkId('store id', storeId);
  try {
    await services.stores.createStore(actor, storeId);
    return true;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    if (err.code !== 'STORE_EXISTS') throw new CliError(`store id "${storeId.slice(0, 40)}": ${err.message}`);
  }
  const mine = (await services.accounts.describeAccount(actor)).stores.find((s) => s.store_id === storeId);
  if (mine === undefined) throw new CliError(`store "${storeId}" belongs to another user, not "${actor.userId}"; choose another --store`);
  if (mine.closed) throw new CliError(`store "${storeId}" is closed; choose another --store`);
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

const validBook = Compile(BookInfo);

/** Why add_book would refuse this book_info (the HTTP schema's first error), or null. */
export function invalidReason(book: unknown): string | null {
  if (validBook.Check(book)) return null;
  const [first] = validBook.Errors(book);
  if (!first) return 'does not match the book_info schema';
  const field = first.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'book_info';
  return `${field}: ${first.message}`;
}

/**
 * Lists a batch of books in the seller's store in one transaction, each searchable as soon as it
 * commits, like add_book. Books already listed there are skipped (so a re-run adds nothing
 * twice). Should the batch fail as a whole, its books are retried one per transaction so one bad
 * book cannot sink the others.
 */
export async function writeBooks(
  services: Services,
  actor: Actor,
  storeId: string,
  batch: readonly Book[],
  stockLevel: number,
  onInvalid: (book: InvalidBook) => void,
): Promise<WriteCounts> {
  const counts: WriteCounts = { imported: 0, skipped: 0, invalid: 0 };
  const valid: Book[] = [];
  for (const book of batch) {
    const reason = invalidReason(book);
    if (reason) {
      counts.invalid++;
      onInvalid({ id: String(book.id), reason });
    } else valid.push(book);
  }
  const add = (list: readonly Book[]) => services.stores.addBooks(actor, storeId, list, stockLevel, { skipExisting: true });
  try {
    const { added, skipped } = await add(valid);
    counts.imported += added;
    counts.skipped += skipped;
  } catch {
    for (const book of valid) {
      try {
        const { added } = await add([book]);
        if (added === 1) counts.imported++;
        else counts.skipped++;
      } catch (err) {
        counts.invalid++;
        onInvalid({ id: book.id, reason: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  return counts;
}
