import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../clock.js';
import { sha256Digest, type Digest } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import { readAll } from '../store/blobs/contract.js';
import type { Upload } from '../store/blobs/blob-store.js';
import { MemoryBlobStore } from '../store/blobs/memory.js';
import type { MetaStore, RepoKey } from '../store/meta/meta-store.js';
import { openSqliteMetaStore } from '../store/meta/sqlite.js';
import { Sealer } from '../store/sealing.js';
import { BlobGc, SweepGate } from './blob-gc.js';
import { ImageError } from './errors.js';
import { Images } from './images.js';
import { Repositories } from './repositories.js';

const ACCOUNT = '123456789012';
const HOUR = 3600_000;
const key = (name: string): RepoKey => ({ accountId: ACCOUNT, region: 'us-east-1', name });
const body = (b: Buffer): Readable => Readable.from([b]);

function manifestOf(config: Buffer, layers: Buffer[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: sha256Digest(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: MediaType.OciLayerGzip, digest: sha256Digest(l), size: l.length })),
    }),
  );
}

/** A memory store whose deletes wait for `release()` once `pause()` is called. */
class SlowDeleteStore extends MemoryBlobStore {
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;
  deleting: (() => void) | undefined;
  pause(): void {
    this.#gate = new Promise((resolve) => (this.#open = resolve));
  }
  release(): void {
    this.#open?.();
    this.#gate = undefined;
  }
  #commitGate: Promise<void> | undefined;
  #openCommits: (() => void) | undefined;
  committing: (() => void) | undefined;
  /** Commits of uploads started from now on wait for `releaseCommits()`. */
  holdCommits(): void {
    this.#commitGate = new Promise((resolve) => (this.#openCommits = resolve));
  }
  releaseCommits(): void {
    this.#openCommits?.();
    this.#commitGate = undefined;
  }
  override async startUpload(): Promise<Upload> {
    const upload = await super.startUpload();
    const gate = this.#commitGate;
    if (gate === undefined) return upload;
    const commit = upload.commit.bind(upload);
    upload.commit = async (expected: Digest) => {
      this.committing?.();
      await gate;
      return commit(expected);
    };
    return upload;
  }
  override async delete(digest: Digest): Promise<void> {
    if (this.#gate !== undefined) {
      this.deleting?.();
      await this.#gate;
    }
    return super.delete(digest);
  }
}

