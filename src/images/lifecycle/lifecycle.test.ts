import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../../clock.js';
import { Accounts } from '../../iam/accounts.js';
import { randomIds } from '../../ids.js';
import { parseDigest } from '../../oci/digest.js';
import { MemoryBlobStore } from '../../store/blobs/memory.js';
import type { MetaStore } from '../../store/meta/meta-store.js';
import { openSqliteMetaStore } from '../../store/meta/sqlite.js';
import { Sealer } from '../../store/sealing.js';
import { Images } from '../images.js';
import { Repositories } from '../repositories.js';
import { Lifecycle, PreviewInProgressError } from './lifecycle.js';

const DAY = 24 * 3600 * 1000;
const KEY = { accountId: '000000000000', region: 'us-east-1', name: 'app' };
const sha = (b: Buffer | string) => parseDigest(`sha256:${createHash('sha256').update(b).digest('hex')}`);
const UNTAGGED_AFTER_A_DAY = JSON.stringify({
  rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }, action: { type: 'expire' } }],
});

describe('Lifecycle (previews and evaluations on the image store)', () => {
  let clock: ManualClock;
  let meta: MetaStore;
  let images: Images;
  let lifecycle: Lifecycle;
  let n = 0;

  /** Pushes a one-layer image (untagged unless `tag`); returns its digest. */
  const push = async (tag?: string): Promise<string> => {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', n: n++ }));
    await images.pushBlob(KEY, sha(config), Readable.from([config]));
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: [],
    });
    const { image } = await images.putManifest(KEY, { manifest: Buffer.from(manifest), ...(tag !== undefined ? { tag } : {}) });
    return image.digest;
  };

  beforeEach(async () => {
    clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
    meta = openSqliteMetaStore(':memory:', Sealer.fromConfig({}));
    await new Accounts(meta, randomIds, clock, KEY.accountId).ensureDefault('AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    const repositories = new Repositories(meta, clock, { countImages: (r) => meta.images.count(r.id) });
    await repositories.create(KEY, { imageTagMutability: 'MUTABLE', imageTagMutabilityExclusionFilters: [], scanOnPush: false, encryptionType: 'AES256', tags: [] });
    let id = 0;
    images = new Images({ meta, blobs: new MemoryBlobStore({ ids: () => `u${id++}`, now: () => clock.now() }), repositories, clock });
    lifecycle = new Lifecycle({ meta, images, repositories, clock });
  });

  it('a preview changes nothing and is kept as the repository’s preview', async () => {
    // given
    const old = await push();
    clock.advance(2 * DAY);
    await push('v1');
    // when
    const preview = await lifecycle.startPreview(KEY, UNTAGGED_AFTER_A_DAY);
    // then
    assert.deepEqual(preview.results.map((r) => [r.imageDigest, r.action.type, r.appliedRulePriority]), [[old, 'EXPIRE', 1]]);
    assert.equal(await meta.images.count(1), 2);
    assert.deepEqual((await lifecycle.getPreview(KEY))?.results, preview.results);
  });

  it('refuses a second preview of a repository while one is computed', async () => {
    // given
    await push();
    // when: two previews started together
    const results = await Promise.allSettled([lifecycle.startPreview(KEY, UNTAGGED_AFTER_A_DAY), lifecycle.startPreview(KEY, UNTAGGED_AFTER_A_DAY)]);
    // then
    assert.equal(results[0].status, 'fulfilled');
    assert.ok(results[1].status === 'rejected' && results[1].reason instanceof PreviewInProgressError);
    // and once done, the next one runs
    assert.equal((await lifecycle.startPreview(KEY, UNTAGGED_AFTER_A_DAY)).status, 'COMPLETE');
  });

  it('evaluates every stored policy, records when, and reports a stored text it cannot read', async () => {
    // given
    const old = await push();
    clock.advance(2 * DAY);
    const kept = await push();
    await meta.lifecycle.put(KEY, UNTAGGED_AFTER_A_DAY);
    // when
    const summary = await lifecycle.evaluateAll();
    // then
    assert.deepEqual([summary.policiesEvaluated, summary.imagesExpired, summary.policiesFailed], [1, 1, 0]);
    assert.equal(await images.findImage(KEY, { kind: 'digest', digest: parseDigest(old) }), undefined);
    assert.ok(await images.findImage(KEY, { kind: 'digest', digest: parseDigest(kept) }));
    assert.equal((await meta.lifecycle.get(KEY))?.lastEvaluatedAt?.getTime(), clock.now().getTime());
    // given a text the engine refuses (stored by an older version, say)
    await meta.lifecycle.put(KEY, '{"rules":[]}');
    // when / then
    const failed = await lifecycle.evaluateAll();
    assert.deepEqual([failed.policiesEvaluated, failed.policiesFailed], [0, 1]);
  });

  it('an image re-pushed with a tag is no longer untagged', async () => {
    // given: an old untagged image, then the same manifest pushed again with a tag
    const digest = await push();
    clock.advance(2 * DAY);
    await meta.lifecycle.put(KEY, UNTAGGED_AFTER_A_DAY);
    const record = (await meta.lifecycle.get(KEY))!;
    const manifest = await meta.images.manifest(1, digest);
    await images.putManifest(KEY, { manifest: manifest!, tag: 'rescued' });
    // when
    const result = await lifecycle.evaluate(record);
    // then: the current state decides (the tag protects it)
    assert.deepEqual(result, { expired: [], transitioned: [], skipped: [] });
    assert.ok(await images.findImage(KEY, { kind: 'tag', tag: 'rescued' }));
  });

  it('an image tagged between the snapshot and its expiry is left for the next evaluation', async () => {
    // given: an old untagged image, and a push that tags it just as the evaluation reaches it
    const digest = await push();
    clock.advance(2 * DAY);
    await meta.lifecycle.put(KEY, UNTAGGED_AFTER_A_DAY);
    const manifest = (await meta.images.manifest(1, digest))!;
    let pushed = false;
    const racing = new Proxy(images, {
      get(target, prop, receiver) {
        if (prop === 'findImage') {
          return async (...args: Parameters<Images['findImage']>) => {
            if (!pushed) {
              pushed = true;
              await target.putManifest(KEY, { manifest, tag: 'just-pushed' });
            }
            return target.findImage(...args);
          };
        }
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const repositories = new Repositories(meta, clock, { countImages: (r) => meta.images.count(r.id) });
    const raced = new Lifecycle({ meta, images: racing, repositories, clock });
    // when
    const result = await raced.evaluate((await meta.lifecycle.get(KEY))!);
    // then
    assert.deepEqual(result, { expired: [], transitioned: [], skipped: [digest] });
    assert.ok(await images.findImage(KEY, { kind: 'tag', tag: 'just-pushed' }));
  });
});
