/**
 * The behaviour every BlobStore must have, as a node:test suite. Each implementation's test file
 * calls `describeBlobStore` with a factory (distribution's storage driver testsuites idea).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { sha256Digest, type Digest } from '../../oci/digest.js';
import {
  BlobNotFoundError,
  DigestMismatchError,
  InvalidRangeError,
  UploadNotFoundError,
  UploadTooLargeError,
  type BlobInfo,
  type BlobStore,
} from './blob-store.js';

export interface BlobStoreFixture {
  store: BlobStore;
  /** Called after `store.close()`. */
  cleanup(): Promise<void>;
}

/** Deterministic pseudo-random bytes (so a failure is reproducible). */
export function testBytes(size: number, seed = 1): Buffer {
  const buf = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf[i] = x & 0xff;
  }
  return buf;
}

/** A byte stream of the given chunks. */
export function streamOf(...chunks: Buffer[]): Readable {
  return Readable.from(chunks, { objectMode: false });
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

/** A body that sends `first` and then stalls, like a client that stopped mid-request. */
function stalledBody(first: Buffer): PassThrough {
  const body = new PassThrough();
  body.write(first);
  return body;
}

const digestOf = (...parts: Buffer[]): Digest => sha256Digest(Buffer.concat(parts));

async function listAll(store: BlobStore): Promise<BlobInfo[]> {
  const all: BlobInfo[] = [];
  for await (const info of store.list()) all.push(info);
  return all.sort((a, b) => a.digest.localeCompare(b.digest));
}

export function describeBlobStore(name: string, make: () => Promise<BlobStoreFixture>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let fixture: BlobStoreFixture;
    let store: BlobStore;

    beforeEach(async () => {
      fixture = await make();
      store = fixture.store;
    });

    afterEach(async () => {
      await store.close();
      await fixture.cleanup();
    });

    async function put(data: Buffer): Promise<BlobInfo> {
      const upload = await store.startUpload();
      await upload.append(streamOf(data));
      return upload.commit(sha256Digest(data));
    }

    it('commits an upload made of several appends, and reads it back', async () => {
      const a = testBytes(100_000, 1);
      const b = testBytes(70_001, 2);
      const upload = await store.startUpload();
      assert.equal(upload.size, 0);
      assert.ok(upload.startedAt instanceof Date);
      assert.equal(upload.digest(), sha256Digest(Buffer.alloc(0)));

      assert.equal(await upload.append(streamOf(a.subarray(0, 10), a.subarray(10, 50_000), a.subarray(50_000))), a.length);
      assert.equal(upload.size, a.length);
      assert.equal(upload.digest(), digestOf(a));
      assert.equal(await upload.append(streamOf(b)), a.length + b.length);
      assert.equal(upload.digest(), digestOf(a, b));

      const digest = digestOf(a, b);
      assert.equal(await store.stat(digest), undefined, 'not visible before commit');
      assert.deepEqual(await listAll(store), []);

      const info = await upload.commit(digest);
      assert.deepEqual(info, { digest, size: a.length + b.length });
      assert.deepEqual(await store.stat(digest), info);
      assert.deepEqual(await readAll(await store.read(digest)), Buffer.concat([a, b]));
      assert.equal(await store.openUpload(upload.id), undefined, 'a committed session is gone');
    });

    it('commit is idempotent, and cancel after commit keeps the blob', async () => {
      const data = testBytes(1000);
      const upload = await store.startUpload();
      await upload.append(streamOf(data));
      const first = await upload.commit(sha256Digest(data));
      assert.deepEqual(await upload.commit(sha256Digest(data)), first);
      await assert.rejects(upload.commit(sha256Digest('other')), DigestMismatchError);
      await upload.cancel();
      assert.deepEqual(await store.stat(first.digest), first);
    });

    it('commits an empty upload as the empty blob', async () => {
      const upload = await store.startUpload();
      const info = await upload.commit(sha256Digest(''));
      assert.deepEqual(info, { digest: sha256Digest(''), size: 0 });
      assert.deepEqual(await readAll(await store.read(info.digest)), Buffer.alloc(0));
      await assert.rejects(store.read(info.digest, { range: { start: 0 } }), InvalidRangeError);
    });

    it('reads byte ranges', async () => {
      const data = testBytes(1000);
      const { digest } = await put(data);
      const range = async (start: number, end?: number): Promise<Buffer> =>
        readAll(await store.read(digest, { range: end === undefined ? { start } : { start, end } }));
      assert.deepEqual(await range(0), data);
      assert.deepEqual(await range(10), data.subarray(10));
      assert.deepEqual(await range(10, 19), data.subarray(10, 20));
      assert.deepEqual(await range(0, 0), data.subarray(0, 1));
      assert.deepEqual(await range(999), data.subarray(999));
      assert.deepEqual(await range(990, 5000), data.subarray(990), 'end is clamped');
      await assert.rejects(range(1000), InvalidRangeError);
      await assert.rejects(range(5, 4), InvalidRangeError);
      await assert.rejects(range(-1), InvalidRangeError);
    });

    it('reads ranges that span the pieces a blob arrived in', async () => {
      const parts = [testBytes(7, 1), testBytes(1, 2), testBytes(100, 3), testBytes(5, 4)];
      const upload = await store.startUpload();
      for (const part of parts) await upload.append(streamOf(part));
      const data = Buffer.concat(parts);
      await upload.commit(sha256Digest(data));
      for (const [start, end] of [[0, 6], [6, 8], [7, 7], [8, 107], [3, 110], [107, 112]] as const) {
        const got = await readAll(await store.read(sha256Digest(data), { range: { start, end } }));
        assert.deepEqual(got, data.subarray(start, end + 1), `${start}-${end}`);
      }
    });

    it('answers unknown blobs with undefined and BlobNotFoundError', async () => {
      const digest = sha256Digest('nothing here');
      assert.equal(await store.stat(digest), undefined);
      await assert.rejects(store.read(digest), (e: unknown) => e instanceof BlobNotFoundError && e.digest === digest);
    });

    it('rejects a digest mismatch, cancels the session and shows nothing', async () => {
      const data = testBytes(5000);
      const wrong = sha256Digest('something else');
      const upload = await store.startUpload();
      await upload.append(streamOf(data));
      await assert.rejects(
        upload.commit(wrong),
        (e: unknown) => e instanceof DigestMismatchError && e.expected === wrong && e.actual === sha256Digest(data),
      );
      assert.equal(await store.stat(wrong), undefined);
      assert.equal(await store.stat(sha256Digest(data)), undefined);
      assert.deepEqual(await listAll(store), []);
      assert.equal(await store.openUpload(upload.id), undefined);
      await assert.rejects(upload.append(streamOf(data)), UploadNotFoundError);
      await upload.cancel();
    });

    it('cancels idempotently', async () => {
      const upload = await store.startUpload();
      await upload.append(streamOf(testBytes(100)));
      await upload.cancel();
      await upload.cancel();
      assert.equal(await store.openUpload(upload.id), undefined);
      await assert.rejects(upload.append(streamOf(testBytes(1))), UploadNotFoundError);
      await assert.rejects(upload.commit(sha256Digest(testBytes(100))), UploadNotFoundError);
      assert.deepEqual(await listAll(store), []);
    });

    it('resumes an unfinished session through openUpload', async () => {
      const a = testBytes(3000, 1);
      const b = testBytes(4000, 2);
      const upload = await store.startUpload();
      await upload.append(streamOf(a));

      const resumed = await store.openUpload(upload.id);
      assert.ok(resumed);
      assert.equal(resumed.id, upload.id);
      assert.equal(resumed.size, a.length);
      assert.equal(resumed.digest(), digestOf(a));
      assert.equal(resumed.startedAt.getTime(), upload.startedAt.getTime());
      await resumed.append(streamOf(b));
      const info = await resumed.commit(digestOf(a, b));
      assert.deepEqual(await readAll(await store.read(info.digest)), Buffer.concat([a, b]));
    });

    it('does not open unknown or malformed session ids', async () => {
      assert.equal(await store.openUpload('00000000-0000-4000-8000-000000000000'), undefined);
      assert.equal(await store.openUpload('../../etc'), undefined);
      assert.equal(await store.openUpload(''), undefined);
    });

    it('deduplicates the same content committed twice', async () => {
      const data = testBytes(10_000);
      const first = await put(data);
      const second = await put(data);
      assert.deepEqual(second, first);
      assert.deepEqual(await listAll(store), [first]);
      assert.deepEqual(await readAll(await store.read(first.digest)), data);
    });

    it('keeps the earlier bytes and nothing more when an append is aborted', async () => {
      const a = testBytes(2000, 1);
      const upload = await store.startUpload();
      await upload.append(streamOf(a));

      const body = stalledBody(testBytes(1500, 2));
      const ac = new AbortController();
      const appending = upload.append(body, { signal: ac.signal });
      await sleep(50);
      ac.abort();
      await assert.rejects(appending, { name: 'AbortError' });
      assert.equal(upload.size, a.length);
      assert.equal(upload.digest(), digestOf(a));
      assert.equal(body.destroyed, false, 'the body belongs to the caller');

      const c = testBytes(500, 3);
      assert.equal(await upload.append(streamOf(c)), a.length + c.length);
      const info = await upload.commit(digestOf(a, c));
      assert.deepEqual(await readAll(await store.read(info.digest)), Buffer.concat([a, c]));
    });

    it('rejects at once when the signal is already aborted', async () => {
      const upload = await store.startUpload();
      await assert.rejects(upload.append(streamOf(testBytes(10)), { signal: AbortSignal.abort() }), { name: 'AbortError' });
      assert.equal(upload.size, 0);
    });

    it('rolls an append back when its body fails', async () => {
      const a = testBytes(1000, 1);
      const upload = await store.startUpload();
      await upload.append(streamOf(a));
      const body = stalledBody(testBytes(800, 2));
      setTimeout(() => body.destroy(new Error('connection reset')), 20);
      await assert.rejects(upload.append(body), /connection reset/);
      assert.equal(upload.size, a.length);
      assert.equal(upload.digest(), digestOf(a));

      const ended = stalledBody(testBytes(800, 3));
      setTimeout(() => ended.destroy(), 20);
      await assert.rejects(upload.append(ended), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
      assert.equal(upload.size, a.length);
      await upload.commit(digestOf(a));
    });

    it('stops an append in flight when the session is cancelled', async () => {
      const upload = await store.startUpload();
      const appending = upload.append(stalledBody(testBytes(100)));
      await sleep(20);
      await upload.cancel();
      await assert.rejects(appending, UploadNotFoundError);
      assert.equal(await store.openUpload(upload.id), undefined);
    });

    it('enforces maxBytes on the session size and keeps nothing past it', async () => {
      const a = testBytes(10, 1);
      const b = testBytes(20, 2);
      const c = testBytes(15, 3);
      const upload = await store.startUpload();
      await upload.append(streamOf(a), { maxBytes: 25 });
      const body = stalledBody(b);
      await assert.rejects(upload.append(body, { maxBytes: 25 }), (e: unknown) => e instanceof UploadTooLargeError && e.maxBytes === 25);
      assert.equal(body.destroyed, false, 'the body belongs to the caller');
      assert.equal(upload.size, a.length);
      assert.equal(upload.digest(), digestOf(a));
      assert.equal(await upload.append(streamOf(c), { maxBytes: 25 }), 25, 'exactly the limit is allowed');
      await assert.rejects(upload.append(streamOf(Buffer.from([1])), { maxBytes: 25 }), UploadTooLargeError);
      const info = await upload.commit(digestOf(a, c));
      assert.deepEqual(await readAll(await store.read(info.digest)), Buffer.concat([a, c]));
    });

    it('runs appends on one session in call order', async () => {
      const parts = [testBytes(5000, 1), testBytes(10, 2), testBytes(3000, 3)];
      const upload = await store.startUpload();
      const sizes = await Promise.all(parts.map((p) => upload.append(streamOf(p))));
      assert.deepEqual(sizes, [5000, 5010, 8010]);
      await upload.commit(digestOf(...parts));
    });

    it('deletes blobs idempotently', async () => {
      const info = await put(testBytes(100));
      const other = await put(testBytes(100, 9));
      await store.delete(info.digest);
      assert.equal(await store.stat(info.digest), undefined);
      await assert.rejects(store.read(info.digest), BlobNotFoundError);
      await store.delete(info.digest);
      assert.deepEqual(await listAll(store), [other]);
    });

    it('commits the same content again after it was deleted (garbage collection, then a new push)', async () => {
      // given a blob deleted while an upload of the same content was open
      const data = testBytes(2000, 11);
      const upload = await store.startUpload();
      await upload.append(streamOf(data));
      const { digest } = await put(data);
      await store.delete(digest);
      // when the upload commits
      const info = await upload.commit(digest);
      // then the blob is back, whole
      assert.deepEqual(info, { digest, size: data.length });
      assert.deepEqual(await readAll(await store.read(digest)), data);
      assert.deepEqual(await listAll(store), [info]);
    });

    it('lists many blobs across prefixes, each once, and none deleted', async () => {
      // given 300 blobs, a third of them deleted
      const infos = await Promise.all(Array.from({ length: 300 }, (_, i) => put(testBytes(10 + i, 100 + i))));
      for (const info of infos.filter((_, i) => i % 3 === 0)) await store.delete(info.digest);
      // when listed / then
      const expected = infos.filter((_, i) => i % 3 !== 0).sort((x, y) => x.digest.localeCompare(y.digest));
      assert.deepEqual(await listAll(store), expected);
    });

    it('keeps serving a stream opened before the blob was deleted', async () => {
      const data = testBytes(300_000);
      const { digest } = await put(data);
      const stream = await store.read(digest);
      await store.delete(digest);
      assert.deepEqual(await readAll(stream), data);
    });

    it('lists every committed blob', async () => {
      const infos = await Promise.all([testBytes(1, 1), testBytes(1000, 2), testBytes(0), testBytes(5, 3)].map((d) => put(d)));
      const unfinished = await store.startUpload();
      await unfinished.append(streamOf(testBytes(10, 4)));
      assert.deepEqual(await listAll(store), infos.sort((x, y) => x.digest.localeCompare(y.digest)));
    });

    it('destroys a read stream when its signal aborts', async () => {
      const { digest } = await put(testBytes(2 << 20));
      const ac = new AbortController();
      const stream = await store.read(digest, { signal: ac.signal });
      const reading = readAll(stream);
      ac.abort();
      await assert.rejects(reading, { name: 'AbortError' });
      assert.equal(stream.destroyed, true);
    });

    it('purges sessions started before a given time', async () => {
      const old = await store.startUpload();
      await old.append(streamOf(testBytes(10)));
      assert.equal(await store.purgeUploads(old.startedAt), 0, 'not older than its own start');
      assert.equal(await store.purgeUploads(new Date(old.startedAt.getTime() + 1)), 1);
      assert.equal(await store.openUpload(old.id), undefined);
      await assert.rejects(old.append(streamOf(testBytes(1))), UploadNotFoundError);
    });

    it('hashes what it stores, whatever the chunking', async () => {
      const data = testBytes(1 << 20, 5);
      const upload = await store.startUpload();
      const body = new PassThrough({ highWaterMark: 1 });
      const writing = (async () => {
        for (let i = 0; i < data.length; i += 99_991) body.write(data.subarray(i, i + 99_991));
        body.end();
      })();
      await upload.append(body);
      await writing;
      const expected = `sha256:${createHash('sha256').update(data).digest('hex')}`;
      assert.equal(upload.digest(), expected);
    });
  });
}
