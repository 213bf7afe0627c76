-- Users. `id` is internal; `user_id` is the caller-chosen name. Unregistering keeps the row
-- (orders keep their history) and frees the name for a new account.
CREATE TABLE users (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id         text NOT NULL,
  password_hash   text NOT NULL,
  balance         bigint NOT NULL DEFAULT 0 CHECK (balance >= 0 AND balance <= 9007199254740991),
  created_at      timestamptz NOT NULL,
  unregistered_at timestamptz
);
CREATE UNIQUE INDEX users_active_user_id ON users (user_id) WHERE unregistered_at IS NULL;

-- One login per (user, terminal); logging in again replaces token_id, which every token names.
CREATE TABLE sessions (
  user_pk    bigint NOT NULL REFERENCES users (id),
  terminal   text NOT NULL,
  token_id   uuid NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (user_pk, terminal)
);

CREATE TABLE stores (
  store_id   text PRIMARY KEY,
  owner_pk   bigint NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL
);
CREATE INDEX stores_owner ON stores (owner_pk);

-- The hot row of a listing: what new_order reads and writes, and nothing else.
CREATE TABLE listings (
  store_id    text NOT NULL REFERENCES stores (store_id),
  book_id     text NOT NULL,
  price       bigint NOT NULL CHECK (price >= 0),
  stock_level integer NOT NULL CHECK (stock_level >= 0),
  PRIMARY KEY (store_id, book_id)
);

-- The cold description of a listing (written once by add_book).
CREATE TABLE books (
  store_id       text NOT NULL,
  book_id        text NOT NULL,
  title          text,
  author         text,
  publisher      text,
  original_title text,
  translator     text,
  pub_year       text,
  pages          integer,
  currency_unit  text,
  binding        text,
  isbn           text,
  author_intro   text,
  book_intro     text,
  content        text,
  tags           text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (store_id, book_id),
  FOREIGN KEY (store_id, book_id) REFERENCES listings (store_id, book_id)
);

-- Pictures are large: kept away from both of the above.
CREATE TABLE book_pictures (
  store_id text NOT NULL,
  book_id  text NOT NULL,
  position integer NOT NULL,
  data     bytea NOT NULL,
  PRIMARY KEY (store_id, book_id, position),
  FOREIGN KEY (store_id, book_id) REFERENCES listings (store_id, book_id)
);

-- Orders are never deleted; each state has its timestamp. total_price is fixed at order time.
CREATE TABLE orders (
  order_id      uuid PRIMARY KEY,
  buyer_pk      bigint NOT NULL REFERENCES users (id),
  store_id      text NOT NULL REFERENCES stores (store_id),
  status        text NOT NULL CHECK (status IN ('unpaid', 'paid', 'shipped', 'received', 'cancelled')),
  cancel_reason text CHECK (cancel_reason IN ('buyer', 'timeout')),
  total_price   bigint NOT NULL CHECK (total_price BETWEEN 0 AND 9007199254740991),
  created_at    timestamptz NOT NULL,
  paid_at       timestamptz,
  shipped_at    timestamptz,
  received_at   timestamptz,
  cancelled_at  timestamptz,
  CHECK ((status = 'cancelled') = (cancel_reason IS NOT NULL AND cancelled_at IS NOT NULL)),
  CHECK (status NOT IN ('paid', 'shipped', 'received') OR paid_at IS NOT NULL),
  CHECK (status NOT IN ('shipped', 'received') OR shipped_at IS NOT NULL),
  CHECK (status <> 'received' OR received_at IS NOT NULL)
);
CREATE INDEX orders_buyer ON orders (buyer_pk, created_at DESC);
CREATE INDEX orders_store ON orders (store_id, created_at DESC);
-- The timeout sweeper's work list stays small: only unpaid orders are in it.
CREATE INDEX orders_unpaid_created ON orders (created_at) WHERE status = 'unpaid';

CREATE TABLE order_lines (
  order_id uuid NOT NULL REFERENCES orders (order_id),
  book_id  text NOT NULL,
  count    integer NOT NULL CHECK (count > 0),
  price    bigint NOT NULL CHECK (price >= 0),
  PRIMARY KEY (order_id, book_id)
);
