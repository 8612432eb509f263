import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { YoungGarbage } from './young-garbage.js';

describe('YoungGarbage', () => {
  it('collects the young generation once per `everyBytes` received, not per chunk', () => {
    // given a collector counting its calls, every 4 MiB
    const calls: unknown[] = [];
    const garbage = new YoungGarbage((options) => calls.push(options), 4 << 20);
    // when 64 KiB chunks worth 10 MiB arrive
    const upload = {};
    for (let i = 0; i < 160; i++) garbage.received(64 << 10, upload);
    // then it collected twice, a minor synchronous collection each time
    assert.deepEqual(calls, [
      { type: 'minor', execution: 'sync' },
      { type: 'minor', execution: 'sync' },
    ]);
  });

  it('waits for `perUploadBytes` from each upload when several upload at once', () => {
    // given a collector counting its calls, every 4 MiB and every 4 MiB per upload
    const calls: unknown[] = [];
    const garbage = new YoungGarbage((options) => calls.push(options), 4 << 20, 4 << 20);
    // when four uploads take in 1 MiB each, in turn, 15 times (15 MiB in all)
    const uploads = [{}, {}, {}, {}];
    for (let round = 0; round < 15; round++) for (const u of uploads) garbage.received(1 << 20, u);
    // then it collected once per 16 MiB (4 MiB from each), not once per 4 MiB
    assert.equal(calls.length, 3);
  });

  it("reaches V8's collector in this runtime, and runs it without harm", () => {
    // given the runtime's collector
    const garbage = YoungGarbage.fromRuntime(1);
    // when data arrives, then a collection runs and nothing throws
    assert.doesNotThrow(() => garbage.received(1, {}));
    assert.equal(typeof (garbage as unknown as { gc: unknown }).gc, 'function');
  });
});
