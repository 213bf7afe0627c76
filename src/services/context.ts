import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import type { PasswordVerifier } from '../security/passwords.js';
import type { TokenSigner } from '../security/tokens.js';

/** The narrow dependencies every service is built from. */
export interface ServiceContext {
  db: Database;
  clock: Clock;
  ids: { newId(): string };
  passwords: PasswordVerifier;
  tokens: TokenSigner;
  settings: { orderTimeoutS: number; tokenTtlS: number; scryptLogN: number };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID.test(s);
