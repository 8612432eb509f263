import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { digestHex, sha256Digest, type Digest } from '../../oci/digest.js';
import { describeBlobStore, readAll, streamOf, testBytes } from './contract.js';
import { FsBlobStore } from './fs.js';

/** `global.gc` without starting node with --expose-gc. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  const gc: unknown = runInNewContext('gc');
  if (typeof gc !== 'function') throw new Error('cannot expose gc');
  return () => {
    gc();
  };
}

describeBlobStore('fs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'simfra-blobs-'));
  return { store: new FsBlobStore(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('FsBlobStore', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'simfra-blobs-fs-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const fresh = async (name: string): Promise<string> => join(dir, name);

  it('lays blobs and sessions out as documented', async () => {
    const root = await fresh('layout');
    const store = new FsBlobStore(root, { ids: () => 'session-1', now: () => new Date('2024-05-06T07:08:09.000Z') });
    const data = testBytes(1234);
    const upload = await store.startUpload();
    assert.equal(upload.id, 'session-1');
    assert.deepEqual((await readdir(join(root, 'uploads', 'session-1'))).sort(), ['data', 'startedat']);
    assert.equal(await readFile(join(root, 'uploads', 'session-1', 'startedat'), 'utf8'), '2024-05-06T07:08:09.000Z');
    await upload.append(streamOf(data));
    assert.deepEqual(await readFile(join(root, 'uploads', 'session-1', 'data')), data);
    const { digest } = await upload.commit(sha256Digest(data));
    const hex = digestHex(digest);
    assert.deepEqual(await readFile(join(root, 'blobs', 'sha256', hex.slice(0, 2), hex)), data);
    assert.deepEqual(await readdir(join(root, 'uploads')), [], 'the session directory is removed');
    await store.close();
  });

  it('refuses upload ids that are not safe file names', async () => {
    const store = new FsBlobStore(await fresh('ids'), { ids: () => '../escape' });
    await assert.rejects(store.startUpload(), /invalid upload id/);
    await store.close();
  });

  it('resumes an unfinished upload and keeps committed blobs across a restart', async () => {
    const root = await fresh('restart');
    const a = testBytes(300_000, 1);
    const b = testBytes(200_000, 2);
    const kept = testBytes(5000, 3);

    const first = new FsBlobStore(root);
    const upload = await first.startUpload();
    await upload.append(streamOf(a));
    const committed = await (async () => {
      const u = await first.startUpload();
      await u.append(streamOf(kept));
      return u.commit(sha256Digest(kept));
    })();
    await first.close();

    const second = new FsBlobStore(root);
    assert.deepEqual(await second.stat(committed.digest), committed);
    assert.deepEqual(await readAll(await second.read(committed.digest)), kept);
    const resumed = await second.openUpload(upload.id);
    assert.ok(resumed, 'the session survives');
    assert.equal(resumed.size, a.length);
    assert.equal(resumed.digest(), sha256Digest(a), 'rehashed from disk');
    assert.equal(resumed.startedAt.getTime(), upload.startedAt.getTime());
    assert.equal(await second.openUpload(upload.id), resumed, 'one live session per id');
    await resumed.append(streamOf(b));
    const info = await resumed.commit(sha256Digest(Buffer.concat([a, b])));
    assert.deepEqual(await readAll(await second.read(info.digest)), Buffer.concat([a, b]));
    await second.close();
  });

  it('drops bytes of an append that never completed before a crash', async () => {
    const root = await fresh('crash');
    const a = testBytes(1000, 1);
    const first = new FsBlobStore(root);
    const upload = await first.startUpload();
    await upload.append(streamOf(a));
    // The process died halfway through the next append: bytes on disk, never acknowledged.
    await appendFile(join(root, 'uploads', upload.id, 'data'), testBytes(777, 2));

    const second = new FsBlobStore(root);
    const resumed = await second.openUpload(upload.id);
    assert.ok(resumed);
    assert.equal(resumed.size, a.length);
    assert.equal((await stat(join(root, 'uploads', upload.id, 'data'))).size, a.length);
    await resumed.commit(sha256Digest(a));
    await first.close();
    await second.close();
  });

  it('treats a session whose first append never completed as empty', async () => {
    const root = await fresh('crash-first');
    const first = new FsBlobStore(root);
    const upload = await first.startUpload();
    await appendFile(join(root, 'uploads', upload.id, 'data'), testBytes(10));
    const second = new FsBlobStore(root);
    const resumed = await second.openUpload(upload.id);
    assert.equal(resumed?.size, 0);
    await first.close();
    await second.close();
  });

  it('purges stale sessions left by an earlier process', async () => {
    const root = await fresh('purge');
    let now = new Date('2024-01-01T00:00:00Z');
    const first = new FsBlobStore(root, { now: () => now });
    const old = await first.startUpload();
    now = new Date('2024-01-02T00:00:00Z');
    const recent = await first.startUpload();
    await first.close();

    const second = new FsBlobStore(root);
    assert.equal(await second.purgeUploads(new Date('2024-01-01T12:00:00Z')), 1);
    assert.equal(await second.openUpload(old.id), undefined);
    assert.ok(await second.openUpload(recent.id));
    await second.close();
  });

  it('streams a 64 MiB upload and download with flat memory', async (t) => {
    const root = await fresh('large');
    const store = new FsBlobStore(root);
    const chunkSize = 256 * 1024;
    const total = 64 * 1024 * 1024;
    // A few distinct chunks, made before measuring and never mutated, so the only memory that
    // can grow is the store's (generating fresh chunks would measure the garbage collector).
    const pool = Array.from({ length: 16 }, (_, i) => testBytes(chunkSize, i + 1));
    const expected = createHash('sha256');
    function* chunks(): Generator<Buffer> {
      for (let i = 0; i * chunkSize < total; i++) {
        const chunk = pool[i % pool.length] ?? Buffer.alloc(chunkSize);
        expected.update(chunk);
        yield chunk;
      }
    }

    // Measure what is retained, not garbage the collector has not got to yet: collect before
    // each sample (the read stream alone leaves ~32 MiB of dead 64 KiB chunks between GCs).
    const gc = exposeGc();
    const sample = (): number => {
      gc();
      return process.memoryUsage().rss;
    };
    let peak = 0;
    const baseline = sample();
    const sampler = setInterval(() => {
      peak = Math.max(peak, sample() - baseline);
    }, 20);
    try {
      const upload = await store.startUpload();
      assert.equal(await upload.append(Readable.from(chunks(), { objectMode: false })), total);
      const digest = `sha256:${expected.digest('hex')}` as Digest;
      assert.equal(upload.digest(), digest);
      assert.deepEqual(await upload.commit(digest), { digest, size: total });

      const readBack = createHash('sha256');
      await pipeline(
        await store.read(digest),
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            readBack.update(chunk);
            callback();
          },
        }),
      );
      assert.equal(`sha256:${readBack.digest('hex')}`, digest);
    } finally {
      clearInterval(sampler);
      peak = Math.max(peak, sample() - baseline);
      await store.close();
    }
    t.diagnostic(`peak rss growth ${(peak / 2 ** 20).toFixed(1)} MiB`);
    assert.ok(peak < total / 8, `rss grew by ${(peak / 2 ** 20).toFixed(1)} MiB for a 64 MiB blob`);
  });
});
