import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { OrderEvents } from '../domain/events.js';
import { PasswordVerifier } from '../security/passwords.js';
import { TokenSigner } from '../security/tokens.js';
import { createAccountService } from './account-service.js';
import { createAuthenticator } from './authentication.js';
import { createHealthService } from './health-service.js';
import type { ServiceContext } from './context.js';
import { createOrderService } from './order-service.js';
import { createSearchService } from './search-service.js';
import { createStoreService } from './store-service.js';

export type Services = ReturnType<typeof createServices>;

/** Every service of the product, built from one set of narrow dependencies. */
export function createServices(ctx: ServiceContext) {
  return {
    authenticator: createAuthenticator(ctx),
    accounts: createAccountService(ctx),
    stores: createStoreService(ctx),
    orders: createOrderService(ctx),
    search: createSearchService(ctx),
    health: createHealthService(ctx),
  };
}

const NO_EVENTS: OrderEvents = { created() {}, paid() {}, shipped() {}, received() {}, cancelled() {} };

/** The services as the server and the command line run them: on `db`, with the configuration's secret and settings. */
export function servicesFor(config: Config, db: Database, events: OrderEvents = NO_EVENTS): Services {
  return createServices({
    db,
    ids: { newId: randomUUID },
    passwords: new PasswordVerifier(config.secret),
    tokens: new TokenSigner(config.secret),
    settings: { orderTimeoutS: config.orderTimeoutS, tokenTtlS: config.tokenTtlS, scryptLogN: config.scryptLogN },
    events,
  });
}
