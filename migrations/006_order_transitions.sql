-- The order state machine's transitions, as functions: the application's table
-- (src/domain/order-state.ts) says for each action which states it accepts, the state it leads
-- to, the time it stamps, who may take it and its effect, and passes them in; these functions
-- apply them. As functions, their statements are planned once per connection even behind a
-- transaction pooler, where every statement sent by the application is parsed and planned anew.

-- Gives the reserved copies of these orders back to their stores. Listings are locked first, in
-- (store_id, book_id) order as the database sorts them: the lock order every statement that
-- locks several listings uses (place_order takes them in book id order within its one store).
CREATE FUNCTION restock_orders(p_order_ids uuid[]) RETURNS void LANGUAGE sql AS $$
  WITH lines AS (
    SELECT o.store_id, ol.book_id, sum(ol.count)::int8 AS count
      FROM orders o JOIN order_lines ol ON ol.order_id = o.order_id
     WHERE o.order_id = ANY (p_order_ids)
     GROUP BY o.store_id, ol.book_id),
  locked AS (
    SELECT l.store_id, l.book_id FROM listings l JOIN lines x ON x.store_id = l.store_id AND x.book_id = l.book_id
     ORDER BY l.store_id, l.book_id
       FOR UPDATE OF l)
  UPDATE listings l SET stock_level = l.stock_level + x.count
    FROM lines x JOIN locked k ON k.store_id = x.store_id AND k.book_id = x.book_id
   WHERE l.store_id = x.store_id AND l.book_id = x.book_id
$$;

-- One order's transition, all of it or none of it: re-checks and holds the actor's credential
-- (actor_pk), locks the order if it is in a state the action accepts — as it stands now, an
-- expired unpaid order being cancelled — and the actor may take it (its buyer, or its store's
-- owner), applies the effect (a debit guarded by the balance: no money, no transition), then the
-- state change, naming the states it expects. Returns the order's store and buyer, or nothing
-- when refused for any reason (the caller then asks why).
CREATE FUNCTION transition_order(
  p_order_id uuid,
  p_user_id text, p_terminal text, p_token_id uuid, p_password_hash text,
  p_store_id text,
  p_from text[], p_to text, p_stamp text, p_by text, p_effect text, p_cancel_reason text)
RETURNS TABLE (order_store_id text, order_buyer_id text) LANGUAGE plpgsql AS $$
DECLARE
  actor bigint;
  o record;
BEGIN
  actor := actor_pk(p_user_id, p_terminal, p_token_id, p_password_hash);
  IF actor IS NULL THEN
    RETURN;
  END IF;
  SELECT t.order_id, t.store_id, t.buyer_pk, s.owner_pk AS seller_pk, t.total_price, t.status INTO o
    FROM orders t JOIN stores s ON s.store_id = t.store_id
   WHERE t.order_id = p_order_id
     AND t.status = ANY (p_from) AND order_status_now(t.status, t.pay_by) = ANY (p_from)
     AND (p_store_id IS NULL OR t.store_id = p_store_id)
     AND actor = CASE p_by WHEN 'buyer' THEN t.buyer_pk ELSE s.owner_pk END
     FOR UPDATE OF t;
  IF NOT FOUND THEN
    RETURN;
  END IF;

  IF p_effect = 'debit_buyer' THEN
    UPDATE users u SET balance = u.balance - o.total_price WHERE u.id = o.buyer_pk AND u.balance >= o.total_price;
    IF NOT FOUND THEN
      RETURN;
    END IF;
  ELSIF p_effect = 'credit_seller' THEN
    UPDATE users u SET balance = u.balance + o.total_price WHERE u.id = o.seller_pk;
  ELSIF p_effect = 'restock_and_refund' THEN
    PERFORM restock_orders(ARRAY[o.order_id]);
    IF o.status = 'paid' THEN
      UPDATE users u SET balance = u.balance + o.total_price WHERE u.id = o.buyer_pk;
    END IF;
  END IF;

  UPDATE orders t
     SET status = p_to,
         paid_at = CASE WHEN p_stamp = 'paid_at' THEN clock_now() ELSE t.paid_at END,
         shipped_at = CASE WHEN p_stamp = 'shipped_at' THEN clock_now() ELSE t.shipped_at END,
         received_at = CASE WHEN p_stamp = 'received_at' THEN clock_now() ELSE t.received_at END,
         cancelled_at = CASE WHEN p_stamp = 'cancelled_at' THEN clock_now() ELSE t.cancelled_at END,
         cancel_reason = coalesce(p_cancel_reason, t.cancel_reason)
   WHERE t.order_id = o.order_id AND t.status = ANY (p_from);
  RETURN QUERY SELECT o.store_id::text, u.user_id FROM users u WHERE u.id = o.buyer_pk;
END
$$;

-- The timeout, for up to p_limit orders past their deadline: SKIP LOCKED lets several processes
-- sweep together, and the state guard makes each cancellation happen once. Each is cancelled as
-- of its deadline, whenever the sweep gets to it. Returns how many.
CREATE FUNCTION expire_orders(p_limit integer, p_from text[], p_to text, p_cancel_reason text)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  ids uuid[];
BEGIN
  SELECT array_agg(x.order_id) INTO ids
    FROM (SELECT t.order_id FROM orders t
           WHERE t.status = ANY (p_from) AND past_deadline(t.pay_by)
           ORDER BY t.pay_by
           LIMIT p_limit
             FOR UPDATE SKIP LOCKED) x;
  IF ids IS NULL THEN
    RETURN 0;
  END IF;
  PERFORM restock_orders(ids);
  UPDATE orders t SET status = p_to, cancelled_at = t.pay_by, cancel_reason = p_cancel_reason
   WHERE t.order_id = ANY (ids) AND t.status = ANY (p_from);
  RETURN cardinality(ids);
END
$$;
