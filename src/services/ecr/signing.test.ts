import assert from 'node:assert/strict';
import { createPublicKey, verify, X509Certificate } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../../clock.js';
import { randomIds } from '../../ids.js';
import { Images } from '../../images/images.js';
import { Repositories } from '../../images/repositories.js';
import { sha256Digest } from '../../oci/digest.js';
import { MediaType } from '../../oci/media-types.js';
import { MemoryBlobStore } from '../../store/blobs/memory.js';
import type { MetaStore, RepoKey } from '../../store/meta/meta-store.js';
import { openSqliteMetaStore } from '../../store/meta/sqlite.js';
import { Sealer } from '../../store/sealing.js';
import { ManagedSigner, profilesFor, SIGNING_CONFIGURATION, unusableProfile, wildcardMatch } from './signing.js';
import { SigningKeys } from './signing-keys.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const repo: RepoKey = { accountId: ACCOUNT, region: REGION, name: 'prod/app' };
const PROFILE = `arn:aws:signer:${REGION}:${ACCOUNT}:/signing-profiles/release`;
const WEST_PROFILE = `arn:aws:signer:us-west-2:${ACCOUNT}:/signing-profiles/release`;

describe('signing rules', () => {
  it('match repository names by WILDCARD_MATCH (* is any sequence) and name each profile once', () => {
    // given
    const config = {
      rules: [
        { signingProfileArn: PROFILE, repositoryFilters: [{ filter: 'prod/*', filterType: 'WILDCARD_MATCH' as const }] },
        { signingProfileArn: PROFILE },
        { signingProfileArn: WEST_PROFILE, repositoryFilters: [{ filter: '*prod*', filterType: 'WILDCARD_MATCH' as const }] },
      ],
    };
    // when / then
    assert.deepEqual(profilesFor(config, 'prod/app'), [PROFILE, WEST_PROFILE]);
    assert.deepEqual(profilesFor({ rules: config.rules.slice(0, 1) }, 'dev/app'), []);
    assert.ok(wildcardMatch('*/production', 'team/a/production'));
    assert.ok(wildcardMatch('app', 'app'));
    assert.ok(!wildcardMatch('app', 'app2'));
    assert.ok(!wildcardMatch('a.b', 'axb'), 'a dot is a dot');
  });

  it('use only profiles of the registry’s own account and region', () => {
    assert.equal(unusableProfile(PROFILE, ACCOUNT, REGION), undefined);
    assert.match(unusableProfile(WEST_PROFILE, ACCOUNT, REGION) ?? '', /was not found/);
    assert.match(unusableProfile(`arn:aws:signer:${REGION}:999999999999:/signing-profiles/release`, ACCOUNT, REGION) ?? '', /was not found/);
  });
});

