import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { YoungGarbage } from './young-garbage.js';

describe('YoungGarbage', () => {
  it('collects the young generation once per `everyBytes` received, not per chunk', () => {
    // given a collector counting its calls, every 4 MiB
    const calls: unknown[] = [];
    const garbage = new YoungGarbage((options) => calls.push(options), 4 << 20);
    // when 64 KiB chunks worth 10 MiB arrive
    const upload = { releaseChunks: () => undefined };
    for (let i = 0; i < 160; i++) garbage.received(64 << 10, upload);
    // then it collected twice, a minor synchronous collection each time
    assert.deepEqual(calls, [
      { type: 'minor', execution: 'sync' },
      { type: 'minor', execution: 'sync' },
    ]);
  });

  it('has every upload write out the chunks it holds before it collects', () => {
    // given a collector recording, at each call, which uploads still held chunks
    const held = new Set<string>();
    const seen: string[][] = [];
    const garbage = new YoungGarbage(() => seen.push([...held].sort()), 4 << 20);
    const upload = (name: string) => ({ releaseChunks: () => held.delete(name), name });
    const [a, b, c] = [upload('a'), upload('b'), upload('c')];
    // when three uploads take in 1 MiB at a time, each keeping what it took
    for (const u of [a, b, c, a]) {
      held.add(u.name);
      garbage.received(1 << 20, u);
    }
    // then the collection ran once, after all three had written theirs out
    assert.deepEqual(seen, [[]]);
  });

  it("waits past an upload's last write for the next write of any upload", () => {
    // given a collector counting its calls, every 4 MiB
    const calls: unknown[] = [];
    const garbage = new YoungGarbage((options) => calls.push(options), 4 << 20);
    const first = { releaseChunks: () => undefined };
    const next = { releaseChunks: () => undefined };
    // when one upload writes 3 MiB and then its last 1 MiB
    garbage.received(3 << 20, first);
    garbage.received(1 << 20, first, true);
    // then nothing is collected yet, and the next upload's first write brings the collection
    assert.equal(calls.length, 0);
    garbage.received(256 << 10, next);
    assert.equal(calls.length, 1);
  });

  it("reaches V8's collector in this runtime, and runs it without harm", () => {
    // given the runtime's collector
    const garbage = YoungGarbage.fromRuntime(1);
    // when data arrives, then a collection runs and nothing throws
    assert.doesNotThrow(() => garbage.received(1, { releaseChunks: () => undefined }));
    assert.equal(typeof (garbage as unknown as { gc: unknown }).gc, 'function');
  });
});
