import type { Actor } from '../domain/actor.js';
import { refuse } from '../domain/messages.js';
import * as users from '../repositories/users-repository.js';
import type { ServiceContext } from './context.js';

/** Why the token checker refused a token, as a refusal (worded in domain/messages.ts). */
const TOKEN_REFUSALS = {
  malformed: 'malformed token',
  'not ours': 'token not ours',
  expired: 'token expired',
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
    if ((await users.findPasswordHash(db, userId)) === null) refuse({ reason: 'unknown user', userId });
    if (token === undefined || token === '') refuse({ reason: 'no token' });
    const checked = tokens.verify(token, Date.now());
    return refuse({ reason: 'claims' in checked ? 'token of another user' : TOKEN_REFUSALS[checked.refused] });
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
    const passwordHash = (await users.findPasswordHash(db, userId)) ?? refuse({ reason: 'unknown user', userId });
    if (!(await passwords.verify(userId, password, passwordHash))) refuse({ reason: 'wrong password' });
    return { userId, credential: { kind: 'password', passwordHash } };
  }

  /** After a refusal of a remembered password (it was changed since), verify it afresh next time. */
  function forgetPassword(userId: string, password: string): void {
    passwords.forget(userId, password);
  }

  return { tokenActor, refuseToken, byToken, rememberedActor, byPassword, forgetPassword };
}
