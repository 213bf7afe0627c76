import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Passwords are stored as scrypt hashes (memory-hard): `scrypt$<logN>$<r>$<p>$<salt>$<hash>`.
 * The parameters travel with the hash, so the cost can be raised later without breaking logins.
 */
const KEY_LENGTH = 32;

function scryptAsync(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string, logN: number): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, logN, 8, 1);
  return `scrypt$${logN}$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPasswordHash(password: string, stored: string): Promise<boolean> {
  const [scheme, logN, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), Number(logN), Number(r), Number(p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * payment, add_funds, close_order and query_order carry the password on every call; a
 * memory-hard hash per call would cap throughput at a few dozen calls per second.
 * So a successful verification is remembered for a short while, keyed by an HMAC (server
 * secret) of the stored hash and the supplied password: the cache holds no password and no
 * hash that could be attacked offline, a changed password (new stored hash) can never hit an old
 * entry, even in another server process, and only correct passwords are ever cached.
 */
export class PasswordVerifier {
  private readonly verified = new Map<string, number>();

  constructor(
    private readonly secret: Buffer,
    private readonly now: () => number,
    private readonly ttlMs = 5 * 60_000,
    private readonly maxEntries = 100_000,
  ) {}

  async verify(password: string, storedHash: string): Promise<boolean> {
    const key = createHmac('sha256', this.secret).update(storedHash).update('\0').update(password).digest('base64url');
    const until = this.verified.get(key);
    const now = this.now();
    if (until !== undefined && until > now) return true;
    if (!(await verifyPasswordHash(password, storedHash))) return false;
    if (this.verified.size >= this.maxEntries) this.evict(now);
    this.verified.set(key, now + this.ttlMs);
    return true;
  }

  private evict(now: number): void {
    for (const [key, until] of this.verified) if (until <= now) this.verified.delete(key);
    // Still full: drop the oldest insertions (Map iterates in insertion order).
    for (const key of this.verified.keys()) {
      if (this.verified.size < this.maxEntries * 0.9) break;
      this.verified.delete(key);
    }
  }
}
