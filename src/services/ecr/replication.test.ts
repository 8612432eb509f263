import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../../clock.js';
import { Images } from '../../images/images.js';
import { Repositories } from '../../images/repositories.js';
import { sha256Digest } from '../../oci/digest.js';
import { MediaType } from '../../oci/media-types.js';
import { MemoryBlobStore } from '../../store/blobs/memory.js';
import type { MetaStore, RepoKey } from '../../store/meta/meta-store.js';
import { openSqliteMetaStore } from '../../store/meta/sqlite.js';
import { Sealer } from '../../store/sealing.js';
import { REPLICATION_CONFIGURATION } from './registry-settings.js';
import { destinationsFor, Replicator, type ReplicatorDeps } from './replication.js';

const ACCOUNT = '123456789012';
const source: RepoKey = { accountId: ACCOUNT, region: 'us-east-1', name: 'prod/app' };
const target: RepoKey = { ...source, region: 'us-west-2' };

describe('replication rules', () => {
  it('match by PREFIX_MATCH (no filters: every repository) and name each destination once', () => {
    // given
    const config = {
      rules: [
        { destinations: [{ region: 'us-west-2', registryId: ACCOUNT }], repositoryFilters: [{ filter: 'prod', filterType: 'PREFIX_MATCH' as const }] },
        { destinations: [{ region: 'us-west-2', registryId: ACCOUNT }, { region: 'eu-west-1', registryId: '222222222222' }] },
        { destinations: [{ region: 'ap-south-1', registryId: ACCOUNT }], repositoryFilters: [{ filter: 'dev', filterType: 'PREFIX_MATCH' as const }] },
      ],
    };
    // when / then
    assert.deepEqual(destinationsFor(config, 'prod/app'), [
      { region: 'us-west-2', registryId: ACCOUNT },
      { region: 'eu-west-1', registryId: '222222222222' },
    ]);
    assert.deepEqual(destinationsFor(config, 'development'), [
      { region: 'us-west-2', registryId: ACCOUNT },
      { region: 'eu-west-1', registryId: '222222222222' },
      { region: 'ap-south-1', registryId: ACCOUNT },
    ]);
    assert.deepEqual(destinationsFor({ rules: [] }, 'prod/app'), []);
  });
});

describe('Replicator (queue and copies)', () => {
  let meta: MetaStore;
  let blobs: MemoryBlobStore;
  let clock: ManualClock;
  let images: Images;
  let replicator: Replicator;
  let kicks: number;

  beforeEach(async () => {
    meta = openSqliteMetaStore(':memory:', Sealer.fromConfig({ persistenceKey: 'test' }));
    clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
    await meta.accounts.create(
      { accountId: ACCOUNT, name: 't', createdAt: clock.now() },
      { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x'.repeat(40), owner: { kind: 'root' }, status: 'Active', createdAt: clock.now() },
    );
    blobs = new MemoryBlobStore({ now: () => clock.now() });
    const repositories = new Repositories(meta, clock, { countImages: (r) => meta.images.count(r.id) });
    images = new Images({ meta, blobs, repositories, clock });
    await repositories.create(source, { imageTagMutability: 'MUTABLE', imageTagMutabilityExclusionFilters: [], scanOnPush: false, encryptionType: 'AES256', tags: [] });
    kicks = 0;
    replicator = new Replicator({
      meta,
      images,
      repositories,
      clock,
      kick: () => kicks++,
      // Same-account copies ask IAM nothing; a call would fail the test.
      iam: { authorizer: { authorize: () => Promise.reject(new Error('unexpected authorization')) } },
    } as unknown as ReplicatorDeps);
    images.onImagePushed((key, image) => replicator.imagePushed(key, image));
    await meta.settings.put(ACCOUNT, 'us-east-1', REPLICATION_CONFIGURATION, JSON.stringify({ rules: [{ destinations: [{ region: 'us-west-2', registryId: ACCOUNT }] }] }));
  });
  afterEach(async () => {
    await blobs.close();
    await meta.close();
  });

  async function push(tag: string): Promise<string> {
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const layer = Buffer.from('layer bytes');
    for (const b of [config, layer]) await images.pushBlob(source, sha256Digest(b), Readable.from([b]));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, digest: sha256Digest(config), size: config.length },
        layers: [{ mediaType: MediaType.OciLayerGzip, digest: sha256Digest(layer), size: layer.length }],
      }),
    );
    return (await images.putManifest(source, { manifest, tag })).image.digest;
  }

  it('records a push as IN_PROGRESS and kicks the job; a drain copies it (COMPLETE) without queueing the replica', async () => {
    // given
    const digest = await push('v1');
    const queued = await meta.replications.ofImage(source, digest);
    // when
    const summary = await replicator.drain();
    // then
    assert.deepEqual(queued.map((r) => [r.destRegion, r.status]), [['us-west-2', 'IN_PROGRESS']]);
    assert.equal(kicks, 1);
    assert.deepEqual(summary, { copied: 1, failed: 0 });
    assert.deepEqual((await meta.replications.ofImage(source, digest)).map((r) => r.status), ['COMPLETE']);
    const copy = await images.getImage(target, { kind: 'tag', tag: 'v1' });
    assert.equal(copy.digest, digest);
    assert.deepEqual(await meta.replications.ofImage(target, digest), []);
    assert.equal(kicks, 1);
  });

  it('kicks the job once for the pushes made before the kicked run starts, and again after', async () => {
    // given
    await push('v1');
    await push('v2');
    // when
    const before = kicks;
    await replicator.drain();
    await push('v3');
    // then
    assert.equal(before, 1);
    assert.equal(kicks, 2);
  });

  it('fails a copy into an account simfra does not hold', async () => {
    // given
    await meta.settings.put(ACCOUNT, 'us-east-1', REPLICATION_CONFIGURATION, JSON.stringify({ rules: [{ destinations: [{ region: 'us-east-1', registryId: '999999999999' }] }] }));
    const digest = await push('v1');
    // when
    await replicator.drain();
    // then
    assert.deepEqual(
      (await meta.replications.ofImage(source, digest)).map((r) => [r.destRegistryId, r.status, r.failureCode]),
      [['999999999999', 'FAILED', 'DESTINATION_REGISTRY_NOT_FOUND']],
    );
  });
});
