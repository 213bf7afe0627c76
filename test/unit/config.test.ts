import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

const SECRET = 'a-test-secret-of-forty-characters-long!!';
const load = (env: Record<string, string>) => loadConfig({ BOOKSTORE_SECRET: SECRET, ...env });

describe('configuration', () => {
  test('defaults: port 5000 on 127.0.0.1, the embedded database in ./data, 15-minute orders, 1-hour tokens', () => {
    const config = load({});
    assert.equal(config.port, 5000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.databaseUrl, undefined);
    assert.match(config.dataDir, /\/data$/);
    assert.equal(config.orderTimeoutS, 900);
    assert.equal(config.tokenTtlS, 3600);
    assert.equal(config.logLevel, 'info');
  });

  test('values are read and trimmed', () => {
    const config = load({ PORT: ' 8080 ', DATABASE_URL: 'postgres://u@h/db', BOOKSTORE_ORDER_TIMEOUT_S: '60', LOG_LEVEL: 'warn' });
    assert.deepEqual([config.port, config.databaseUrl, config.orderTimeoutS, config.logLevel], [8080, 'postgres://u@h/db', 60, 'warn']);
  });

  test('a bad value stops the start with a message naming the variable', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ PORT: 'eighty' }, /^PORT/],
      [{ PORT: '70000' }, /^PORT .*65535/],
      [{ BOOKSTORE_ORDER_TIMEOUT_S: '0' }, /^BOOKSTORE_ORDER_TIMEOUT_S/],
      [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL/],
      [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL/],
      [{ BOOKSTORE_SECRET: 'short' }, /^BOOKSTORE_SECRET/],
    ];
    for (const [env, message] of cases) {
      assert.throws(() => load(env), (err: unknown) => err instanceof ConfigError && message.test(err.message), JSON.stringify(env));
    }
  });
});
