import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { uid } from '../helpers/client.js';
import { DB_KIND, useServer } from '../helpers/server.js';
import { PROJECT_ROOT } from '../../src/paths.js';

const repoRoot = PROJECT_ROOT;
const CHROMIUM = '/usr/bin/chromium';
// The committed picture in docs/ is only rewritten on request (UPDATE_SCREENSHOT=1), so a test run
// leaves the working tree clean; otherwise the screenshot goes to test-results/.
const SCREENSHOT = process.env.UPDATE_SCREENSHOT
  ? path.join(repoRoot, 'docs', 'docs-page.png')
  : path.join(repoRoot, 'test-results', 'docs-page.png');

const skip = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) to run the docs page browser test`;

describe(`docs page in a browser (${DB_KIND})`, () => {
  const { server, api } = useServer();

  test('lists the endpoints, runs "try it out" on /auth/register, uses nothing but this server', { skip, timeout: 50_000 }, async () => {
    const profile = mkdtempSync(path.join(tmpdir(), 'bookstore-chromium-'));
    const launching = chromium.launchPersistentContext(profile, {
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
      viewport: { width: 1280, height: 900 },
    });
    const context = await launching;
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const requested: string[] = [];
      const problems: string[] = [];
      page.on('request', (r) => requested.push(r.url()));
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));

      const response = await page.goto(`${server.url}/docs`, { waitUntil: 'load' });
      assert.equal(response?.status(), 200);

      // The endpoints of the document are listed.
      await page.locator('.opblock').first().waitFor({ timeout: 15_000 });
      const paths = await page.locator('.opblock-summary-path').allInnerTexts();
      const listed = new Set(paths.map((p) => p.replace(/\u200b/g, '').trim()));
      for (const p of ['/auth/register', '/auth/login', '/seller/add_book', '/buyer/new_order', '/buyer/payment', '/healthz', '/metrics']) {
        assert.ok(listed.has(p), `${p} listed (got ${[...listed].join(', ')})`);
      }
      assert.ok(listed.size >= 20, `${listed.size} endpoints listed`);
      assert.equal(await page.locator('.info .title').first().innerText().then((t) => t.includes('Bookstore API')), true);

      // "Try it out" on POST /auth/register, from the page to the server.
      const userId = uid('docs');
      const op = page.locator('#operations-auth-post_auth_register');
      await op.locator('.opblock-summary').first().click();
      await op.locator('button.try-out__btn').click();
      await op.locator('textarea.body-param__text').fill(JSON.stringify({ user_id: userId, password: 'docs-page-pw' }, null, 2));
      await op.locator('button.execute').click();
      const status = op.locator('.live-responses-table .response .response-col_status').first();
      await status.waitFor({ timeout: 15_000 });
      assert.equal((await status.innerText()).trim(), '200');
      assert.match(await op.locator('.live-responses-table .microlight, .live-responses-table pre').first().innerText(), /"message":\s*"ok"/);
      // The request really reached the server: the account exists.
      const login = await api.post('/auth/login', { user_id: userId, password: 'docs-page-pw', terminal: 'docs' });
      assert.equal(login.status, 200);

      // Served entirely by this server: no CDN, no validator, no fonts from elsewhere.
      const foreign = requested.filter((u) => !u.startsWith(server.url) && !u.startsWith('data:'));
      assert.deepEqual(foreign, []);
      assert.ok(requested.some((u) => u.includes('/docs/static/swagger-ui-bundle.js')), 'Swagger UI assets come from /docs/static');
      assert.deepEqual(problems, [], 'no console errors or CSP violations');

      // The picture for the README: every endpoint listed, and GET /healthz tried out, down to its answer.
      await op.locator('.opblock-summary').first().click();
      const health = page.locator('#operations-service-get_healthz');
      await health.locator('.opblock-summary').first().click();
      await health.locator('button.try-out__btn').click();
      await health.locator('button.execute').click();
      const healthAnswer = health.locator('.live-responses-table .response').first();
      await healthAnswer.waitFor({ timeout: 15_000 });
      assert.equal((await healthAnswer.locator('.response-col_status').innerText()).trim(), '200');
      const bottom = await healthAnswer.evaluate((el) => el.getBoundingClientRect().bottom + window.scrollY);
      mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true, clip: { x: 0, y: 0, width: 1280, height: Math.ceil(bottom) + 24 } });
      assert.ok(existsSync(SCREENSHOT));
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
