-- Rules that every statement must apply the same way live here, once each:
--   clock_now()         the time every rule reads: the database's, so processes on several hosts agree;
--   actor_pk()          whether a credential (login session or password hash) is current;
--   past_deadline()     whether an unpaid order's payment window has closed;
--   order_status_now()  an order's state as clients see it (an unpaid order past its deadline reads
--                       as cancelled at once, before the sweeper gets to it);
-- and the deadline itself is fixed per order when it is placed (orders.pay_by).

-- The clock. Tests move time by redefining this function; SQL functions this simple are inlined
-- into every statement that calls them, so production pays nothing for the indirection.
CREATE FUNCTION clock_now() RETURNS timestamptz LANGUAGE sql STABLE AS $$ SELECT now() $$;

-- Each order's payment deadline, fixed when it is placed. Orders placed before this migration get
-- the default timeout (900 s).
ALTER TABLE orders ADD COLUMN pay_by timestamptz;
UPDATE orders SET pay_by = created_at + interval '900 seconds';
ALTER TABLE orders ALTER COLUMN pay_by SET NOT NULL;
ALTER TABLE orders ADD CHECK (pay_by >= created_at);
-- The sweeper's work list: unpaid orders by deadline.
DROP INDEX orders_unpaid_created;
CREATE INDEX orders_unpaid_pay_by ON orders (pay_by) WHERE status = 'unpaid';

CREATE FUNCTION past_deadline(pay_by timestamptz) RETURNS boolean LANGUAGE sql STABLE
AS $$ SELECT pay_by <= clock_now() $$;

CREATE FUNCTION order_status_now(status text, pay_by timestamptz) RETURNS text LANGUAGE sql STABLE
AS $$ SELECT CASE WHEN status = 'unpaid' AND past_deadline(pay_by) THEN 'cancelled' ELSE status END $$;

-- Orders as every query shows them: an expired unpaid order is cancelled by the timeout, at its deadline.
CREATE VIEW orders_now AS
SELECT o.order_id, o.buyer_pk, o.store_id, o.total_price, o.created_at, o.paid_at, o.shipped_at, o.received_at,
       o.pay_by, o.status AS stored_status,
       order_status_now(o.status, o.pay_by) AS status,
       CASE WHEN order_status_now(o.status, o.pay_by) = o.status THEN o.cancel_reason ELSE 'timeout' END AS cancel_reason,
       CASE WHEN order_status_now(o.status, o.pay_by) = o.status THEN o.cancelled_at ELSE o.pay_by END AS cancelled_at
  FROM orders o;

-- Housekeeping deletes sessions long expired.
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Unregistering a seller closes their stores: the id stays taken, nothing more can be listed or
-- ordered there, and search no longer shows them.
ALTER TABLE stores ADD COLUMN closed_at timestamptz;

-- The acting user's id when the credential is current, else NULL: a login session (user, terminal,
-- token id, unexpired) for token calls, the password hash the server verified for password calls.
-- Called by the statement that acts, it locks what every revocation must change, until commit:
-- the session row (logout, a new login on the terminal, a password change and unregistering all
-- delete or replace it) or, for passwords, the user row (a password change or unregistering
-- updates it). A revocation that commits first makes this return NULL; one that comes later
-- waits for the write to commit, so no write ever acts on a revoked credential.
CREATE FUNCTION actor_pk(p_user_id text, p_terminal text, p_token_id uuid, p_password_hash text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  pk bigint;
BEGIN
  IF p_token_id IS NOT NULL THEN
    SELECT u.id INTO pk
      FROM users u JOIN sessions s ON s.user_pk = u.id
     WHERE u.user_id = p_user_id AND u.unregistered_at IS NULL
       AND s.terminal = p_terminal AND s.token_id = p_token_id AND s.expires_at > clock_now()
       FOR SHARE OF s;
  ELSIF p_password_hash IS NOT NULL THEN
    -- The user row itself: the write that follows may update it (a balance), and a share lock
    -- upgraded by two transactions at once would deadlock.
    SELECT u.id INTO pk
      FROM users u
     WHERE u.user_id = p_user_id AND u.unregistered_at IS NULL AND u.password_hash = p_password_hash
       FOR NO KEY UPDATE;
  END IF;
  RETURN pk;
END
$$;

-- new_order in one statement: the session re-checked and held (actor_pk), the store held open
-- (a share lock that unregistering's close must wait for), then each distinct book's stock taken
-- by a guarded UPDATE, in the order of book ids as the database sorts them (the fixed lock order
-- of listings, the same as every other statement that locks several), and the unpaid order
-- written with its deadline, priced from the rows it updated. Returns 'placed', 'unauthorized'
-- (the credential is not current) or 'refused' (the store is missing or closed, a book is
-- missing or its stock too low: the caller then asks why). A refused line gives back the lines
-- already taken before returning — it does not raise, so it leaves an enclosing transaction
-- usable (an Idempotency-Key request runs in one).
DROP FUNCTION place_order(uuid, text, text, text[], integer[], timestamptz, text, uuid);
CREATE FUNCTION place_order(
  p_order_id uuid, p_user_id text, p_terminal text, p_token_id uuid,
  p_store_id text, p_book_ids text[], p_counts integer[], p_timeout_s integer)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  buyer_pk bigint;
  line record;
  line_price bigint;
  ids text[] := '{}';
  counts integer[] := '{}';
  prices bigint[] := '{}';
BEGIN
  buyer_pk := actor_pk(p_user_id, p_terminal, p_token_id, NULL);
  IF buyer_pk IS NULL THEN
    RETURN 'unauthorized';
  END IF;
  PERFORM 1 FROM stores WHERE store_id = p_store_id AND closed_at IS NULL FOR SHARE;
  IF NOT FOUND THEN
    RETURN 'refused';
  END IF;

  -- The same book twice in one order adds up.
  FOR line IN
    SELECT b.book_id, sum(b.count)::integer AS count
      FROM unnest(p_book_ids, p_counts) AS b(book_id, count)
     GROUP BY b.book_id
     ORDER BY b.book_id
  LOOP
    UPDATE listings SET stock_level = stock_level - line.count
     WHERE store_id = p_store_id AND book_id = line.book_id AND stock_level >= line.count
     RETURNING price INTO line_price;
    IF NOT FOUND THEN
      -- Give back what this call took (its row locks are held, so nobody saw it).
      UPDATE listings l SET stock_level = l.stock_level + t.count
        FROM unnest(ids, counts) AS t(book_id, count)
       WHERE l.store_id = p_store_id AND l.book_id = t.book_id;
      RETURN 'refused';
    END IF;
    ids := ids || line.book_id;
    counts := counts || line.count;
    prices := prices || line_price;
  END LOOP;

  INSERT INTO orders (order_id, buyer_pk, store_id, status, total_price, created_at, pay_by)
  SELECT p_order_id, buyer_pk, p_store_id, 'unpaid', sum(l.price * l.count), clock_now(),
         clock_now() + make_interval(secs => p_timeout_s)
    FROM unnest(prices, counts) AS l(price, count);
  INSERT INTO order_lines (order_id, book_id, count, price)
  SELECT p_order_id, l.book_id, l.count, l.price
    FROM unnest(ids, counts, prices) AS l(book_id, count, price);
  RETURN 'placed';
END
$$;
