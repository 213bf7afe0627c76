import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { actingUserId } from './authenticate.js';

/** Exponential back-off for one kind of key: `free` failures, then waits of base, 2·base, 4·base… up to cap. */
export interface BackOff {
  free: number;
  baseMs: number;
  capMs: number;
  /** A key's failures are forgotten this long after its last one (once it is no longer blocked). */
  forgetMs: number;
}

export interface ThrottlePolicy {
  /** Failures for one user id, from anywhere. Low cap: a guesser must not lock the owner out for long. */
  user: BackOff;
  /** Failures from one client address, for any user id. High cap: it only hurts whoever fails from there. */
  address: BackOff;
  /** After a correct password, that (user id, address) pair ignores the user id's back-off this long. */
  trustMs: number;
  /** Keys kept per table; beyond, stale ones and then the oldest are dropped (memory stays bounded). */
  maxKeys: number;
  /**
   * Loopback clients are not throttled by address (their user ids still are): they are this
   * machine's own — course test suites, load generators, a local proxy — which fail credentials
   * on purpose by the dozen and must keep getting the contract's 401/511/512.
   */
  exemptLoopback: boolean;
}

/** The numbers are argued in the README ("Security"). */
export const DEFAULT_THROTTLE: ThrottlePolicy = {
  user: { free: 5, baseMs: 1_000, capMs: 60_000, forgetMs: 15 * 60_000 },
  address: { free: 20, baseMs: 1_000, capMs: 15 * 60_000, forgetMs: 60 * 60_000 },
  trustMs: 24 * 3_600_000,
  maxKeys: 100_000,
  exemptLoopback: true,
};

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

interface Entry {
  failures: number;
  lastFailureAt: number;
  /** Set by the last failure past the free allowance. */
  blockedUntil: number;
  /** Set while an attempt past the free allowance is being decided (see `hold`). */
  heldUntil: number;
}

class BackOffTable {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly policy: BackOff,
    private readonly maxKeys: number,
  ) {}

  waitMs(key: string, now: number): number {
    const e = this.live(key, now);
    return e === undefined ? 0 : Math.max(0, e.blockedUntil - now, e.heldUntil - now);
  }

  /**
   * An attempt past the free allowance holds the wait its failure would cause until it is
   * decided, so that many attempts sent at once when a wait ends cannot all slip through.
   */
  hold(key: string, now: number): boolean {
    const e = this.live(key, now);
    if (e === undefined || e.failures < this.policy.free) return false;
    e.heldUntil = now + this.delayMs(e.failures + 1);
    return true;
  }

  release(key: string): void {
    const e = this.entries.get(key);
    if (e !== undefined) e.heldUntil = 0;
  }

  fail(key: string, now: number): void {
    let e = this.live(key, now);
    if (e === undefined) {
      if (this.entries.size >= this.maxKeys) this.evict(now);
      e = { failures: 0, lastFailureAt: now, blockedUntil: 0, heldUntil: 0 };
      this.entries.set(key, e);
    }
    e.failures++;
    e.lastFailureAt = now;
    e.heldUntil = 0;
    if (e.failures > this.policy.free) e.blockedUntil = now + this.delayMs(e.failures);
  }

  private delayMs(failures: number): number {
    const doublings = Math.min(failures - this.policy.free - 1, 30);
    return Math.min(this.policy.baseMs * 2 ** doublings, this.policy.capMs);
  }

  private live(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e !== undefined && this.stale(e, now)) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private stale(e: Entry, now: number): boolean {
    return now - e.lastFailureAt >= this.policy.forgetMs && e.blockedUntil <= now && e.heldUntil <= now;
  }

  private evict(now: number): void {
    for (const [key, e] of this.entries) if (this.stale(e, now)) this.entries.delete(key);
    for (const key of this.entries.keys()) {
      if (this.entries.size < this.maxKeys * 0.9) break;
      this.entries.delete(key); // the oldest first (Map keeps insertion order)
    }
  }
}

/** One admitted attempt: which keys it holds. */
export interface Attempt {
  userId: string;
  address: string;
  heldUser: boolean;
  heldAddress: boolean;
}

/**
 * Failed password and token attempts, per user id and per client address, in this process's
 * memory. A refusal here costs two map lookups: no hashing, no database.
 */
export class Throttle {
  private readonly users: BackOffTable;
  private readonly addresses: BackOffTable;
  private readonly trusted = new Map<string, number>();

