/**
 * Who is calling, as resolved once by the request pipeline before any service runs: the user's
 * key and the credential the database must re-check in the statement that acts (see actor_pk in
 * migrations/004). Services never see a raw token or password.
 */
export type Credential =
  /** A login session, named by a verified token. */
  | { kind: 'session'; terminal: string; tokenId: string }
  /** The stored password hash the caller's password was verified against. */
  | { kind: 'password'; passwordHash: string };

export interface Actor {
  userId: string;
  credential: Credential;
}

/** The four parameters of actor_pk(user_id, terminal, token_id, password_hash). */
export function credentialParams(actor: Actor): [string, string | null, string | null, string | null] {
  const c = actor.credential;
  return c.kind === 'session' ? [actor.userId, c.terminal, c.tokenId, null] : [actor.userId, null, null, c.passwordHash];
}
