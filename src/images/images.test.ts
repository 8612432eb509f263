import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../clock.js';
import { sha256Digest, type Digest } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import { readAll } from '../store/blobs/contract.js';
import { MemoryBlobStore } from '../store/blobs/memory.js';
import type { MetaStore, RepoKey } from '../store/meta/meta-store.js';
import { openSqliteMetaStore } from '../store/meta/sqlite.js';
import { Sealer } from '../store/sealing.js';
import { ImageError, type ImageErrorKind } from './errors.js';
import { Images } from './images.js';
import { Repositories, type RepositorySettings } from './repositories.js';

const ACCOUNT = '123456789012';
const key = (name: string): RepoKey => ({ accountId: ACCOUNT, region: 'us-east-1', name });
const settings = (over: Partial<RepositorySettings> = {}): RepositorySettings => ({
  imageTagMutability: 'MUTABLE',
  imageTagMutabilityExclusionFilters: [],
  scanOnPush: false,
  encryptionType: 'AES256',
  tags: [],
  ...over,
});
const body = (s: string | Buffer): Readable => Readable.from([Buffer.from(s)]);

function manifestOf(config: Buffer, layers: Buffer[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: sha256Digest(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: MediaType.OciLayerGzip, digest: sha256Digest(l), size: l.length })),
      ...extra,
    }),
  );
}

async function rejectsWith(p: Promise<unknown>, kind: ImageErrorKind): Promise<ImageError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ImageError, String(e));
    assert.equal(e.kind, kind);
    return e;
  }
  assert.fail(`expected ImageError ${kind}`);
}

