/**
 * The examples and the order of the docs page. "Try it out" fills each request with its example,
 * so the examples are one consistent story: alice registers, logs in on her laptop, opens
 * store-1, lists one real book (美丽心灵, id 1000067, ¥38.79) with 10 copies, adds ¥100 and buys
 * one copy from herself, pays, ships and receives it. Pressing Execute on the workflow endpoints in
 * page order therefore succeeds, except that the order id and the token are the server's: the
 * reader pastes the real ones (the examples show their shape).
 *
 * Kept apart from src/schemas: the schemas validate requests, these only illustrate them.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const USER_ID = 'alice';
export const PASSWORD = 'alice-pw-1';
export const TERMINAL = 'laptop';
export const STORE_ID = 'store-1';
export const BOOK_ID = '1000067';
export const BOOK_PRICE = 3879;
export const STOCK = 10;
export const FUNDS = 10_000;
/** Order ids are random UUIDs (the server's), as are request ids. */
export const ORDER_ID = '3f2c8e1a-7b4d-4c9e-a5f0-2d6b8c1e9a47';
const REQUEST_ID = '9d41b7e2-05c3-4a8f-b6e1-7c2a9f3d4e15';

/** The shape of a real token: a JWT (HS256) with the user, terminal, session id and times; the signature is made up. */
export const TOKEN = [
  { alg: 'HS256', typ: 'JWT' },
  { sub: USER_ID, trm: TERMINAL, jti: 'c07e5a12-9b3f-4d6e-8a21-5f4c3b2d1e0a', iat: 1764633600, exp: 1764637200 },
]
  .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
  .concat('q3Jc5x0Vb2nTj8sKf1LwYh4RzPe7MdAuGo6iXa9NlEk')
  .join('.');

const BOOK = {
  id: BOOK_ID,
  title: '美丽心灵',
  author: '[美] 西尔维娅·娜萨',
  publisher: '上海科技教育出版社',
  original_title: 'A Beautiful Mind : Genius, Schizophrenia and Recovery in the Life of a Nobel Laureate',
  translator: '王尔山',
  pub_year: '2002-1',
  pages: 594,
  price: BOOK_PRICE,
  currency_unit: '元',
  binding: '平装',
  isbn: '9787542823823',
  author_intro: '西尔维娅・娜萨，曾任《财富》杂志和《美国新闻与世界报道》记者，现任《纽约时报》经济记者，本书是她的处女作。',
  book_intro: '数学天才纳什的传记：他的生涯被精神分裂症打断，三十年后奇迹般地康复，并因博弈论方面的奠基性工作获得1994年诺贝尔经济学奖。',
  tags: ['传记', '纳什', '数学', '美丽心灵', '博弈论', '经济学'],
};

const ORDER = {
  order_id: ORDER_ID,
  buyer_id: USER_ID,
  store_id: STORE_ID,
  status: 'received',
  cancel_reason: null,
  total_price: BOOK_PRICE,
  created_at: '2026-12-02T01:10:00.000Z',
  paid_at: '2026-12-02T01:10:30.000Z',
  shipped_at: '2026-12-02T01:11:00.000Z',
  received_at: '2026-12-02T01:11:30.000Z',
  cancelled_at: null,
  books: [{ id: BOOK_ID, title: BOOK.title, count: 1, price: BOOK_PRICE }],
};

const ORDER_PAGE = { message: 'ok', orders: [ORDER], total: 1, page: 1, page_size: 20 };
const OK = { message: 'ok' };

export interface OperationExamples {
  tag: string;
  /** Its place in the register → … → receive_books walk, shown before the summary. */
  step?: number;
  body?: Json;
  /** Query parameters "Try it out" fills in. */
  query?: Record<string, Json>;
  /** The 200 answer (media type application/json unless the route says otherwise). */
  ok?: Json;
  /** Error answers where the generic one of the status would mislead: a message, or the whole body. */
  errors?: Record<string, Json>;
}

/** Tags in page order: the workflow first, then search, then the rest of an account, then the service. */
export const TAGS = [
  { name: 'auth', description: 'Steps 1–2: register, log in, then paste the token into **Authorize**' },
  { name: 'seller', description: 'Steps 3–4: open a store and list a book; step 8: ship a paid order. Also stock and the store’s orders' },
  { name: 'buyer', description: 'Steps 5–7: add funds, order, pay; step 9: confirm receipt. Also order history and cancelling' },
  { name: 'search', description: 'Full-text book search' },
  { name: 'account', description: 'Balance, password, logout and removal of an account' },
  { name: 'service', description: 'Health, readiness, metrics and this document' },
];

