import { randomUUID } from 'node:crypto';
import type { ResolvedConfig } from '../config.js';
import type { Database } from '../db/database.js';
import type { OrderEvents } from '../domain/events.js';
import { HashGate } from '../security/hash-gate.js';
import { PasswordVerifier } from '../security/passwords.js';
import { TokenSigner } from '../security/tokens.js';
import { createAccountService, type AccountService } from './account-service.js';
import { createAuthenticator, type Authenticator } from './authentication.js';
import { createHealthService, type HealthService } from './health-service.js';
import { createHousekeepingService, type HousekeepingService } from './housekeeping-service.js';
import { createIdempotencyService, type IdempotencyService } from './idempotency-service.js';
import type { ServiceContext } from './context.js';
import { createOrderService, type OrderService } from './order-service.js';
import { createReadRouting, type ReadRouting } from './read-routing.js';
import { createSearchService, type SearchService } from './search-service.js';
import { createStoreService, type StoreService } from './store-service.js';

export interface Services {
  idempotency: IdempotencyService<Services>;
  authenticator: Authenticator;
  accounts: AccountService;
  stores: StoreService;
  orders: OrderService;
  search: SearchService;
  health: HealthService;
  /** Deletes expired sessions and idempotency records (the housekeeping job). */
  housekeeping: HousekeepingService;
  /** Where reads go, and the replica's lag. */
  reads: ReadRouting;
}

/** Every service of the product, built from one set of narrow dependencies. */
export function createServices(ctx: ServiceContext): Services {
  return {
    /** Runs a write at most once per Idempotency-Key, with these services bound to its transaction. */
    idempotency: createIdempotencyService(ctx, (db, reads) => createServices({ ...ctx, db, reads })),
    authenticator: createAuthenticator(ctx),
    accounts: createAccountService(ctx),
    stores: createStoreService(ctx),
    orders: createOrderService(ctx),
    search: createSearchService(ctx),
    health: createHealthService(ctx),
    housekeeping: createHousekeepingService(ctx),
    reads: ctx.reads,
  };
}

const NO_EVENTS: OrderEvents = { created() {}, paid() {}, shipped() {}, received() {}, cancelled() {} };

/**
 * The services as the server and the command line run them: on `db` (and its replica, if any), with
 * the configuration's secret and settings.
 */
export function servicesFor(config: ResolvedConfig, db: Database, events: OrderEvents = NO_EVENTS, replica: Database | null = null): Services {
  return createServices({
    db,
    ids: { newId: randomUUID },
    passwords: new PasswordVerifier(config.secret, Date.now, undefined, undefined, new HashGate(config.hashConcurrency, config.hashQueue)),
    tokens: new TokenSigner(config.secret),
    settings: { orderTimeoutS: config.orderTimeoutS, tokenTtlS: config.tokenTtlS, scryptLogN: config.scryptLogN },
    events,
    reads: createReadRouting(db, replica),
  });
}
