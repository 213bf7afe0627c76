import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { projectPath } from '../../src/paths.js';
import { createScratchDatabase, DB_KIND, useServer } from '../helpers/server.js';

/** Runs a compiled tool the way `npm run bench…` does, and collects its output. */
function runTool(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [projectPath('build', 'tools', script), ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The benchmarks are tools beside the product: run briefly against a real server, they must work end to end. */
describe(`benchmarks, run briefly (${DB_KIND})`, () => {
  const { server } = useServer();

  for (const client of ['undici', 'lean']) {
    test(`the order benchmark (${client} client) sets up its world, places and pays orders, and its checks pass`, async () => {
      const { code, stdout, stderr } = await runTool('order-bench/run-bench.js', [
        '--url', server.url, '--client', client, '--concurrency', '2', '--duration', '2', '--warmup', '0', '--sellers', '1',
        '--stores-per-seller', '1', '--books-per-store', '5', '--buyers', '2', '--json', '--quiet',
      ]);
      assert.equal(code, 0, stderr);
      const result = JSON.parse(stdout);
      assert.equal(result.verdict, 'PASS');
      assert.equal(result.client, client);
      assert.ok(result.throughput.ordersPerSecond > 0, JSON.stringify(result.throughput));
      assert.ok(result.generator.cpuMsPerOrder > 0, JSON.stringify(result.generator));
    });
  }

  test('the search benchmark builds a small catalogue and times every query kind', async (t) => {
    const url = process.env.DATABASE_URL;
    if (!url) {
      t.skip('the search benchmark builds its catalogue in PostgreSQL (set DATABASE_URL)');
      return;
    }
    const scratch = await createScratchDatabase(url, 'bookstore_searchbench');
    try {
      const { code, stdout, stderr } = await runTool('search-bench/bench-search.js', ['--listings', '1000', '--requests', '3', '--db', scratch.url]);
      assert.equal(code, 0, stderr);
      assert.match(stdout, /common 2-char Chinese word/);
      assert.match(stdout, /add_book/);
    } finally {
      await scratch.drop();
    }
  });
});