  constructor(
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {
    this.users = new BackOffTable(policy.user, policy.maxKeys);
    this.addresses = new BackOffTable(policy.address, policy.maxKeys);
  }

  /**
   * An attempt that may go ahead, or the refusal (429) saying how long to wait. `hold`: a password
   * attempt past the allowance holds its keys until it is decided (token guesses are hopeless, and
   * a busy client's concurrent token calls should not be serialized).
   */
  admit(userId: string, address: string, hold = true): Attempt | AppError {
    const now = this.now();
    const addressWait = this.countsAddress(address) ? this.addresses.waitMs(address, now) : 0;
    if (addressWait > 0) return refusal('from this address', addressWait);
    // The user id's back-off does not apply where its owner recently logged in: an attacker
    // elsewhere cannot keep them out.
    const trusted = this.isTrusted(userId, address, now);
    const userWait = trusted ? 0 : this.users.waitMs(userId, now);
    if (userWait > 0) return refusal('for this user id', userWait);
    if (!hold) return { userId, address, heldAddress: false, heldUser: false };
    return {
      userId,
      address,
      heldAddress: this.countsAddress(address) && this.addresses.hold(address, now),
      heldUser: !trusted && this.users.hold(userId, now),
    };
  }

  /** The credential was refused (or the user id is unknown): both keys count it. */
  failed(attempt: Attempt): void {
    const now = this.now();
    this.users.fail(attempt.userId, now);
    if (this.countsAddress(attempt.address)) this.addresses.fail(attempt.address, now);
  }

  /** The credential was accepted; `byPassword`: its owner is here, trust this address for them. */
  succeeded(attempt: Attempt, byPassword: boolean): void {
    this.settled(attempt);
    if (!byPassword) return;
    const key = `${attempt.userId}\0${attempt.address}`;
    const now = this.now();
    if (!this.trusted.has(key) && this.trusted.size >= this.policy.maxKeys) {
      for (const [k, until] of this.trusted) if (until <= now || this.trusted.size >= this.policy.maxKeys * 0.9) this.trusted.delete(k);
    }
    this.trusted.delete(key); // re-inserted last: the newest
    this.trusted.set(key, now + this.policy.trustMs);
  }

  /** Neither accepted nor refused (the request failed otherwise): only release what it held. */
  settled(attempt: Attempt): void {
    if (attempt.heldUser) this.users.release(attempt.userId);
    if (attempt.heldAddress) this.addresses.release(attempt.address);
  }

  private countsAddress(address: string): boolean {
    return !(this.policy.exemptLoopback && LOOPBACK.test(address));
  }

  private isTrusted(userId: string, address: string, now: number): boolean {
    const until = this.trusted.get(`${userId}\0${address}`);
    return until !== undefined && until > now;
  }
}

function refusal(what: string, waitMs: number): AppError {
  const seconds = Math.ceil(waitMs / 1000);
  return new AppError('TOO_MANY_ATTEMPTS', `too many failed attempts ${what}: try again in ${seconds} s`, seconds);
}

/** Statuses with which the authentication hook refuses a credential or an unknown user (API.md: 401, 511, 512). */
const REFUSED = new Set([401, 511, 512]);

/**
 * Throttles every route with a credential (password or token), before authentication runs — so
 * that a refusal costs no hashing and no query — and learns from how authentication went: a
 * request refused before its handler ran (no actor) with 401/511/512 is a failed attempt; one
 * with an actor got its credential accepted. Must be registered before the authentication hook.
 */
export function registerThrottle(server: FastifyInstance, throttle: Throttle): void {
  const attempts = new WeakMap<FastifyRequest, Attempt>();

  server.addHook('preHandler', (request, _reply, done) => {
    const rule = request.routeOptions.config.auth;
    if (rule === undefined || rule.by === 'none') return done();
    let userId: string;
    try {
      userId = actingUserId(request, rule);
    } catch {
      return done(); // the authentication hook answers it (400)
    }
    const admitted = throttle.admit(userId, request.ip, rule.by === 'password');
    if (admitted instanceof AppError) return done(admitted);
    attempts.set(request, admitted);
    done();
  });

  server.addHook('onResponse', (request, reply, done) => {
    const attempt = attempts.get(request);
    if (attempt === undefined) return done();
    const accepted = (request.actor as unknown) !== null;
    if (!accepted && REFUSED.has(reply.statusCode)) throttle.failed(attempt);
    else if (accepted && reply.statusCode !== 401) throttle.succeeded(attempt, request.routeOptions.config.auth?.by === 'password');
    else throttle.settled(attempt);
    done();
  });
}
