import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { DB_KIND, useServer } from '../helpers/server.js';
import { ORDER_ID, PASSWORD, STORE_ID, USER_ID } from '../../src/openapi/examples.js';
import { PROJECT_ROOT } from '../../src/paths.js';

const CHROMIUM = '/usr/bin/chromium';
// The committed pictures in docs/ are only rewritten on request (UPDATE_SCREENSHOT=1), so a test
// run leaves the working tree clean; otherwise they go to test-results/.
const PICTURES = path.join(PROJECT_ROOT, process.env.UPDATE_SCREENSHOT ? 'docs' : 'test-results');
const VIEWPORT = { width: 1280, height: 800 };
/** An operation is shown from its header down to its answer (the page's body editor alone is ~300 px tall). */
const MAX_CLIP_HEIGHT = 1600;
/** Generous waits: the test machine is shared, and a loaded one takes seconds per request. */
const WAIT_MS = 60_000;

const skip = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) to run the docs page browser test`;

/** The README's walk, in page order: Swagger UI's element id (tag-operationId) of each step. */
const WALK = [
  'auth-post_auth_register',
  'auth-post_auth_login',
  'seller-post_seller_create_store',
  'seller-post_seller_add_book',
  'buyer-post_buyer_add_funds',
  'buyer-post_buyer_new_order',
  'buyer-post_buyer_payment',
  'seller-post_seller_send_books',
  'buyer-post_buyer_receive_books',
] as const;

interface Executed {
  op: Locator;
  answer: Locator;
  status: string;
  body: Record<string, unknown>;
}

/** Expands an operation, presses "Try it out", optionally edits the example body, presses "Execute". */
async function tryOut(page: Page, id: string, edit?: (body: string) => string): Promise<Executed> {
  const op = page.locator(`#operations-${id}`);
  await op.scrollIntoViewIfNeeded();
  if (!(await op.evaluate((el) => el.classList.contains('is-open')))) await op.locator('.opblock-summary').first().click();
  await op.locator('button.try-out__btn').click();
  const area = op.locator('textarea.body-param__text');
  if ((await area.count()) > 0) {
    const example = await area.inputValue();
    assert.ok(example.includes(`"${USER_ID}"`), `${id}: the body is filled with the example: ${example}`);
    if (edit) await area.fill(edit(example));
  }
  await op.locator('button.execute').click();
  const answer = op.locator('.live-responses-table .response').first();
  await answer.waitFor({ timeout: WAIT_MS });
  const status = (await answer.locator('.response-col_status').innerText()).trim();
  const text = await answer.locator('.response-col_description .microlight').first().innerText();
  return { op, answer, status, body: JSON.parse(text) as Record<string, unknown> };
}

/** A picture of one operation, from its header to the body of the answer the page shows. */
async function pictureOf(page: Page, { op, answer }: Executed, file: string): Promise<void> {
  const top = await op.evaluate((el) => el.getBoundingClientRect().top + window.scrollY);
  // Down to the response body: the headers and the duration below it only vary from run to run.
  const body = answer.locator('.response-col_description .microlight').first();
  const bottom = await body.evaluate((el) => el.getBoundingClientRect().bottom + window.scrollY);
  const height = Math.min(Math.ceil(bottom - top) + 16, MAX_CLIP_HEIGHT);
  await page.screenshot({ path: path.join(PICTURES, file), fullPage: true, clip: { x: 0, y: Math.max(0, top - 8), width: VIEWPORT.width, height } });
}

