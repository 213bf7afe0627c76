-- new_order's reservation as one function call, so it is still one statement (all of it or none
-- of it) but takes each listing's row lock with the guarded UPDATE itself, one line at a time in
-- the caller's book id order: a fixed lock order by construction, with no separate locking pass.
-- That costs PostgreSQL about a tenth less work per order than the equivalent CTE statement.
--
-- Returns authorized = false when the session is not current. When any line's stock is short
-- (or the listing is missing) it raises SQLSTATE BK001, which undoes the lines already reserved.
CREATE FUNCTION place_order(
  p_order_id uuid, p_buyer_id text, p_store_id text, p_book_ids text[], p_counts integer[],
  p_now timestamptz, p_terminal text, p_token_id uuid,
  OUT authorized boolean, OUT created boolean)
LANGUAGE plpgsql AS $$
DECLARE
  buyer_pk bigint;
  line_price bigint;
  prices bigint[] := '{}';
BEGIN
  SELECT u.id INTO buyer_pk
    FROM users u JOIN sessions s ON s.user_pk = u.id
   WHERE u.user_id = p_buyer_id AND u.unregistered_at IS NULL
     AND s.terminal = p_terminal AND s.token_id = p_token_id AND s.expires_at > p_now;
  authorized := FOUND;
  created := false;
  IF NOT authorized THEN
    RETURN;
  END IF;

  FOR i IN 1 .. cardinality(p_book_ids) LOOP
    UPDATE listings SET stock_level = stock_level - p_counts[i]
     WHERE store_id = p_store_id AND book_id = p_book_ids[i] AND stock_level >= p_counts[i]
     RETURNING price INTO line_price;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'reservation refused' USING ERRCODE = 'BK001';
    END IF;
    prices := prices || line_price;
  END LOOP;

  INSERT INTO orders (order_id, buyer_pk, store_id, status, total_price, created_at)
  SELECT p_order_id, buyer_pk, p_store_id, 'unpaid', sum(l.price * l.count), p_now
    FROM unnest(prices, p_counts) AS l(price, count);
  INSERT INTO order_lines (order_id, book_id, count, price)
  SELECT p_order_id, l.book_id, l.count, l.price
    FROM unnest(p_book_ids, p_counts, prices) AS l(book_id, count, price);
  created := true;
END
$$;
