-- Idempotency keys (API.md, "Idempotency"): the first response to a write sent with an
-- Idempotency-Key header, stored in the same transaction as the write it guards, so a repeat
-- (a client or a load balancer retrying after a timeout or a crashed process) gets that response
-- again instead of a second order or payment — across restarts and across processes. Scoped to
-- the acting user id; kept 24 hours (by the database's clock), then purged by housekeeping.
CREATE TABLE idempotency_keys (
  scope        text NOT NULL,
  key          text NOT NULL CHECK (key ~ '^[\x20-\x7e]{1,255}$'),
  request_hash bytea NOT NULL,
  status       smallint NOT NULL,
  response     jsonb NOT NULL,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- The token signing secret of processes that share one PostgreSQL and were given no
-- BOOKSTORE_SECRET: generated once by whichever process starts first, read by every other.
CREATE TABLE server_secrets (
  name       text PRIMARY KEY,
  value      bytea NOT NULL CHECK (length(value) >= 32),
  created_at timestamptz NOT NULL
);

-- Read-your-writes with a streaming replica (DATABASE_REPLICA_URL): after a write, the primary's
-- WAL position, under the keys of what it changed ('user:<id>' for each party, 'store:<id>',
-- 'catalogue'); a read goes to the replica only once it has replayed past the fences of what the
-- reader may have been told about. Unlogged: cheap to write, never needed on the replica, and
-- after a crash of the primary the replica has to catch up anyway.
CREATE UNLOGGED TABLE read_fences (
  key text PRIMARY KEY,
  lsn pg_lsn NOT NULL
);