describe('Images (the image domain)', () => {
  let meta: MetaStore;
  let blobs: MemoryBlobStore;
  let clock: ManualClock;
  let repositories: Repositories;
  let images: Images;

  beforeEach(async () => {
    meta = openSqliteMetaStore(':memory:', Sealer.fromConfig({ persistenceKey: 'test' }));
    clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
    await meta.accounts.create(
      { accountId: ACCOUNT, name: 't', createdAt: clock.now() },
      { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x'.repeat(40), owner: { kind: 'root' }, status: 'Active', createdAt: clock.now() },
    );
    blobs = new MemoryBlobStore({ now: () => clock.now() });
    repositories = new Repositories(meta, clock, { countImages: (r) => meta.images.count(r.id) });
    images = new Images({ meta, blobs, repositories, clock });
    await repositories.create(key('app'), settings());
  });

  afterEach(async () => {
    await blobs.close();
    await meta.close();
  });

  async function pushImage(name: string, seed: string, tag?: string) {
    const config = Buffer.from(`{"seed":"${seed}"}`);
    const layers = [Buffer.from(`layer-a-${seed}`), Buffer.from(`layer-bb-${seed}`)];
    for (const b of [config, ...layers]) await images.pushBlob(key(name), sha256Digest(b), body(b));
    const manifest = manifestOf(config, layers);
    const result = await images.putManifest(key(name), { manifest, ...(tag !== undefined ? { tag } : {}) });
    return { manifest, config, layers, result, size: config.length + layers[0]!.length + layers[1]!.length };
  }

  it('stores a manifest with ECR image facts: digest, size, media types, push time, tags', async () => {
    const { manifest, result, size } = await pushImage('app', '1', 'v1');
    assert.equal(result.image.digest, sha256Digest(manifest));
    assert.equal(result.image.size, size);
    assert.equal(result.image.mediaType, MediaType.OciManifest);
    assert.equal(result.image.artifactType, MediaType.OciConfig);
    assert.deepEqual(result.image.pushedAt, clock.now());
    assert.deepEqual(result.image.tags, ['v1']);
    assert.equal(result.created, true);
    assert.equal(await images.countImages(await repositories.get(key('app'))), 1);
    const again = await images.putManifest(key('app'), { manifest, tag: 'v1' });
    assert.equal(again.changed, false);
  });

  it('sizes an index as its largest child and keeps the children untagged', async () => {
    const small = await pushImage('app', 's');
    const big = await pushImage('app', 'bigger-seed');
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciIndex,
        manifests: [small, big].map((i) => ({ mediaType: MediaType.OciManifest, digest: i.result.image.digest, size: i.manifest.length })),
      }),
    );
    const { image } = await images.putManifest(key('app'), { manifest: index, tag: 'multi' });
    assert.equal(image.size, Math.max(small.size, big.size));
    assert.deepEqual(await images.children(key('app'), image.digest as Digest), [small.result.image.digest, big.result.image.digest].sort());
    const untagged = await images.listImages(key('app'), { tagStatus: 'UNTAGGED', limit: 10 });
    assert.equal(untagged.items.length, 2);
    // a listed child cannot go while the index is there
    await rejectsWith(images.removeImage(key('app'), { kind: 'digest', digest: small.result.image.digest as Digest }), 'ImageReferencedByManifestList');
    await images.removeImage(key('app'), { kind: 'digest', digest: image.digest as Digest });
    await images.removeImage(key('app'), { kind: 'digest', digest: small.result.image.digest as Digest });
  });

  it('refuses an index whose children are missing, and manifests whose blobs are not linked here', async () => {
    const missing = sha256Digest('nope');
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ mediaType: MediaType.OciManifest, digest: missing, size: 10 }] }),
    );
    const e = await rejectsWith(images.putManifest(key('app'), { manifest: index }), 'ReferencedImagesNotFound');
    assert.deepEqual(e.detail.kind === 'ReferencedImagesNotFound' && e.detail.digests, [missing]);
    await repositories.create(key('other'), settings());
    const { manifest } = await pushImage('other', 'x');
    await rejectsWith(images.putManifest(key('app'), { manifest }), 'ManifestBlobUnknown');
    await rejectsWith(images.putManifest(key('app'), { manifest: Buffer.from('{') }), 'ManifestInvalid');
    await rejectsWith(images.putManifest(key('app'), { manifest, digest: sha256Digest('x') }), 'ManifestDigestMismatch');
    await rejectsWith(images.putManifest(key('nope'), { manifest }), 'RepositoryNotFound');
  });

  it('refuses descriptors whose size is not the size of what they name, and stores nothing', async () => {
    // given the blobs of an image, linked to the repository
    const config = Buffer.from('{"seed":"sizes"}');
    const layer = Buffer.from('x'.repeat(40));
    for (const b of [config, layer]) await images.pushBlob(key('app'), sha256Digest(b), body(b));
    const lying = JSON.parse(manifestOf(config, [layer]).toString()) as { layers: { size: number }[] };
    lying.layers[0]!.size = 999;
    // when a manifest says the 40-byte layer has 999 bytes
    const e = await rejectsWith(images.putManifest(key('app'), { manifest: Buffer.from(JSON.stringify(lying)), tag: 'lie' }), 'ManifestSizeMismatch');
    // then it is refused, naming the blob and both sizes, and nothing is stored
    assert.deepEqual(e.detail.kind === 'ManifestSizeMismatch' && [e.detail.digest, e.detail.declared, e.detail.actual], [sha256Digest(layer), 999, 40]);
    assert.equal(await images.countImages(await repositories.get(key('app'))), 0);
    // and an index listing an image with the wrong size is refused too
    const { result, manifest } = await pushImage('app', 'child');
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ mediaType: MediaType.OciManifest, digest: result.image.digest, size: manifest.length + 1 }] }),
    );
    await rejectsWith(images.putManifest(key('app'), { manifest: index }), 'ManifestSizeMismatch');
  });

  it('keeps immutable tags where they are, but allows the identical push', async () => {
    await repositories.create(key('imm'), settings({ imageTagMutability: 'IMMUTABLE' }));
    const first = await pushImage('imm', '1', 'v1');
    const second = await pushImage('imm', '2');
    await images.putManifest(key('imm'), { manifest: first.manifest, tag: 'v1' });
    await rejectsWith(images.putManifest(key('imm'), { manifest: second.manifest, tag: 'v1' }), 'TagImmutable');
    await images.putManifest(key('imm'), { manifest: second.manifest, tag: 'v2' });
    assert.deepEqual((await images.getImage(key('imm'), { kind: 'tag', tag: 'v1' })).digest, first.result.image.digest);
  });

  it('moves a mutable tag and leaves the old image untagged', async () => {
    const first = await pushImage('app', '1', 'latest');
    const second = await pushImage('app', '2', 'latest');
    assert.equal(second.result.tagMovedFrom, first.result.image.digest);
    assert.deepEqual((await images.getImage(key('app'), { kind: 'digest', digest: first.result.image.digest as Digest })).tags, []);
  });

  it('records pulls at most once a minute', async () => {
    const { result } = await pushImage('app', '1', 'v1');
    const ref = { kind: 'tag', tag: 'v1' } as const;
    assert.equal(result.image.lastPulledAt, undefined);
    const t0 = clock.now();
    await images.getManifest(key('app'), ref, { recordPull: true });
    clock.advance(30_000);
    await images.getManifest(key('app'), ref, { recordPull: true });
    assert.deepEqual((await images.getImage(key('app'), ref)).lastPulledAt, t0);
    clock.advance(60_000);
    await images.getManifest(key('app'), ref, { recordPull: true });
    assert.deepEqual((await images.getImage(key('app'), ref)).lastPulledAt, clock.now());
  });

  it('runs chunked uploads in order and refuses a part that does not follow', async () => {
    const s = await images.startUpload(key('app'));
    await images.appendUpload(key('app'), s.id, body('hello '), { offset: 0 });
    await rejectsWith(images.appendUpload(key('app'), s.id, body('x'), { offset: 2 }), 'UploadOutOfOrder');
    const state = await images.appendUpload(key('app'), s.id, body('world'), { offset: 6 });
    assert.deepEqual([state.size, state.parts, state.lastPartSize], [11, 2, 5]);
    await repositories.create(key('other'), settings());
    await rejectsWith(images.uploadStatus(key('other'), s.id), 'UploadNotFound');
    const layer = await images.completeUpload(key('app'), s.id, sha256Digest('hello world'));
    assert.equal(layer.size, 11);
    const { stream } = await images.readLayer(key('app'), sha256Digest('hello world'), { range: { start: 6 } });
    assert.equal((await readAll(stream)).toString(), 'world');
    await rejectsWith(images.readLayer(key('app'), sha256Digest('hello world'), { range: { start: 20 } }), 'RangeInvalid');
    await rejectsWith(images.uploadStatus(key('app'), s.id), 'UploadNotFound');
  });

  it('drops a session whose digest does not match, and links nothing', async () => {
    const s = await images.startUpload(key('app'));
    await rejectsWith(images.completeUpload(key('app'), s.id, sha256Digest('other'), { body: body('data') }), 'DigestMismatch');
    await rejectsWith(images.uploadStatus(key('app'), s.id), 'UploadNotFound');
    assert.equal(await images.findLayer(key('app'), sha256Digest('data')), undefined);
  });

  it('mounts only between repositories with the same encryption, when the source has the blob', async () => {
    await repositories.create(key('target'), settings());
    await repositories.create(key('kms'), settings({ encryptionType: 'KMS', kmsKey: 'arn:aws:kms:us-east-1:123456789012:key/k' }));
    const d = sha256Digest('shared');
    await images.pushBlob(key('app'), d, body('shared'));
    assert.equal(await images.mountLayer(key('target'), key('kms'), d), undefined);
    assert.equal(await images.mountLayer(key('kms'), key('app'), d), undefined);
    assert.equal(await images.mountLayer(key('target'), key('missing'), d), undefined);
    assert.equal((await images.mountLayer(key('target'), key('app'), d))?.size, 6);
    assert.equal((await images.getLayer(key('target'), d)).size, 6);
  });

  it('deletes by tag as BatchDeleteImage does: untag first, the image with its last tag', async () => {
    const { result } = await pushImage('app', '1', 'a');
    await images.putManifest(key('app'), { manifest: (await meta.images.manifest(result.image.repositoryId, result.image.digest))!, tag: 'b' });
    assert.equal((await images.removeImage(key('app'), { kind: 'tag', tag: 'a' })).kind, 'untagged');
    assert.equal((await images.removeImage(key('app'), { kind: 'tag', tag: 'b' })).kind, 'deleted');
    await rejectsWith(images.getImage(key('app'), { kind: 'digest', digest: result.image.digest as Digest }), 'ImageNotFound');
  });

  it('lists tags in lexical order, a page at a time', async () => {
    const { manifest } = await pushImage('app', '1');
    for (const tag of ['c', 'a', 'b', 'e', 'd']) await images.putManifest(key('app'), { manifest, tag });
    const first = await images.listTags(key('app'), { limit: 2 });
    assert.deepEqual(first, { items: ['a', 'b'], next: 'b' });
    const rest = await images.listTags(key('app'), { limit: 10, after: 'b' });
    assert.deepEqual(rest, { items: ['c', 'd', 'e'] });
  });

  it('goes away with its repository', async () => {
    await pushImage('app', '1', 'v1');
    await rejectsWith(repositories.delete(key('app'), false), 'RepositoryNotEmpty');
    await repositories.delete(key('app'), true);
    await repositories.create(key('app'), settings());
    assert.equal((await images.listImages(key('app'), { limit: 10 })).items.length, 0);
  });

  it('purges upload sessions abandoned before a cut-off, and only those', async () => {
    // given one old session with bytes in it, and one fresh session
    const old = await images.startUpload(key('app'));
    await images.appendUpload(key('app'), old.id, body('partial layer'));
    clock.advance(8 * 24 * 3600_000);
    const fresh = await images.startUpload(key('app'));
    // when
    const purged = await images.purgeStaleUploads(new Date(clock.now().getTime() - 7 * 24 * 3600_000));
    // then
    assert.equal(purged, 1);
    await rejectsWith(images.uploadStatus(key('app'), old.id), 'UploadNotFound');
    assert.equal((await images.uploadStatus(key('app'), fresh.id)).size, 0);
  });
});
