import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { digestHex, sha256Digest, type Digest } from '../../oci/digest.js';
import { describeBlobStore, readAll, streamOf, testBytes } from './contract.js';
import { SealWorker } from './seal-worker.js';
import { SealedFsBlobStore, type BlobKeyring } from './sealed-fs.js';
import { SealedBlobCorruptError } from './sealed-format.js';

class KeyDisabled extends Error {}

/** A keyring under a key of its own that a test can switch off, as a disabled KMS key. */
class TestKeyring implements BlobKeyring {
  enabled = true;
  unwraps = 0;
  readonly #kek = randomBytes(32);

  async newDataKey(): Promise<{ key: Buffer; wrapped: Buffer }> {
    this.#check();
    const key = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#kek, iv);
    const body = Buffer.concat([cipher.update(key), cipher.final()]);
    return { key, wrapped: Buffer.concat([iv, body, cipher.getAuthTag()]) };
  }

  async unwrap(wrapped: Buffer): Promise<Buffer> {
    this.#check();
    this.unwraps++;
    const decipher = createDecipheriv('aes-256-gcm', this.#kek, wrapped.subarray(0, 12));
    decipher.setAuthTag(wrapped.subarray(wrapped.length - 16));
    return Buffer.concat([decipher.update(wrapped.subarray(12, wrapped.length - 16)), decipher.final()]);
  }

  #check(): void {
    if (!this.enabled) throw new KeyDisabled('key disabled');
  }
}

