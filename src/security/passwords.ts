import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { HashGate } from './hash-gate.js';

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
 * memory-hard hash per call would cap throughput at a few dozen calls per second per core.
 * So a successful verification is remembered for a few minutes, keyed by an HMAC (server
 * secret) of user id and password — the cache holds no password — together with the stored
 * hash it was checked against. A remembered credential counts only while that hash is still the
 * user's current one: the statement that acts re-checks it (actor_pk in migrations/004), so a
 * password change (a new hash) defeats old entries at once, in every server process. Only
 * correct passwords are ever remembered.
 *
 * Every hash the server computes — new passwords (register, password change) and checks — goes
 * through `gate`, which bounds how many run at once and how many may wait (hash-gate.ts).
 */
export class PasswordVerifier {
  private readonly verified = new Map<string, { passwordHash: string; until: number }>();

  constructor(
    private readonly secret: Buffer,
    private readonly now: () => number = Date.now,
    private readonly ttlMs = 5 * 60_000,
    private readonly maxEntries = 100_000,
    readonly gate: HashGate = new HashGate(4, 64),
  ) {}

  /** A new password's hash, computed when the gate lets it (503 OVERLOADED when its queue is full). */
  hash(password: string, logN: number): Promise<string> {
    return this.gate.run(() => hashPassword(password, logN));
  }

  /** The stored hash this user id and password were recently verified against, if any (to be re-checked in SQL). */
  recall(userId: string, password: string): string | undefined {
    const entry = this.verified.get(this.keyOf(userId, password));
    return entry !== undefined && entry.until > this.now() ? entry.passwordHash : undefined;
  }

  forget(userId: string, password: string): void {
    this.verified.delete(this.keyOf(userId, password));
  }

  /** Checks a password against the user's stored hash (memory-hard), remembering it when correct. */
  async verify(userId: string, password: string, passwordHash: string): Promise<boolean> {
    if (this.recall(userId, password) === passwordHash) return true;
    if (!(await this.gate.run(() => verifyPasswordHash(password, passwordHash)))) return false;
    const now = this.now();
    if (this.verified.size >= this.maxEntries) this.evict(now);
    this.verified.set(this.keyOf(userId, password), { passwordHash, until: now + this.ttlMs });
    return true;
  }

  private keyOf(userId: string, password: string): string {
    return createHmac('sha256', this.secret).update(userId).update('\0').update(password).digest('base64url');
  }

  private evict(now: number): void {
    for (const [key, entry] of this.verified) if (entry.until <= now) this.verified.delete(key);
    // Still full: drop the oldest insertions (Map iterates in insertion order).
    for (const key of this.verified.keys()) {
      if (this.verified.size < this.maxEntries * 0.9) break;
      this.verified.delete(key);
    }
  }
}
