import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../../src/errors.js';
import { HashGate } from '../../src/security/hash-gate.js';

/** Work that finishes when the test says so. */
function pending() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { done, finish };
}

describe('hash gate', () => {
  test('runs at most `concurrency` at once, queues up to `queueLimit` in order, refuses beyond with 503 and Retry-After', async () => {
    const gate = new HashGate(2, 2);
    const started: number[] = [];
    const works = Array.from({ length: 4 }, () => pending());
    const runs = works.map((w, i) => gate.run(async () => { started.push(i); await w.done; return i; }));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, [0, 1]);
    assert.deepEqual(gate.load, { running: 2, waiting: 2 });

    await assert.rejects(gate.run(async () => 99), (err: unknown) => err instanceof AppError && err.status === 503 && (err.retryAfterS ?? 0) >= 1);

    works[1]!.finish();
    assert.equal(await runs[1], 1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, [0, 1, 2]); // the first in line, into the freed slot
    assert.deepEqual(gate.load, { running: 2, waiting: 1 });

    for (const w of works) w.finish();
    assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3]);
    assert.deepEqual(gate.load, { running: 0, waiting: 0 });
  });

  test('a failing hash frees its slot', async () => {
    const gate = new HashGate(1, 0);
    await assert.rejects(gate.run(async () => { throw new Error('boom'); }), /boom/);
    assert.equal(await gate.run(async () => 'next'), 'next');
  });
});
