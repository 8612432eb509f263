import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { BodyBudgetExceededError, BodyTooLargeError, ByteBudget, readCapped } from './body.js';

/** A request-like stream with the given headers. */
function fakeRequest(headers: Record<string, string> = {}): PassThrough & IncomingMessage {
  const s = new PassThrough() as PassThrough & IncomingMessage;
  Object.assign(s, { headers, complete: false });
  return s;
}

describe('ByteBudget', () => {
  it('gives out bytes until the limit, and takes back all of a lease on release', () => {
    // given
    const budget = new ByteBudget(100);
    const a = budget.lease();
    const b = budget.lease();
    // when
    a.take(60);
    // then
    assert.throws(() => b.take(41), BodyBudgetExceededError);
    b.take(40);
    assert.equal(budget.used, 100);
    a.release();
    a.release();
    assert.equal(budget.used, 40);
  });
});

describe('readCapped', () => {
  it('takes a declared length from the budget before reading, and refuses it when it does not fit', async () => {
    // given
    const budget = new ByteBudget(10);
    // when / then
    await assert.rejects(readCapped(fakeRequest({ 'content-length': '11' }), 100, budget.lease()), BodyBudgetExceededError);
    assert.equal(budget.used, 0);
    const req = fakeRequest({ 'content-length': '4' });
    const lease = budget.lease();
    const reading = readCapped(req, 100, lease);
    req.end('abcd');
    assert.equal((await reading).toString(), 'abcd');
    assert.equal(budget.used, 4);
    lease.release();
  });

  it('stops at the cap while reading an unannounced body, leaving the stream undestroyed', async () => {
    // given
    const req = fakeRequest();
    const reading = readCapped(req, 5);
    // when
    req.write('abc');
    req.write('defg');
    // then
    await assert.rejects(reading, BodyTooLargeError);
    assert.equal(req.destroyed, false);
  });
});
