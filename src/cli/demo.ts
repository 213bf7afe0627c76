import type { Services } from '../services/index.js';
import { ensureStore, generatePassword, sellerSession, writeBooks } from './catalogue-writer.js';
import { DEMO_BOOKS, type DemoShelf } from './demo-books.js';
import { CliError } from './io.js';

export const DEMO_BUYER = 'demo_buyer';
export const DEMO_BUYER_FUNDS = 1_000_000; // cents: ¥10,000.00
const DEMO_STOCK = 20;

const STORES: { sellerId: string; storeId: string; shelf: DemoShelf; name: string }[] = [
  { sellerId: 'demo_seller_1', storeId: 'demo_store_literature', shelf: 'literature', name: 'literature 文学' },
  { sellerId: 'demo_seller_2', storeId: 'demo_store_science', shelf: 'science', name: 'science & computing 科技' },
  { sellerId: 'demo_seller_3', storeId: 'demo_store_history', shelf: 'history', name: 'history & society 历史' },
];

export interface DemoAccount {
  userId: string;
  password: string;
}

export interface DemoResult {
  sellers: (DemoAccount & { storeId: string; storeName: string; books: number })[];
  buyer: DemoAccount & { balance: number };
  books: number;
  sampleBook: { storeId: string; id: string; title: string; price: number };
}

/**
 * Fills an empty database with three sellers, one store each, ~50 books in Chinese and English
 * (some offered by two stores) and a buyer with money: enough to try search and the order flow.
 */
export async function createDemo(services: Services, options: { password?: string }): Promise<DemoResult> {
  if (await services.accounts.anyUserExists()) {
    throw new CliError('the database already has users; demo only fills an empty database (use a fresh BOOKSTORE_DATA_DIR or database)');
  }
  const passwordFor = () => options.password ?? generatePassword();

  const sellers: DemoResult['sellers'] = [];
  let total = 0;
  for (const store of STORES) {
    const password = passwordFor();
    const seller = await sellerSession(services, store.sellerId, password);
    await ensureStore(services, seller.actor, store.storeId);
    const shelf = DEMO_BOOKS.filter((b) => b.shelves.includes(store.shelf)).map(({ shelves: _, ...book }) => book);
    const written = await writeBooks(services, seller.actor, store.storeId, shelf, DEMO_STOCK, (bad) => {
      throw new CliError(`demo book ${bad.id}: ${bad.reason}`);
    });
    await services.accounts.logout(seller.actor);
    total += written.imported;
    sellers.push({ userId: store.sellerId, password, storeId: store.storeId, storeName: store.name, books: written.imported });
  }

  const buyerPassword = passwordFor();
  await services.accounts.register(DEMO_BUYER, buyerPassword);
  await services.accounts.addFunds(await services.authenticator.byPassword(DEMO_BUYER, buyerPassword), DEMO_BUYER_FUNDS);

  const sample = DEMO_BOOKS[0]!;
  return {
    sellers,
    buyer: { userId: DEMO_BUYER, password: buyerPassword, balance: DEMO_BUYER_FUNDS },
    books: total,
    sampleBook: { storeId: STORES[0]!.storeId, id: sample.id, title: sample.title ?? sample.id, price: sample.price ?? 0 },
  };
}

/** What `bookstore demo` prints: the accounts, and requests to paste into a shell. */
export function formatDemo(result: DemoResult, baseUrl: string): string {
  const yuan = (cents: number) => `¥${(cents / 100).toFixed(2)}`;
  const lines = [
    `Demo data ready: ${result.books} listings in ${result.sellers.length} stores, one buyer with funds.`,
    '',
    'Accounts (user id / password):',
    ...result.sellers.map((s) => `  seller  ${s.userId} / ${s.password}   store ${s.storeId} (${s.storeName}, ${s.books} books)`),
    `  buyer   ${result.buyer.userId} / ${result.buyer.password}   balance ${result.buyer.balance} cents (${yuan(result.buyer.balance)})`,
    '',
    `Try it (server at ${baseUrl}; interactive docs at ${baseUrl}/docs):`,
    `  curl -s '${baseUrl}/search/books?keyword=${encodeURIComponent('三体')}'`,
    `  curl -s -X POST ${baseUrl}/search/books -H 'content-type: application/json' -d '{"keyword":"力学"}'`,
    `  TOKEN=$(curl -s -X POST ${baseUrl}/auth/login -H 'content-type: application/json' \\`,
    `    -d '{"user_id":"${result.buyer.userId}","password":"${result.buyer.password}","terminal":"demo"}' | sed 's/.*"token":"\\([^"]*\\)".*/\\1/')`,
    `  curl -s -X POST ${baseUrl}/buyer/new_order -H 'content-type: application/json' -H "token: $TOKEN" \\`,
    `    -d '{"user_id":"${result.buyer.userId}","store_id":"${result.sampleBook.storeId}","books":[{"id":"${result.sampleBook.id}","count":1}]}'`,
    `  # then POST /buyer/payment with {"user_id","order_id","password"} (${result.sampleBook.title} costs ${yuan(result.sampleBook.price)})`,
  ];
  return lines.join('\n') + '\n';
}