/** Every operation in page order ("METHOD /path"). An operation missing here keeps its path's tag and goes last. */
export const OPERATIONS: readonly (readonly [string, OperationExamples])[] = [
  ['POST /auth/register', { tag: 'auth', step: 1, body: { user_id: USER_ID, password: PASSWORD }, ok: OK, errors: { '512': `user ${USER_ID} already exists` } }],
  [
    'POST /auth/login',
    { tag: 'auth', step: 2, body: { user_id: USER_ID, password: PASSWORD, terminal: TERMINAL }, ok: { message: 'ok', token: TOKEN } },
  ],

  ['POST /seller/create_store', { tag: 'seller', step: 3, body: { user_id: USER_ID, store_id: STORE_ID }, ok: OK }],
  ['POST /seller/add_book', { tag: 'seller', step: 4, body: { user_id: USER_ID, store_id: STORE_ID, book_info: BOOK, stock_level: STOCK }, ok: OK }],
  ['POST /seller/send_books', { tag: 'seller', step: 8, body: { user_id: USER_ID, order_id: ORDER_ID, store_id: STORE_ID }, ok: OK }],
  ['POST /seller/add_stock_level', { tag: 'seller', body: { user_id: USER_ID, store_id: STORE_ID, book_id: BOOK_ID, add_stock_level: 5 }, ok: OK }],
  ['POST /seller/query_order', { tag: 'seller', body: { user_id: USER_ID, store_id: STORE_ID, page: 1, page_size: 20 }, ok: ORDER_PAGE }],

  ['POST /buyer/add_funds', { tag: 'buyer', step: 5, body: { user_id: USER_ID, password: PASSWORD, add_value: FUNDS }, ok: OK }],
  [
    'POST /buyer/new_order',
    {
      tag: 'buyer',
      step: 6,
      body: { user_id: USER_ID, store_id: STORE_ID, books: [{ id: BOOK_ID, count: 1 }] },
      ok: { message: 'ok', order_id: ORDER_ID },
    },
  ],
  ['POST /buyer/payment', { tag: 'buyer', step: 7, body: { user_id: USER_ID, order_id: ORDER_ID, password: PASSWORD }, ok: OK }],
  ['POST /buyer/receive_books', { tag: 'buyer', step: 9, body: { user_id: USER_ID, order_id: ORDER_ID }, ok: OK }],
  ['POST /buyer/query_order', { tag: 'buyer', body: { user_id: USER_ID, password: PASSWORD, page: 1, page_size: 20 }, ok: ORDER_PAGE }],
  ['POST /buyer/close_order', { tag: 'buyer', body: { user_id: USER_ID, password: PASSWORD, order_id: ORDER_ID }, ok: OK }],

  [
    'POST /search/books',
    {
      tag: 'search',
      body: { keyword: '博弈论', scope: ['tags', 'book_intro'], page: 1, page_size: 20 },
      ok: searchPage(),
      errors: { '513': 'store store-2 does not exist' },
    },
  ],
  ['GET /search/books', { tag: 'search', query: { keyword: '纳什', page_size: 20 }, ok: searchPage(), errors: { '513': 'store store-2 does not exist' } }],

  [
    'GET /auth/me',
    {
      tag: 'account',
      query: { user_id: USER_ID },
      // After the walk: the ¥38.79 paid came back to alice as the seller, escrow is empty.
      ok: { message: 'ok', user_id: USER_ID, balance: FUNDS, escrow: 0, stores: [{ store_id: STORE_ID, closed: false }] },
    },
  ],
  ['POST /auth/password', { tag: 'account', body: { user_id: USER_ID, oldPassword: PASSWORD, newPassword: 'alice-pw-2' }, ok: OK }],
  ['POST /auth/logout', { tag: 'account', body: { user_id: USER_ID }, ok: OK }],
  [
    'POST /auth/unregister',
    { tag: 'account', body: { user_id: USER_ID, password: PASSWORD }, ok: OK, errors: { '526': `the account still holds ${FUNDS}: withdraw it first (add_funds with a negative add_value)` } },
  ],

  ['GET /healthz', { tag: 'service', ok: OK }],
  ['GET /readyz', { tag: 'service', ok: OK, errors: { '503': { message: 'database unavailable' } } }],
  ['GET /metrics', { tag: 'service', ok: 'bookstore_orders_created_total 1\nbookstore_orders_paid_total 1\nbookstore_orders_received_total 1\n' }],
  ['GET /openapi.json', { tag: 'service', ok: { openapi: '3.1.0', info: { title: 'Bookstore API', version: '0.1.0' }, paths: {} } }],
];

function searchPage(): Json {
  const { id, title, author, publisher, tags, price } = BOOK;
  return {
    message: 'ok',
    books: [{ id, title, author, publisher, tags, price, store_id: STORE_ID, stock_level: STOCK - 1 }],
    total: 1,
    page: 1,
    page_size: 20,
  };
}

/** What an error of each status says, for the workflow's user, store, book and order. */
export const ERROR_MESSAGES: Readonly<Record<string, string>> = {
  '400': 'user_id: is required',
  '401': 'wrong password',
  '413': 'request body too large',
  '500': 'internal server error',
  '503': 'database unavailable, try again',
  '511': `user ${USER_ID} does not exist`,
  '512': `user ${USER_ID} does not exist`,
  '513': `store ${STORE_ID} does not exist`,
  '514': `store ${STORE_ID} already exists`,
  '515': `book ${BOOK_ID} is not in store ${STORE_ID}`,
  '516': `book ${BOOK_ID} is already in store ${STORE_ID}`,
  '517': `stock level too low: book ${BOOK_ID} has 0`,
  '518': `no such order: ${ORDER_ID}`,
  '519': `not sufficient funds: the order costs ${BOOK_PRICE}, the balance is 0`,
  '520': 'order not paid yet',
  '521': 'order already closed',
  '522': 'order not shipped yet',
  '523': 'order already received',
  '524': 'order cannot be cancelled',
  '525': 'order already shipped',
  '526': 'the account has open orders (as buyer or seller): finish or cancel them first',
};

/** A token route refuses a missing token with this, not "wrong password". */
export const TOKEN_REFUSED = 'no token: send the token from /auth/login in the `token` header';

/** The body of an error answer: the server adds the request id to the ones it logs (500, 503). */
export function errorExample(status: string, message: string): Json {
  return status === '500' || status === '503' ? { message, request_id: REQUEST_ID } : { message };
}
