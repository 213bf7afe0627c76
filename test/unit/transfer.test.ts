import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { describe, test } from 'node:test';
import { ownTransfer } from '../../src/db/transfer.js';

describe('moving bytes to the database thread', () => {
  test('memory a view owns whole is moved; Node\'s shared Buffer pool and partial views never are', () => {
    assert.equal(ownTransfer(Buffer.allocUnsafeSlow(64)).length, 1);
    assert.equal(ownTransfer(new Uint8Array(64)).length, 1);
    assert.equal(ownTransfer(Buffer.allocUnsafe(64)).length, 0, 'a slice of the pool');
    assert.equal(ownTransfer(new Uint8Array(64).subarray(8)).length, 0, 'a part of its memory');
  });

  test('posting with that list leaves the pool usable (Node 22 throws if the pool is listed)', () => {
    const { port1, port2 } = new MessageChannel();
    const pooled = Buffer.from('pooled');
    port1.postMessage(pooled, ownTransfer(pooled));
    assert.equal(pooled.toString(), 'pooled');
    const owned = Buffer.allocUnsafeSlow(16);
    port1.postMessage(owned, ownTransfer(owned));
    assert.equal(owned.byteLength, 0, 'moved, not copied');
    port1.close();
    port2.close();
  });
});
