import type { Database } from '../db/database.js';
import type { PasswordVerifier } from '../security/passwords.js';
import type { TokenSigner } from '../security/tokens.js';
import type { OrderEvents } from '../domain/events.js';
import type { ReadRouting } from './read-routing.js';


export interface Settings {
  orderTimeoutS: number;
  tokenTtlS: number;
  scryptLogN: number;
}

/** The narrow dependencies every service is built from. Time is the database's (clock_now()). */
export interface ServiceContext {
  db: Database;
  ids: { newId(): string };
  passwords: PasswordVerifier;
  tokens: TokenSigner;
  settings: Settings;
  events: OrderEvents;
  /** Where reads go (a replica, when it has what the reader depends on), and the fences writes leave. */
  reads: ReadRouting;
}