describe('ManagedSigner (queue and signatures)', () => {
  let meta: MetaStore;
  let blobs: MemoryBlobStore;
  let clock: ManualClock;
  let images: Images;
  let signer: ManagedSigner;
  let kicks: number;

  const pushImage = async (key: RepoKey, seed: string): Promise<string> => {
    const config = Buffer.from(JSON.stringify({ seed }));
    await images.pushBlob(key, sha256Digest(config), Readable.from([config]));
    const manifest = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: MediaType.OciConfig, digest: sha256Digest(config), size: config.length }, layers: [] }),
    );
    return (await images.putManifest(key, { manifest, mediaType: MediaType.OciManifest, tag: 'v1' })).image.digest;
  };

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
    for (const name of ['prod/app', 'dev/app']) {
      await repositories.create({ ...repo, name }, { imageTagMutability: 'MUTABLE', imageTagMutabilityExclusionFilters: [], scanOnPush: false, encryptionType: 'AES256', tags: [] });
    }
    kicks = 0;
    signer = new ManagedSigner({ meta, images, keys: new SigningKeys({ meta, clock, ids: randomIds }), clock, kick: () => kicks++ });
    images.onImagePushed((key, image) => signer.imagePushed(key, image));
    await meta.settings.put(
      ACCOUNT,
      REGION,
      SIGNING_CONFIGURATION,
      JSON.stringify({ rules: [{ signingProfileArn: PROFILE, repositoryFilters: [{ filter: 'prod/*', filterType: 'WILDCARD_MATCH' }] }, { signingProfileArn: WEST_PROFILE, repositoryFilters: [{ filter: 'prod/*', filterType: 'WILDCARD_MATCH' }] }] }),
    );
  });
  afterEach(async () => {
    await blobs.close();
    await meta.close();
  });

  it('queues IN_PROGRESS per profile on a matching push, then signs (COMPLETE) or fails (another region)', async () => {
    // given
    const digest = await pushImage(repo, 'a');
    await pushImage({ ...repo, name: 'dev/app' }, 'b');
    const queued = await meta.signing.statusesOf(repo, digest);
    // when
    const summary = await signer.drain();
    // then
    assert.deepEqual(queued.map((r) => [r.signingProfileArn, r.status]), [
      [PROFILE, 'IN_PROGRESS'],
      [WEST_PROFILE, 'IN_PROGRESS'],
    ]);
    assert.equal(kicks, 1);
    assert.deepEqual(summary, { signed: 1, failed: 1 });
    const done = await meta.signing.statusesOf(repo, digest);
    assert.equal(done[0]?.status, 'COMPLETE');
    assert.equal(done[1]?.status, 'FAILED');
    assert.equal(done[1]?.failureCode, 'SIGNING_PROFILE_NOT_FOUND');
    assert.equal(
      done[1]?.failureReason,
      `The signing profile ${WEST_PROFILE} was not found: simfra has no AWS Signer, and treats only profiles in the registry's own account and region as existing`,
    );
    const sigs = await images.referrers(repo, digest as never);
    assert.equal(sigs.length, 1);
    assert.equal(sigs[0]?.artifactType, 'application/vnd.cncf.notary.signature');
    assert.deepEqual(await meta.signing.pending(10), []);
  });

  it('signs the JWS input with the leaf key of the x5c chain, and does not sign the signature itself', async () => {
    // given
    const digest = await pushImage(repo, 'c');
    await signer.drain();
    const [sig] = await images.referrers(repo, digest as never);
    // when
    const { manifest } = await images.getManifest(repo, { kind: 'digest', digest: sig!.digest as never });
    const layer = (JSON.parse(manifest.toString()) as { layers: { digest: string }[] }).layers[0]!;
    const chunks: Buffer[] = [];
    for await (const c of await images.readLayer(repo, layer.digest as never).then((r) => r.stream)) chunks.push(c as Buffer);
    const envelope = JSON.parse(Buffer.concat(chunks).toString()) as { payload: string; protected: string; header: { x5c: string[] }; signature: string };
    // then
    const leaf = new X509Certificate(Buffer.from(envelope.header.x5c[0]!, 'base64'));
    const ok = verify('sha384', Buffer.from(`${envelope.protected}.${envelope.payload}`), { key: createPublicKey(leaf.publicKey.export({ type: 'spki', format: 'pem' })), dsaEncoding: 'ieee-p1363' }, Buffer.from(envelope.signature, 'base64url'));
    assert.ok(ok);
    assert.equal((JSON.parse(Buffer.from(envelope.payload, 'base64url').toString()) as { targetArtifact: { digest: string } }).targetArtifact.digest, digest);
    assert.deepEqual(await meta.signing.statusesOf(repo, sig!.digest), [], 'the signature is not queued for signing');
  });
  it('does not sign an image again on a re-push, but does once it was deleted (its signatures with it) and pushed anew', async () => {
    // given
    const digest = await pushImage(repo, 'd');
    await signer.drain();
    // when: pushed again as it is
    await pushImage(repo, 'd');
    const again = await meta.signing.statusesOf(repo, digest);
    // then
    assert.equal(again.find((r) => r.signingProfileArn === PROFILE)?.status, 'COMPLETE');
    assert.equal(again.find((r) => r.signingProfileArn === WEST_PROFILE)?.status, 'IN_PROGRESS', 'a FAILED signature is tried again');
    await signer.drain();
    assert.equal((await images.referrers(repo, digest as never)).length, 1);

    // when: deleted, then pushed anew
    await images.removeImage(repo, { kind: 'digest', digest: digest as never });
    await pushImage(repo, 'd');
    const anew = await meta.signing.statusesOf(repo, digest);
    await signer.drain();
    // then
    assert.equal(anew.find((r) => r.signingProfileArn === PROFILE)?.status, 'IN_PROGRESS');
    assert.equal((await images.referrers(repo, digest as never)).length, 1);
    assert.equal((await meta.signing.statusesOf(repo, digest)).find((r) => r.signingProfileArn === PROFILE)?.status, 'COMPLETE');
  });
  it('does not sign twice when a crash left IN_PROGRESS a signature that was already stored', async () => {
    // given
    const digest = await pushImage(repo, 'e');
    await signer.drain();
    const row = (await meta.signing.statusesOf(repo, digest)).find((r) => r.signingProfileArn === PROFILE)!;
    await meta.signing.putStatus({ ...row, status: 'IN_PROGRESS' });
    // when
    await signer.drain();
    // then
    assert.equal((await meta.signing.statusesOf(repo, digest)).find((r) => r.signingProfileArn === PROFILE)?.status, 'COMPLETE');
    assert.equal((await images.referrers(repo, digest as never)).length, 1);
  });
});