describe(`docs page in a browser (${DB_KIND})`, { skip }, () => {
  const { server, api } = useServer();
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  const requested: string[] = [];
  const problems: string[] = [];

  before(async () => {
    profile = mkdtempSync(path.join(tmpdir(), 'bookstore-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: VIEWPORT,
    });
    context.setDefaultTimeout(WAIT_MS);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('request', (r) => requested.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    mkdirSync(PICTURES, { recursive: true });
  });

  after(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  test('lists the endpoints in workflow order, links /openapi.json, uses nothing but this server', { timeout: 180_000 }, async () => {
    const response = await page.goto(`${server.url}/docs`, { waitUntil: 'load' });
    assert.equal(response?.status(), 200);
    await page.locator('.opblock').first().waitFor({ timeout: WAIT_MS });

    const listed = (await page.locator('.opblock-summary-path').allInnerTexts()).map((p) => p.replace(/\u200b/g, '').trim());
    for (const p of ['/auth/register', '/auth/login', '/seller/add_book', '/buyer/new_order', '/buyer/payment', '/healthz', '/metrics']) {
      assert.ok(listed.includes(p), `${p} listed (got ${listed.join(', ')})`);
    }
    assert.ok(new Set(listed).size >= 20, `${listed.length} endpoints listed`);
    assert.match(await page.locator('.info .title').first().innerText(), /Bookstore API/);

    // The walk's operations appear in its order, tags auth, seller, buyer first; service last.
    const ids = await page.locator('.opblock').evaluateAll((els) => els.map((el) => el.id.replace(/^operations-/, '')));
    const positions = WALK.map((id) => ids.indexOf(id));
    assert.ok(positions.every((p) => p >= 0), `every step listed: ${ids.join(', ')}`);
    const tagsInOrder = [...new Set(ids.map((id) => id.split('-')[0]))];
    assert.deepEqual(tagsInOrder, ['auth', 'seller', 'buyer', 'search', 'account', 'service']);
    assert.ok(ids.indexOf('seller-post_seller_create_store') < ids.indexOf('seller-post_seller_add_book'));
    assert.ok(ids.indexOf('seller-post_seller_add_book') < ids.indexOf('seller-post_seller_send_books'));
    const buyerSteps = ['add_funds', 'new_order', 'payment', 'receive_books'].map((s) => ids.indexOf(`buyer-post_buyer_${s}`));
    assert.deepEqual(buyerSteps, [...buyerSteps].sort((a, b) => a - b));

    // The header links the document.
    const link = page.locator('.info .description a[href="/openapi.json"]');
    assert.equal(await link.count(), 1, 'the header links /openapi.json');

    // Served entirely by this server: no CDN, no validator, no fonts from elsewhere.
    const foreign = requested.filter((u) => !u.startsWith(server.url) && !u.startsWith('data:'));
    assert.deepEqual(foreign, []);
    assert.ok(requested.some((u) => u.includes('/docs/static/swagger-ui-bundle.js')), 'Swagger UI assets come from /docs/static');
    assert.deepEqual(problems, [], 'no console errors or CSP violations');

    await page.screenshot({ path: path.join(PICTURES, 'walkthrough-1-top.png'), clip: { x: 0, y: 0, ...VIEWPORT } });
  });

  test('walks register → … → receive_books with "Try it out" and the examples', { timeout: 600_000 }, async () => {
    const steps = new Map<string, Executed>();
    const run = async (id: string, edit?: (body: string) => string) => {
      const done = await tryOut(page, id, edit);
      assert.equal(done.status, '200', `${id}: ${JSON.stringify(done.body)}`);
      assert.equal(done.body.message, 'ok', id);
      steps.set(id, done);
      return done;
    };

    await run('auth-post_auth_register');
    await pictureOf(page, steps.get('auth-post_auth_register')!, 'walkthrough-2-register.png');

    const { body: login } = await run('auth-post_auth_login');
    assert.equal(typeof login.token, 'string');

    // Authorize: the token of the answer goes into the `token` header of every token endpoint.
    await page.locator('.auth-wrapper button.authorize').click();
    const modal = page.locator('.modal-ux');
    await modal.locator('input').first().fill(login.token as string);
    await modal.locator('button.authorize').click();
    await modal.locator('button.btn-done').click();
    await modal.waitFor({ state: 'detached' });

    await run('seller-post_seller_create_store');
    await run('seller-post_seller_add_book');
    await run('buyer-post_buyer_add_funds');
    const { body: order } = await run('buyer-post_buyer_new_order');
    const orderId = order.order_id as string;
    assert.match(orderId, /^[0-9a-f-]{36}$/, 'the example shows the shape of a real order id');

    // The reader pastes the real order id over the example one.
    const realOrder = (body: string) => {
      assert.ok(body.includes(ORDER_ID), body);
      return body.replaceAll(ORDER_ID, orderId);
    };
    await pictureOf(page, await run('buyer-post_buyer_payment', realOrder), 'walkthrough-3-payment.png');
    await run('seller-post_seller_send_books', realOrder);
    await pictureOf(page, await run('buyer-post_buyer_receive_books', realOrder), 'walkthrough-4-receive-books.png');
    assert.deepEqual([...steps.keys()], WALK);

    // The page really did all of it: the order is received, the money went round to the seller.
    const orders = await api.post('/buyer/query_order', { user_id: USER_ID, password: PASSWORD });
    assert.equal(orders.status, 200);
    assert.deepEqual(
      orders.body.orders.map((o: { order_id: string; store_id: string; status: string }) => [o.order_id, o.store_id, o.status]),
      [[orderId, STORE_ID, 'received']],
    );
    assert.deepEqual(problems, [], 'no console errors');
  });
});
