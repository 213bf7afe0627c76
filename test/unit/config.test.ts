import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

const SECRET = 'a-test-secret-of-forty-characters-long!!';
const load = (env: Record<string, string>) => loadConfig({ BOOKSTORE_SECRET: SECRET, ...env });

describe('configuration', () => {
  test('password work: the thread pool\'s size at once by default (as UV_THREADPOOL_SIZE says), 64 waiting', () => {
    assert.deepEqual([load({}).hashConcurrency, load({}).hashQueue], [4, 64]);
    assert.equal(load({ UV_THREADPOOL_SIZE: '8' }).hashConcurrency, 8);
    assert.deepEqual([load({ BOOKSTORE_HASH_CONCURRENCY: '2', BOOKSTORE_HASH_QUEUE: '0', BOOKSTORE_SCRYPT_LOG_N: '17' })].map((c) => [c.hashConcurrency, c.hashQueue, c.scryptLogN])[0], [2, 0, 17]);
  });

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
      [{ BOOKSTORE_SCRYPT_LOG_N: '18' }, /^BOOKSTORE_SCRYPT_LOG_N must be a whole number between 10 and 17/],
      [{ BOOKSTORE_SCRYPT_LOG_N: '9' }, /^BOOKSTORE_SCRYPT_LOG_N must be a whole number between 10 and 17/],
      [{ BOOKSTORE_HASH_CONCURRENCY: '5' }, /^BOOKSTORE_HASH_CONCURRENCY must be a whole number between 1 and 4 .*UV_THREADPOOL_SIZE/],
      [{ BOOKSTORE_HASH_CONCURRENCY: '0' }, /^BOOKSTORE_HASH_CONCURRENCY/],
      [{ BOOKSTORE_HASH_QUEUE: '-1' }, /^BOOKSTORE_HASH_QUEUE/],
    ];
    for (const [env, message] of cases) {
      assert.throws(() => load(env), (err: unknown) => err instanceof ConfigError && message.test(err.message), JSON.stringify(env));
    }
  });
});
