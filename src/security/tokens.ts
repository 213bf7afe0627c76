import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Login tokens are HS256 JWTs signed with the server secret. A token names its session
 * (user, terminal, token id); the session row decides whether it is still current, so logout
 * and password changes take effect at once in every server process.
 */
export interface TokenClaims {
  sub: string; // user_id
  trm: string; // terminal
  jti: string; // session token id
  iat: number;
  exp: number; // seconds since epoch
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

export class TokenSigner {
  constructor(private readonly secret: Buffer) {}

  sign(claims: TokenClaims): string {
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${HEADER}.${payload}.${this.mac(`${HEADER}.${payload}`)}`;
  }

  /** The claims of a well-formed, correctly signed, unexpired token, or why it is not one. */
  verify(token: string, nowMs: number): { claims: TokenClaims } | { refused: 'malformed' | 'not ours' | 'expired' } {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== HEADER) return { refused: 'malformed' };
    const [header, payload, signature] = parts as [string, string, string];
    const expected = Buffer.from(this.mac(`${header}.${payload}`));
    const actual = Buffer.from(signature);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return { refused: 'not ours' };
    let claims: TokenClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
    } catch {
      return { refused: 'malformed' };
    }
    if (typeof claims.sub !== 'string' || typeof claims.trm !== 'string' || typeof claims.jti !== 'string') return { refused: 'malformed' };
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= nowMs) return { refused: 'expired' };
    return { claims };
  }

  private mac(data: string): string {
    return createHmac('sha256', this.secret).update(data).digest('base64url');
  }
}
