import type { Actor } from '../domain/actor.js';
import { refuse, refusalError } from '../domain/messages.js';
import type { Queryable } from '../db/database.js';
import { fail } from '../errors.js';
import { unindexStore } from '../repositories/search-repository.js';
import * as sessions from '../repositories/sessions-repository.js';
import * as stores from '../repositories/stores-repository.js';
import * as users from '../repositories/users-repository.js';
import type { ServiceContext } from './context.js';
import { fenceKey } from './read-routing.js';
import { attemptWrite, refusalOf } from './refusals.js';

export type AccountService = ReturnType<typeof createAccountService>;

export interface AccountView {
  user_id: string;
  balance: number;
  escrow: number;
  stores: { store_id: string; closed: boolean }[];
}

export function createAccountService(ctx: ServiceContext) {
  const { db, tokens, passwords, settings, reads } = ctx;

  /** Throws the refusal of a statement whose credential check failed (asked on the transaction it ran in). */
  const refused = async (q: Queryable, actor: Actor): Promise<never> => {
    throw (await refusalOf(q, { actor })) ?? refusalError({ reason: 'credential changed' });
  };

  async function register(userId: string, password: string): Promise<void> {
    await registerHashed(userId, await passwords.hash(password, settings.scryptLogN));
  }

  /**
   * Registers with a password hashed beforehand (hashPassword): `bookstore import` hashes before
   * it opens the embedded database, so that scrypt's memory and the database's never add up.
   */
  async function registerHashed(userId: string, passwordHash: string): Promise<void> {
    if ((await users.insertUser(db, userId, passwordHash)) === null) fail('USER_EXISTS', `user ${userId} already exists`);
  }

  /**
   * Removes the account; its stores close. Refused while it has money or open orders. The order
   * of the steps matters: sessions end and stores close first — each waits for writes in flight
   * that hold them — so the check for open orders that follows sees every order those writes made.
   */
  async function unregister(actor: Actor): Promise<void> {
    const closed = await db.transaction(async (tx) => {
      const userPk = (await users.lockActor(tx, actor)) ?? (await refused(tx, actor));
      await sessions.deleteAllSessions(tx, userPk);
      const closed = await stores.closeStoresOf(tx, userPk);
      const { balance, open_orders } = await users.findRemovalObstacles(tx, userPk);
      if (open_orders) fail('ACCOUNT_BUSY', 'the account has open orders (as buyer or seller): finish or cancel them first');
      if (balance !== 0) fail('ACCOUNT_BUSY', `the account still holds ${balance}: withdraw it first (add_funds with a negative add_value)`);
      for (const storeId of closed) await unindexStore(tx, storeId);
      await users.markUnregistered(tx, userPk);
      return closed;
    });
    if (reads.hasReplica) await reads.recordWrite([fenceKey.user(actor.userId), fenceKey.catalogue, ...closed.map(fenceKey.store)]);
  }

  /** Opens a session on the terminal (replacing the terminal's previous one) and returns its token. */
  async function login(actor: Actor, terminal: string): Promise<string> {
    const tokenId = ctx.ids.newId();
    const expiresAt = await attemptWrite(db, () => sessions.openSession(db, actor, terminal, tokenId, settings.tokenTtlS), { actor });
    const now = Math.floor(Date.now() / 1000);
    return tokens.sign({ sub: actor.userId, trm: terminal, jti: tokenId, iat: now, exp: Math.floor(expiresAt.getTime() / 1000) });
  }

  async function logout(actor: Actor): Promise<void> {
    await attemptWrite(db, async () => ((await sessions.closeSession(db, actor)) ? true : null), { actor });
  }

  /** Changing the password ends every session of the user. */
  async function changePassword(actor: Actor, newPassword: string): Promise<void> {
    const newHash = await passwords.hash(newPassword, settings.scryptLogN);
    await db.transaction(async (tx) => {
      const userPk = (await users.replacePasswordHash(tx, actor, newHash)) ?? (await refused(tx, actor));
      await sessions.deleteAllSessions(tx, userPk);
    });
  }

  /** Deposits (or, negative, withdraws) money; a balance never goes below 0. */
  async function addFunds(actor: Actor, amount: number): Promise<void> {
    await attemptWrite(db, async () => ((await users.changeOwnBalance(db, actor, amount)) ? true : null), { actor, balanceChange: amount });
  }

  /**
   * A session for an existing user, without their password: for the command line only (its
   * operator has the database). End it with logout.
   */
  async function operatorSession(userId: string, terminal: string): Promise<Actor> {
    const tokenId = ctx.ids.newId();
    if ((await sessions.openOperatorSession(db, userId, terminal, tokenId, settings.tokenTtlS)) === null) {
      refuse({ reason: 'unknown user', userId });
    }
    return { userId, credential: { kind: 'session', terminal, tokenId } };
  }

  const anyUserExists = () => users.anyUserExists(db);

  /** The caller's balance, money in escrow and stores (GET /auth/me). */
  async function describeAccount(actor: Actor): Promise<AccountView> {
    return db.transaction(async (tx) => {
      const userPk = (await users.lockActor(tx, actor)) ?? (await refused(tx, actor));
      const { balance, escrow } = await users.findAccountSummary(tx, userPk);
      return { user_id: actor.userId, balance, escrow, stores: await stores.listStoresOf(tx, userPk) };
    });
  }

  return { register, registerHashed, unregister, login, logout, changePassword, addFunds, describeAccount, operatorSession, anyUserExists };
}
