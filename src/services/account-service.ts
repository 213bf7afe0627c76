import { fail, type ErrorCode } from '../errors.js';
import { hashPassword } from '../security/passwords.js';
import * as sessions from '../repositories/sessions-repository.js';
import * as users from '../repositories/users-repository.js';
import type { UserRow } from '../repositories/users-repository.js';
import type { ServiceContext } from './context.js';

export type AccountService = ReturnType<typeof createAccountService>;

export function createAccountService(ctx: ServiceContext) {
  const { db, clock, tokens, passwords, settings } = ctx;

  /** The user by password: `missing` when no such user, 401 when the password is wrong. */
  async function authenticateByPassword(userId: string, password: string, missing: ErrorCode): Promise<UserRow> {
    const user = (await users.findUser(db, userId)) ?? fail(missing);
    if (!(await passwords.verify(userId, password, user))) fail('AUTH_FAILED');
    return user;
  }

  /** The session a token claims for this user, if it is well-formed, signed by us and unexpired. */
  function claimedSession(userId: string, token: string | undefined): { terminal: string; tokenId: string } | null {
    const claims = token ? tokens.verify(token, clock.now().getTime()) : null;
    return claims !== null && claims.sub === userId ? { terminal: claims.trm, tokenId: claims.jti } : null;
  }

  /** The user's id by login token: `missing` when no such user, 401 unless the token is their current one. */
  async function authenticateByToken(userId: string, token: string | undefined, missing: ErrorCode) {
    const claimed = claimedSession(userId, token);
    const found = await users.findUserSession(db, userId, claimed?.terminal ?? null, claimed?.tokenId ?? null, clock.now());
    if (!found) fail(missing);
    if (!found.session_ok || !claimed) fail('AUTH_FAILED');
    return { userPk: found.id, ...claimed };
  }

  async function register(userId: string, password: string): Promise<void> {
    const hash = await hashPassword(password, settings.scryptLogN);
    if ((await users.insertUser(db, userId, hash, clock.now())) === null) fail('USER_EXISTS');
  }

  async function unregister(userId: string, password: string): Promise<void> {
    const user = await authenticateByPassword(userId, password, 'AUTH_FAILED');
    await db.transaction(async (tx) => {
      const locked = (await users.findUser(tx, userId, true)) ?? fail('AUTH_FAILED');
      if (locked.id !== user.id) fail('AUTH_FAILED');
      const unpaidCreatedAfter = new Date(clock.now().getTime() - settings.orderTimeoutS * 1000);
      if (locked.balance !== 0 || (await users.hasOpenOrders(tx, user.id, unpaidCreatedAfter))) fail('ACCOUNT_BUSY');
      await users.markUnregistered(tx, user.id, clock.now());
      await sessions.deleteAllSessions(tx, user.id);
    });
  }

  async function login(userId: string, password: string, terminal: string): Promise<string> {
    const user = await authenticateByPassword(userId, password, 'AUTH_FAILED');
    const now = clock.now();
    const tokenId = ctx.ids.newId();
    const exp = Math.floor(now.getTime() / 1000) + settings.tokenTtlS;
    await sessions.upsertSession(db, user.id, terminal, tokenId, new Date(exp * 1000));
    return tokens.sign({ sub: userId, trm: terminal, jti: tokenId, iat: Math.floor(now.getTime() / 1000), exp });
  }

  async function logout(userId: string, token: string | undefined): Promise<void> {
    const session = await authenticateByToken(userId, token, 'AUTH_FAILED');
    if (!(await sessions.deleteSession(db, session.userPk, session.terminal, session.tokenId))) fail('AUTH_FAILED');
  }

  /** Changing the password ends every session of the user. */
  async function changePassword(userId: string, oldPassword: string, newPassword: string): Promise<void> {
    const user = await authenticateByPassword(userId, oldPassword, 'AUTH_FAILED');
    const newHash = await hashPassword(newPassword, settings.scryptLogN);
    await db.transaction(async (tx) => {
      if (!(await users.replacePasswordHash(tx, user.id, user.password_hash, newHash))) fail('AUTH_FAILED');
      await sessions.deleteAllSessions(tx, user.id);
    });
  }

  /** Deposits (or, negative, withdraws) money; a balance never goes below 0. */
  async function addFunds(userId: string, password: string, amount: number): Promise<void> {
    const user = await authenticateByPassword(userId, password, 'AUTH_FAILED');
    if (await users.changeBalance(db, user.id, amount)) return;
    if (amount < 0) fail('INSUFFICIENT_FUNDS');
    fail('BAD_REQUEST', 'add_value: the balance would exceed the largest amount the service holds');
  }

  return { authenticateByPassword, authenticateByToken, claimedSession, register, unregister, login, logout, changePassword, addFunds };
}