// Default segments, and tiny ones so that the contract's small blobs span many records.
describeBlobStore('sealed-fs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'simfra-sealed-'));
  return { store: new SealedFsBlobStore(dir, new TestKeyring()), cleanup: () => rm(dir, { recursive: true, force: true }) };
});
describeBlobStore('sealed-fs (1 KiB segments)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'simfra-sealed-'));
  return {
    store: new SealedFsBlobStore(dir, new TestKeyring(), { segment: 1024 }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

// And with upload segments sealed on the worker thread, as the app runs it.
describeBlobStore('sealed-fs (sealing worker)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'simfra-sealed-'));
  const worker = new SealWorker();
  return {
    store: new SealedFsBlobStore(dir, new TestKeyring(), { segment: 4096, worker }),
    cleanup: async () => {
      await worker.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('SealedFsBlobStore', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'simfra-sealed-fs-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const blobFile = (root: string, digest: string): string => {
    const hex = digestHex(digest as Digest);
    return join(root, 'blobs', 'sha256', hex.slice(0, 2), hex);
  };

  it('never writes the plaintext to disk, in a session or in a blob', async () => {
    // given
    const root = join(dir, 'at-rest');
    const store = new SealedFsBlobStore(root, new TestKeyring(), { ids: () => 'session-1', segment: 4096 });
    const marker = Buffer.from('THE-KNOWN-PLAINTEXT-MARKER');
    const data = Buffer.concat([testBytes(10_000, 1), marker, testBytes(3000, 2), marker]);
    // when
    const upload = await store.startUpload();
    await upload.append(streamOf(data.subarray(0, 9000)));
    const session = join(root, 'uploads', 'session-1');
    const staged = Buffer.concat([await readFile(join(session, 'data')), await readFile(join(session, 'tail'))]);
    await upload.append(streamOf(data.subarray(9000)));
    const { digest } = await upload.commit(sha256Digest(data));
    // then
    const onDisk = await readFile(blobFile(root, digest));
    assert.equal(onDisk.indexOf(marker), -1, 'the blob file does not hold the plaintext');
    assert.equal(staged.indexOf(data.subarray(0, 64)), -1, 'nor does the session');
    assert.deepEqual(await readAll(await store.read(digest)), data);
    assert.deepEqual(await readdir(join(root, 'uploads')), []);
    await store.close();
  });

  it('keeps its sessions and blobs to the owner (files 0600, directories 0700)', async () => {
    // given
    const root = join(dir, 'modes');
    const store = new SealedFsBlobStore(root, new TestKeyring(), { ids: () => 'session-m', segment: 1024 });
    const data = testBytes(3000, 3);
    // when
    const upload = await store.startUpload();
    await upload.append(streamOf(data));
    const session = join(root, 'uploads', 'session-m');
    const modes = {
      session: (await stat(session)).mode & 0o777,
      data: (await stat(join(session, 'data'))).mode & 0o777,
      startedat: (await stat(join(session, 'startedat'))).mode & 0o777,
      tail: (await stat(join(session, 'tail'))).mode & 0o777,
    };
    const { digest } = await upload.commit(sha256Digest(data));
    // then
    assert.deepEqual(modes, { session: 0o700, data: 0o600, startedat: 0o600, tail: 0o600 });
    assert.equal((await stat(blobFile(root, digest))).mode & 0o777, 0o600);
    await store.close();
  });

  it('refuses reads and new uploads while the key cannot be used, and serves again once it can', async () => {
    // given
    const keyring = new TestKeyring();
    const store = new SealedFsBlobStore(join(dir, 'disabled'), keyring);
    const data = testBytes(200_000);
    const upload = await store.startUpload();
    await upload.append(streamOf(data));
    const { digest } = await upload.commit(sha256Digest(data));
    // when
    keyring.enabled = false;
    // then
    await assert.rejects(store.read(digest), KeyDisabled);
    await assert.rejects(store.startUpload(), KeyDisabled);
    assert.deepEqual(await store.stat(digest), { digest, size: data.length }, 'stat needs no key');
    keyring.enabled = true;
    assert.deepEqual(await readAll(await store.read(digest, { range: { start: 70_000, end: 140_000 } })), data.subarray(70_000, 140_001));
    await store.close();
  });

  it('unwraps the data key on every read', async () => {
    const keyring = new TestKeyring();
    const store = new SealedFsBlobStore(join(dir, 'every-read'), keyring);
    const upload = await store.startUpload();
    await upload.append(streamOf(testBytes(10)));
    const { digest } = await upload.commit(sha256Digest(testBytes(10)));
    const before = keyring.unwraps;
    await readAll(await store.read(digest));
    await readAll(await store.read(digest));
    assert.equal(keyring.unwraps - before, 2);
    await store.close();
  });

  it('detects a flipped byte, a truncated file and swapped records', async () => {
    // given
    const root = join(dir, 'tamper');
    const store = new SealedFsBlobStore(root, new TestKeyring(), { segment: 1024 });
    const data = testBytes(5000);
    const upload = await store.startUpload();
    await upload.append(streamOf(data));
    const { digest } = await upload.commit(sha256Digest(data));
    const file = blobFile(root, digest);
    const original = await readFile(file);
    const headerLength = original.length - 4 * (1024 + 28) - (5000 - 4096 + 28);
    const record = (i: number): [number, number] => [headerLength + i * 1052, headerLength + (i + 1) * 1052];

    // when a byte flips — then the read fails
    const flipped = Buffer.from(original);
    flipped[headerLength + 2000] = (flipped[headerLength + 2000] ?? 0) ^ 1;
    await writeFile(file, flipped);
    await assert.rejects(async () => readAll(await store.read(digest)), SealedBlobCorruptError);

    // when the last record is cut off at a record boundary, or within a record
    await writeFile(file, original.subarray(0, record(4)[0]));
    await assert.rejects(async () => readAll(await store.read(digest)), SealedBlobCorruptError);
    await writeFile(file, original.subarray(0, record(3)[0] + 500));
    await assert.rejects(async () => readAll(await store.read(digest)), SealedBlobCorruptError);

    // when two records swap places
    const [a0, a1] = record(0);
    const [b0, b1] = record(1);
    await writeFile(file, Buffer.concat([original.subarray(0, a0), original.subarray(b0, b1), original.subarray(a0, a1), original.subarray(b1)]));
    await assert.rejects(async () => readAll(await store.read(digest)), SealedBlobCorruptError);

    // and the untouched file still reads
    await writeFile(file, original);
    assert.deepEqual(await readAll(await store.read(digest)), data);
    await store.close();
  });

  it('resumes a session across a restart and drops bytes never acknowledged', async () => {
    // given
    const root = join(dir, 'restart');
    const keyring = new TestKeyring();
    const a = testBytes(150_000, 1);
    const b = testBytes(90_000, 2);
    const first = new SealedFsBlobStore(root, keyring);
    const upload = await first.startUpload();
    await upload.append(streamOf(a));
    await first.close();
    // The process died halfway through the next append: a sealed-looking record, never acknowledged.
    await appendFile(join(root, 'uploads', upload.id, 'data'), testBytes(70_000, 9));
    // when
    const second = new SealedFsBlobStore(root, keyring);
    const resumed = await second.openUpload(upload.id);
    // then
    assert.ok(resumed);
    assert.equal(resumed.size, a.length);
    assert.equal(resumed.digest(), sha256Digest(a), 'rehashed by decrypting what was acknowledged');
    await resumed.append(streamOf(b));
    const info = await resumed.commit(sha256Digest(Buffer.concat([a, b])));
    assert.deepEqual(await readAll(await second.read(info.digest)), Buffer.concat([a, b]));
    assert.equal((await stat(blobFile(root, info.digest))).size > a.length + b.length, true);
    await second.close();
  });

  it('cannot resume a session while its key is disabled', async () => {
    const root = join(dir, 'resume-disabled');
    const keyring = new TestKeyring();
    const first = new SealedFsBlobStore(root, keyring);
    const upload = await first.startUpload();
    await upload.append(streamOf(testBytes(100)));
    await first.close();
    keyring.enabled = false;
    const second = new SealedFsBlobStore(root, keyring);
    await assert.rejects(second.openUpload(upload.id), KeyDisabled);
    keyring.enabled = true;
    assert.equal((await second.openUpload(upload.id))?.size, 100);
    await second.close();
  });

  it('streams a 64 MiB upload and download with flat memory', async (t) => {
    // given
    const store = new SealedFsBlobStore(join(dir, 'large'), new TestKeyring());
    const chunkSize = 256 * 1024;
    const total = 64 * 1024 * 1024;
    const pool = Array.from({ length: 16 }, (_, i) => testBytes(chunkSize, i + 1));
    const expected = createHash('sha256');
    function* chunks(): Generator<Buffer> {
      for (let i = 0; i * chunkSize < total; i++) {
        const chunk = pool[i % pool.length] ?? Buffer.alloc(chunkSize);
        expected.update(chunk);
        yield chunk;
      }
    }
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
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
      // when
      const upload = await store.startUpload();
      assert.equal(await upload.append(Readable.from(chunks(), { objectMode: false })), total);
      const digest = `sha256:${expected.digest('hex')}` as Digest;
      await upload.commit(digest);
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
      // then
      assert.equal(`sha256:${readBack.digest('hex')}`, digest);
    } finally {
      clearInterval(sampler);
      peak = Math.max(peak, sample() - baseline);
      await store.close();
    }
    t.diagnostic(`peak rss growth ${(peak / 2 ** 20).toFixed(1)} MiB`);
    // A few 1 MiB segments and read batches in flight (~11 MiB here), not the blob.
    assert.ok(peak < total / 4, `rss grew by ${(peak / 2 ** 20).toFixed(1)} MiB for a 64 MiB blob`);
  });
});
