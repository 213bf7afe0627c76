import type { Actor } from '../domain/actor.js';
import { fail } from '../errors.js';
import * as users from '../repositories/users-repository.js';
import type { ServiceContext } from './context.js';

const TOKEN_REFUSALS = {
  missing: 'no token: send the token from /auth/login in the `token` header',
  malformed: 'malformed token: send the token from /auth/login unchanged',
  'not ours': 'token not issued by this server (or its secret has changed): log in again',
  expired: 'token expired: log in again',
  'other user': 'token of another user: it must belong to the user_id of the request',
} as const;

export type Authenticator = ReturnType<typeof createAuthenticator>;

/**
 * Resolves the caller before any service runs. A token is checked here without the database (its
 * signature, expiry and user); whether its session is still current is re-checked by the
 * statement that acts. A password is checked against the stored hash (memory-hard, unless it was
 * verified moments ago). Refusals follow the contract's order: an unknown user before a bad
 * credential.
 */
export function createAuthenticator({ db, tokens, passwords }: Pick<ServiceContext, 'db' | 'tokens' | 'passwords'>) {
  /** The caller named by a valid token of theirs, without the database; null when the token is refused. */
  function tokenActor(userId: string, token: string | undefined): Actor | null {
    if (token === undefined || token === '') return null;
    const checked = tokens.verify(token, Date.now());
    if (!('claims' in checked) || checked.claims.sub !== userId) return null;
    return { userId, credential: { kind: 'session', terminal: checked.claims.trm, tokenId: checked.claims.jti } };
  }

  /** Why a token was refused: an unknown user first (API.md's order), else what is wrong with it. */
  async function refuseToken(userId: string, token: string | undefined): Promise<never> {
    if ((await users.findPasswordHash(db, userId)) === null) fail('UNKNOWN_USER', `user ${userId} does not exist`);
    if (token === undefined || token === '') fail('AUTH_FAILED', TOKEN_REFUSALS.missing);
    const checked = tokens.verify(token, Date.now());
    return fail('AUTH_FAILED', TOKEN_REFUSALS['claims' in checked ? 'other user' : checked.refused]);
  }

  async function byToken(userId: string, token: string | undefined): Promise<Actor> {
    return tokenActor(userId, token) ?? refuseToken(userId, token);
  }

  /** The caller, when this password was verified moments ago (no database, no hashing). */
  function rememberedActor(userId: string, password: string): Actor | null {
    const passwordHash = passwords.recall(userId, password);
    return passwordHash === undefined ? null : { userId, credential: { kind: 'password', passwordHash } };
  }

  async function byPassword(userId: string, password: string): Promise<Actor> {
    const remembered = rememberedActor(userId, password);
    if (remembered !== null) return remembered;
    const passwordHash = (await users.findPasswordHash(db, userId)) ?? fail('UNKNOWN_USER', `user ${userId} does not exist`);
    if (!(await passwords.verify(userId, password, passwordHash))) fail('AUTH_FAILED', 'wrong password');
    return { userId, credential: { kind: 'password', passwordHash } };
  }

  /** After a refusal of a remembered password (it was changed since), verify it afresh next time. */
  function forgetPassword(userId: string, password: string): void {
    passwords.forget(userId, password);
  }

  return { tokenActor, refuseToken, byToken, rememberedActor, byPassword, forgetPassword };
}