describe('BlobGc (blob garbage collection)', () => {
  let meta: MetaStore;
  let blobs: SlowDeleteStore;
  let clock: ManualClock;
  let images: Images;
  let gc: BlobGc;

  beforeEach(async () => {
    meta = openSqliteMetaStore(':memory:', Sealer.fromConfig({ persistenceKey: 'test' }));
    clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
    await meta.accounts.create(
      { accountId: ACCOUNT, name: 't', createdAt: clock.now() },
      { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x'.repeat(40), owner: { kind: 'root' }, status: 'Active', createdAt: clock.now() },
    );
    blobs = new SlowDeleteStore({ now: () => clock.now() });
    const repositories = new Repositories(meta, clock, { countImages: (r) => meta.images.count(r.id) });
    const gate = new SweepGate();
    images = new Images({ meta, blobs, repositories, clock, sweeps: gate });
    gc = new BlobGc({ meta, stores: async () => [blobs], clock, gate });
    for (const name of ['app', 'other']) {
      await repositories.create(key(name), {
        imageTagMutability: 'MUTABLE',
        imageTagMutabilityExclusionFilters: [],
        scanOnPush: false,
        encryptionType: 'AES256',
        tags: [],
      });
    }
  });

  afterEach(async () => {
    blobs.release();
    await blobs.close();
    await meta.close();
  });

  async function push(name: string, tag: string, config: Buffer, layers: Buffer[]): Promise<Digest> {
    for (const b of [config, ...layers]) await images.pushBlob(key(name), sha256Digest(b), body(b));
    const { image } = await images.putManifest(key(name), { manifest: manifestOf(config, layers), tag });
    return image.digest as Digest;
  }

  const stored = async (b: Buffer): Promise<boolean> => (await blobs.stat(sha256Digest(b))) !== undefined;

  it('frees the blobs only a deleted image used, and keeps shared ones readable', async () => {
    // given two images sharing a base layer, in two repositories
    const base = Buffer.from('base layer');
    const [cfgA, topA, cfgB, topB] = ['cfg-a', 'top-a', 'cfg-b', 'top-b'].map((s) => Buffer.from(s)) as [Buffer, Buffer, Buffer, Buffer];
    const a = await push('app', 'a', cfgA, [base, topA]);
    await push('other', 'b', cfgB, [base, topB]);
    // when image A is deleted and a sweep runs with no grace
    await images.removeImage(key('app'), { kind: 'digest', digest: a });
    const result = await gc.sweep({ graceMs: 0 });
    // then exactly A's own blobs are gone, the shared layer and B's blobs stay
    assert.deepEqual(result, { blobsDeleted: 2, bytesFreed: cfgA.length + topA.length, blobsKept: 3 });
    assert.equal(await stored(cfgA), false);
    assert.equal(await stored(topA), false);
    for (const b of [base, cfgB, topB]) {
      assert.equal(await stored(b), true);
      const { stream } = await images.readLayer(key('other'), sha256Digest(b));
      assert.deepEqual(await readAll(stream), b);
    }
    // and repository app no longer offers the freed layer, but still the shared one it linked
    assert.equal(await images.findLayer(key('app'), sha256Digest(topA)), undefined);
    assert.notEqual(await images.findLayer(key('app'), sha256Digest(base)), undefined);
  });

  it('keeps a blob pushed without a manifest for the grace period, then frees it', async () => {
    // given a blob just pushed, no manifest yet
    const loose = Buffer.from('loose layer');
    await images.pushBlob(key('app'), sha256Digest(loose), body(loose));
    // when a sweep runs with the default grace shortly after
    clock.advance(HOUR - 1000);
    const early = await gc.sweep({ graceMs: HOUR });
    // then it is kept, and a manifest can still use it
    assert.equal(early.blobsDeleted, 0);
    assert.equal(await stored(loose), true);
    // when nobody uses it for longer than the grace period
    clock.advance(2000);
    const late = await gc.sweep({ graceMs: HOUR });
    // then it goes, and a manifest naming it is refused cleanly
    assert.equal(late.blobsDeleted, 1);
    assert.equal(await stored(loose), false);
    const cfg = Buffer.from('cfg');
    await images.pushBlob(key('app'), sha256Digest(cfg), body(cfg));
    await assert.rejects(
      images.putManifest(key('app'), { manifest: manifestOf(cfg, [loose]), tag: 'x' }),
      (e: unknown) => e instanceof ImageError && e.kind === 'ManifestBlobUnknown',
    );
  });

  it('restarts the grace period when a push is told the blob is present', async () => {
    // given an unreferenced blob last linked long ago
    const layer = Buffer.from('old layer');
    await images.pushBlob(key('app'), sha256Digest(layer), body(layer));
    clock.advance(2 * HOUR);
    // when a push HEADs it, then the sweep runs before its manifest arrives
    await images.getLayer(key('app'), sha256Digest(layer), { forPush: true });
    clock.advance(1000);
    const result = await gc.sweep({ graceMs: HOUR });
    // then it is kept
    assert.equal(result.blobsDeleted, 0);
    assert.equal(await stored(layer), true);
  });

  it('restarts the grace period when BatchCheckLayerAvailability reports the blob', async () => {
    // given an unreferenced blob last linked long ago
    const layer = Buffer.from('checked layer');
    await images.pushBlob(key('app'), sha256Digest(layer), body(layer));
    clock.advance(2 * HOUR);
    // when a push checks its availability, then the sweep runs
    await images.layerStates(key('app'), [sha256Digest(layer)], { forPush: true });
    const result = await gc.sweep({ graceMs: HOUR });
    // then it is kept
    assert.equal(result.blobsDeleted, 0);
  });

  it('keeps an upload in flight intact across a sweep', async () => {
    // given an upload session with a part received, and an unreferenced blob with the same content
    const data = Buffer.from('uploading');
    const session = await images.startUpload(key('app'));
    await images.appendUpload(key('app'), session.id, body(data.subarray(0, 4)));
    // when a sweep runs with no grace at all
    await gc.sweep({ graceMs: 0 });
    // then the session still completes and the blob is linked and readable
    await images.appendUpload(key('app'), session.id, body(data.subarray(4)));
    await images.completeUpload(key('app'), session.id, sha256Digest(data));
    const { stream } = await images.readLayer(key('app'), sha256Digest(data));
    assert.deepEqual(await readAll(stream), data);
  });

  it('makes a commit of a blob being deleted wait, then write it anew', async () => {
    // given an unreferenced blob that a sweep is deleting (its deletion held up)
    const layer = Buffer.from('contended layer');
    await images.pushBlob(key('app'), sha256Digest(layer), body(layer));
    blobs.pause();
    const deleting = new Promise<void>((resolve) => (blobs.deleting = resolve));
    const sweep = gc.sweep({ graceMs: 0 });
    await deleting;
    // when the same blob is pushed again meanwhile
    let pushed = false;
    const push = images.pushBlob(key('other'), sha256Digest(layer), body(layer)).then(() => (pushed = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // then the push waits for the deletion …
    assert.equal(pushed, false);
    blobs.release();
    assert.equal((await sweep).blobsDeleted, 1);
    await push;
    // … and the blob is there and linked afterwards
    const { stream } = await images.readLayer(key('other'), sha256Digest(layer));
    assert.deepEqual(await readAll(stream), layer);
  });

  it('never takes a blob whose commit is under way', async () => {
    // given an unreferenced blob past its grace period
    const layer = Buffer.from('recommitted layer');
    await images.pushBlob(key('app'), sha256Digest(layer), body(layer));
    clock.advance(2 * HOUR);
    // when the same blob is pushed again, and a sweep runs while that push commits it
    blobs.holdCommits();
    const committing = new Promise<void>((resolve) => (blobs.committing = resolve));
    const push = images.pushBlob(key('other'), sha256Digest(layer), body(layer));
    await committing;
    const result = await gc.sweep({ graceMs: HOUR });
    blobs.releaseCommits();
    await push;
    // then the sweep leaves it, and both repositories still serve it
    assert.equal(result.blobsDeleted, 0);
    for (const name of ['app', 'other']) {
      const { stream } = await images.readLayer(key(name), sha256Digest(layer));
      assert.deepEqual(await readAll(stream), layer);
    }
  });

  it('keeps a blob just mounted into another repository', async () => {
    // given an unreferenced blob linked to app long ago
    const layer = Buffer.from('mounted layer');
    await images.pushBlob(key('app'), sha256Digest(layer), body(layer));
    clock.advance(2 * HOUR);
    // when it is mounted into other, and the sweep runs before other's manifest arrives
    assert.notEqual(await images.mountLayer(key('other'), key('app'), sha256Digest(layer)), undefined);
    clock.advance(1000);
    const result = await gc.sweep({ graceMs: HOUR });
    // then it is kept and a manifest in other can use it
    assert.equal(result.blobsDeleted, 0);
    const cfg = Buffer.from('cfg-mounted');
    await images.pushBlob(key('other'), sha256Digest(cfg), body(cfg));
    await images.putManifest(key('other'), { manifest: manifestOf(cfg, [layer]), tag: 'm' });
  });

  it('refuses to mount a blob the sweep took', async () => {
    // given a blob linked to app, unreferenced for longer than the grace period, then swept
    const layer = Buffer.from('mountable');
    await images.pushBlob(key('app'), sha256Digest(layer), body(layer));
    clock.advance(2 * HOUR);
    await gc.sweep({ graceMs: HOUR });
    // when another repository mounts it
    // then there is nothing to mount (the client uploads it instead)
    assert.equal(await images.mountLayer(key('other'), key('app'), sha256Digest(layer)), undefined);
  });

  it('records blobs it finds without a record and gives them a grace period', async () => {
    // given bytes in the store that the metadata does not know (e.g. a crash before the link)
    const orphan = Buffer.from('orphan');
    const upload = await blobs.startUpload();
    await upload.append(body(orphan));
    await upload.commit(sha256Digest(orphan));
    // when sweeps run with the default grace, before and after it has passed
    const first = await gc.sweep({ graceMs: HOUR });
    clock.advance(HOUR + 1);
    const second = await gc.sweep({ graceMs: HOUR });
    // then the first keeps it and the second frees it
    assert.deepEqual(first, { blobsDeleted: 0, bytesFreed: 0, blobsKept: 1 });
    assert.deepEqual(second, { blobsDeleted: 1, bytesFreed: orphan.length, blobsKept: 0 });
  });

  it('keeps what an untagged image (left by a tag move) uses', async () => {
    // given tag t moved from image 1 to image 2
    const one = await push('app', 't', Buffer.from('cfg-1'), [Buffer.from('layer-1')]);
    await push('app', 't', Buffer.from('cfg-2'), [Buffer.from('layer-2')]);
    // when a sweep runs
    const kept = await gc.sweep({ graceMs: 0 });
    // then image 1 (untagged, still an image) keeps its blobs until it is deleted
    assert.equal(kept.blobsDeleted, 0);
    await images.removeImage(key('app'), { kind: 'digest', digest: one });
    assert.equal((await gc.sweep({ graceMs: 0 })).blobsDeleted, 2);
  });
});
