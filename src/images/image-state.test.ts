/**
 * The image state the ECR API adds to the domain: storage class and status, scans (on push),
 * image → blob references, ListImages entries, API upload part sizes, and migration 004's
 * backfill of a database written before it.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../clock.js';
import { sha256Digest, type Digest } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import { MemoryBlobStore } from '../store/blobs/memory.js';
import type { MetaStore, RepoKey } from '../store/meta/meta-store.js';
import { openSqliteMetaStore } from '../store/meta/sqlite.js';
import { Sealer } from '../store/sealing.js';
import { ImageError } from './errors.js';
import { imageStatus, Images, RESTORE_DURATION_MS } from './images.js';
import { Repositories } from './repositories.js';
import { parseScanningConfig, REGISTRY_SCANNING_SETTING, repositoryScanning } from './scanning-rules.js';

const ACCOUNT = '123456789012';
const key = (name: string): RepoKey => ({ accountId: ACCOUNT, region: 'us-east-1', name });
const body = (b: Buffer): Readable => Readable.from([b]);
const root = { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x'.repeat(40), owner: { kind: 'root' as const }, status: 'Active' as const };

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

describe('Images: storage class, scans, references', () => {
  let meta: MetaStore;
  let blobs: MemoryBlobStore;
  let clock: ManualClock;
  let images: Images;

  beforeEach(async () => {
    meta = openSqliteMetaStore(':memory:', Sealer.fromConfig({ persistenceKey: 'test' }));
    clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
    await meta.accounts.create({ accountId: ACCOUNT, name: 't', createdAt: clock.now() }, { ...root, createdAt: clock.now() });
    blobs = new MemoryBlobStore();
    const repositories = new Repositories(meta, clock, { countImages: (r) => meta.images.count(r.id) });
    images = new Images({ meta, blobs, repositories, clock });
    const settings = { imageTagMutabilityExclusionFilters: [], encryptionType: 'AES256', tags: [], imageTagMutability: 'MUTABLE' };
    await repositories.create(key('app'), { ...settings, scanOnPush: false });
    await repositories.create(key('scanned'), { ...settings, scanOnPush: true });
  });
  afterEach(async () => {
    await blobs.close();
    await meta.close();
  });

  async function push(name: string, seed: string, tag?: string, extra: Record<string, unknown> = {}) {
    const config = Buffer.from(`{"seed":"${seed}"}`);
    const layers = [Buffer.from(`layer-${seed}`)];
    for (const b of [config, ...layers]) await images.pushBlob(key(name), sha256Digest(b), body(b));
    const manifest = manifestOf(config, layers, extra);
    const { image } = await images.putManifest(key(name), { manifest, ...(tag !== undefined ? { tag } : {}) });
    return { image, digest: image.digest as Digest, layer: sha256Digest(layers[0]!), config: sha256Digest(config) };
  }

  it('archives and restores through ACTIVATING; a pull of either is refused; a push restores at once', async () => {
    const { digest } = await push('app', '1', 'v1');
    const ref = { kind: 'digest', digest } as const;
    const archived = await images.setStorageClass(key('app'), ref, 'ARCHIVE');
    assert.equal(imageStatus(archived, clock.now()), 'ARCHIVED');
    assert.deepEqual(archived.lastArchivedAt, clock.now());
    await assert.rejects(images.getManifest(key('app'), ref), (e: ImageError) => e.kind === 'ImageArchived');
    const restoring = await images.setStorageClass(key('app'), ref, 'STANDARD');
    assert.equal(imageStatus(restoring, clock.now()), 'ACTIVATING');
    await assert.rejects(images.getManifest(key('app'), { kind: 'tag', tag: 'v1' }), (e: ImageError) => e.kind === 'ImageArchived');
    clock.advance(RESTORE_DURATION_MS);
    assert.equal((await images.getManifest(key('app'), ref)).image.digest, digest);
    // pushing an archived image again restores it at once, and counts as a change
    await images.setStorageClass(key('app'), ref, 'ARCHIVE');
    const again = await images.putManifest(key('app'), { manifest: (await meta.images.manifest(archived.repositoryId, digest))!, tag: 'v1' });
    assert.equal(again.changed, true);
    assert.equal(imageStatus(again.image, clock.now()), 'ACTIVE');
  });

  it('lists by status, and ListImages entries one per tag', async () => {
    const a = await push('app', 'a', 'a1');
    await images.putManifest(key('app'), { manifest: (await meta.images.manifest(a.image.repositoryId, a.digest))!, tag: 'a2' });
    clock.advance(1);
    const b = await push('app', 'b');
    clock.advance(1);
    const c = await push('app', 'c', 'c1');
    await images.setStorageClass(key('app'), { kind: 'digest', digest: c.digest }, 'ARCHIVE');
    const ids = async (status: 'ACTIVE' | 'ARCHIVED' | 'ANY', tagStatus: 'TAGGED' | 'UNTAGGED' | 'ANY' = 'ANY', limit = 10, after?: string) =>
      images.listImageIds(key('app'), { status, tagStatus, limit, ...(after !== undefined ? { after } : {}) });
    assert.deepEqual((await ids('ACTIVE')).items, [
      { digest: a.digest, tag: 'a1' },
      { digest: a.digest, tag: 'a2' },
      { digest: b.digest },
    ]);
    assert.deepEqual((await ids('ARCHIVED')).items, [{ digest: c.digest, tag: 'c1' }]);
    assert.deepEqual((await ids('ANY', 'UNTAGGED')).items, [{ digest: b.digest }]);
    const first = await ids('ANY', 'ANY', 2);
    const second = await ids('ANY', 'ANY', 2, first.next);
    assert.deepEqual([...first.items, ...second.items].map((i) => i.tag ?? '-'), ['a1', 'a2', '-', 'c1']);
    assert.equal(second.next, undefined);
    assert.deepEqual((await images.listImages(key('app'), { status: 'ACTIVE', limit: 10 })).items.map((i) => i.digest), [a.digest, b.digest]);
  });

  it('scans on push when the repository says so: COMPLETE for an image, UNSUPPORTED_IMAGE for an index', async () => {
    const plain = await push('app', 'p');
    assert.equal(plain.image.scan, undefined);
    const { image } = await push('scanned', 's', 'v1');
    assert.deepEqual(image.scan, { status: 'COMPLETE', startedAt: clock.now(), completedAt: clock.now() });
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ mediaType: MediaType.OciManifest, digest: image.digest, size: image.manifestSize }] }),
    );
    const put = await images.putManifest(key('scanned'), { manifest: index, tag: 'multi' });
    assert.deepEqual(put.image.scan, { status: 'UNSUPPORTED_IMAGE', startedAt: clock.now() });
  });

  it('scans on push where a registry scanning rule selects the repository', async () => {
    await meta.settings.put(
      ACCOUNT,
      'us-east-1',
      REGISTRY_SCANNING_SETTING,
      JSON.stringify({ scanType: 'BASIC', rules: [{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: 'a*', filterType: 'WILDCARD' }] }] }),
    );
    assert.equal((await push('app', 'r')).image.scan?.status, 'COMPLETE');
    assert.deepEqual(repositoryScanning(parseScanningConfig(undefined), { name: 'x', scanOnPush: false }), {
      scanFrequency: 'MANUAL',
      appliedScanFilters: [],
      scansOnPush: false,
    });
  });

  it('counts which images use a blob, and how many of them are active', async () => {
    const one = await push('app', 'shared', 'v1');
    const loose = sha256Digest('loose');
    await images.pushBlob(key('app'), loose, body(Buffer.from('loose')));
    let states = await images.layerStates(key('app'), [one.layer, loose, sha256Digest('absent')]);
    assert.deepEqual(
      [...states.values()].map((s) => ({ linked: s.layer !== undefined, images: s.images, active: s.active })),
      [
        { linked: true, images: 1, active: 1 },
        { linked: true, images: 0, active: 0 },
        { linked: false, images: 0, active: 0 },
      ],
    );
    await images.setStorageClass(key('app'), { kind: 'digest', digest: one.digest }, 'ARCHIVE');
    states = await images.layerStates(key('app'), [one.layer]);
    assert.deepEqual(states.get(one.layer)?.active, 0);
  });

  it('keeps the smallest part but the last of an upload session', async () => {
    const { id } = await images.startUpload(key('app'));
    let state = await images.appendUpload(key('app'), id, body(Buffer.alloc(10)));
    assert.equal(state.smallestPart, undefined);
    state = await images.appendUpload(key('app'), id, body(Buffer.alloc(4)));
    assert.equal(state.smallestPart, 10);
    state = await images.appendUpload(key('app'), id, body(Buffer.alloc(7)));
    assert.equal(state.smallestPart, 4);
    const stored = await images.uploadStatus(key('app'), id);
    assert.equal(stored.smallestPart, 4);
    assert.equal(stored.lastPartSize, 7);
    assert.equal(stored.digest, sha256Digest(Buffer.alloc(21)));
  });
});

describe('migration 004', () => {
  it('backfills the blobs of images stored before it', () => {
    // given a database at version 3 holding an image
    const dir = join(import.meta.dirname, '..', 'store', 'meta', 'migrations');
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    for (const f of readdirSync(dir).filter((f) => /^00[1-3]-.*\.sql$/.test(f)).sort()) db.exec(readFileSync(join(dir, f), 'utf8'));
    db.prepare("INSERT INTO accounts (account_id, name, created_at) VALUES ('123456789012', 't', 0)").run();
    const repo = db
      .prepare(
        `INSERT INTO repositories (account_id, region, name, created_at, tag_mutability, encryption_type)
         VALUES ('123456789012', 'us-east-1', 'app', 0, 'MUTABLE', 'AES256')`,
      )
      .run().lastInsertRowid;
    const manifest = manifestOf(Buffer.from('c'), [Buffer.from('l1'), Buffer.from('l2')]);
    db.prepare(
      "INSERT INTO images (repository_id, digest, media_type, manifest, size, pushed_at) VALUES (?, 'sha256:m', 'application/vnd.oci.image.manifest.v1+json', ?, 1, 0)",
    ).run(repo, manifest);
    // when
    db.exec(readFileSync(join(dir, '004-image-state.sql'), 'utf8'));
    // then
    const rows = db.prepare('SELECT blob FROM image_blobs ORDER BY blob').all() as { blob: string }[];
    assert.deepEqual(rows.map((r) => r.blob), [sha256Digest('c'), sha256Digest('l1'), sha256Digest('l2')].sort());
    const image = db.prepare('SELECT storage_class, scan_status FROM images').get();
    assert.deepEqual(image, { storage_class: 'STANDARD', scan_status: null });
    db.close();
  });
});
