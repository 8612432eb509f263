/**
 * Lifecycle policies end to end with SDK v3 and the registry over HTTP: the policy API and its
 * errors, a preview, an evaluation through the admin API's job, and what stays pullable —
 * across a restart with SIMFRA_DATA_DIR. Time is a ManualClock, so images are pushed "days ago".
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateRepositoryCommand,
  DeleteLifecyclePolicyCommand,
  DeleteRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  GetLifecyclePolicyCommand,
  GetLifecyclePolicyPreviewCommand,
  PutLifecyclePolicyCommand,
  StartLifecyclePolicyPreviewCommand,
  waitUntilLifecyclePolicyPreviewComplete,
  type ImageDetail,
} from '@aws-sdk/client-ecr';
import { ManualClock } from '../../src/clock.js';
import { runJob } from '../support/admin.js';
import { ecrClient } from '../support/clients.js';
import { followClock, rejects } from '../support/ecr-images.js';
import { buildImage, buildIndex, OCI_MANIFEST, type BuiltImage } from '../support/oci-image.js';
import { Registry } from '../support/registry.js';
import { ACCOUNT, startServer, tempDir, type TestServer } from '../support/server.js';

const DAY = 24 * 3600 * 1000;
const invalid = (reason: string) =>
  `Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: ${reason}'`;
const noPolicy = (name: string) =>
  `Lifecycle policy does not exist for the repository with name '${name}' in the registry with id '${ACCOUNT}'`;
const noRepo = (name: string) => `The repository with name '${name}' does not exist in the registry with id '${ACCOUNT}'`;

/** The policy of the main scenario: four rules, one of each kind of selection. */
const POLICY = JSON.stringify({
  rules: [
    { rulePriority: 1, description: 'untagged after a week', selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: { type: 'expire' } },
    { rulePriority: 2, description: 'last two prod', selection: { tagStatus: 'tagged', tagPatternList: ['prod-*'], countType: 'imageCountMoreThan', countNumber: 2 }, action: { type: 'expire' } },
    {
      rulePriority: 3,
      description: 'archive old dev',
      selection: { tagStatus: 'tagged', tagPrefixList: ['dev-'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 10 },
      action: { type: 'transition', targetStorageClass: 'archive' },
    },
    { rulePriority: 4, description: 'at most 12', selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 12 }, action: { type: 'expire' } },
  ],
});

/** Image i of the scenario: prod-i, dev-i, untagged or v-i, by i mod 4. */
const tagOf = (i: number): string | undefined => [`prod-${i}`, `dev-${i}`, undefined, `v-${i}`][i % 4];

describe('ECR lifecycle policies (SDK v3, registry over HTTP, admin job)', () => {
  // The scenario starts 20 days ago and ends now (SigV4 and the admin API check real time).
  const clock = new ManualClock(new Date(Date.now() - 20 * DAY));
  const data = tempDir('simfra-lifecycle-');
  let server: TestServer;
  let ecr: ECRClient;
  let seed = 900;

  const start = async () => {
    server = await startServer({ dataDir: data.path, ecrLifecycleIntervalSeconds: 0 }, { clock });
    ecr = ecrClient(server.url);
    followClock(ecr, clock);
  };
  const stop = async () => {
    ecr.destroy();
    await server.close();
  };
  /** A registry client with a token issued now (tokens live 12 h of the test clock). */
  const registry = async (): Promise<Registry> => {
    const res = await ecr.send(new GetAuthorizationTokenCommand({}));
    const password = Buffer.from(res.authorizationData![0]!.authorizationToken!, 'base64').toString('utf8').slice('AWS:'.length);
    return new Registry(server.port, password);
  };
  const image = (opts: Partial<Parameters<typeof buildImage>[0]> = {}) => buildImage({ layers: 1, layerSize: 300, seed: seed++, ...opts });
  const describeAll = async (repositoryName: string, imageStatus: 'ACTIVE' | 'ARCHIVED' | 'ANY' = 'ACTIVE'): Promise<ImageDetail[]> =>
    (await ecr.send(new DescribeImagesCommand({ repositoryName, filter: { imageStatus } }))).imageDetails ?? [];

  before(start);
  after(async () => {
    await stop();
    data.remove();
  });

  describe('the policy API', () => {
    it('puts, gets and deletes a policy, as text given', async () => {
      // given
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'lp/api' }));
      const text = JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 3 }, action: { type: 'expire' } }] }, null, 2);
      // when
      const put = await ecr.send(new PutLifecyclePolicyCommand({ repositoryName: 'lp/api', lifecyclePolicyText: text }));
      const got = await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'lp/api' }));
      const deleted = await ecr.send(new DeleteLifecyclePolicyCommand({ repositoryName: 'lp/api' }));
      // then
      assert.deepEqual([put.registryId, put.repositoryName, put.lifecyclePolicyText], [ACCOUNT, 'lp/api', text]);
      assert.equal(got.lifecyclePolicyText, text);
      assert.equal(got.lastEvaluatedAt, undefined, 'never evaluated yet');
      assert.equal(deleted.lifecyclePolicyText, text);
      await rejects(ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'lp/api' })), 'LifecyclePolicyNotFoundException', noPolicy('lp/api'));
      await rejects(ecr.send(new DeleteLifecyclePolicyCommand({ repositoryName: 'lp/api' })), 'LifecyclePolicyNotFoundException', noPolicy('lp/api'));
    });

    it('answers RepositoryNotFoundException for every operation on a missing repository', async () => {
      const text = JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }] });
      for (const command of [
        new PutLifecyclePolicyCommand({ repositoryName: 'lp/none', lifecyclePolicyText: text }),
        new GetLifecyclePolicyCommand({ repositoryName: 'lp/none' }),
        new DeleteLifecyclePolicyCommand({ repositoryName: 'lp/none' }),
        new StartLifecyclePolicyPreviewCommand({ repositoryName: 'lp/none', lifecyclePolicyText: text }),
        new GetLifecyclePolicyPreviewCommand({ repositoryName: 'lp/none' }),
      ]) {
        await rejects(ecr.send(command as Parameters<ECRClient['send']>[0]), 'RepositoryNotFoundException', noRepo('lp/none'));
      }
    });

    it('refuses invalid policies with ECR’s exception and text, keeping the stored one', async () => {
      // given
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'lp/invalid' }));
      const good = JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }] });
      await ecr.send(new PutLifecyclePolicyCommand({ repositoryName: 'lp/invalid', lifecyclePolicyText: good }));
      const r = (rulePriority: number, selection: Record<string, unknown>, action: Record<string, unknown> = { type: 'expire' }) => ({ rulePriority, selection, action });
      const pad = (o: unknown) => JSON.stringify(o).padEnd(100, ' ');
      const cases: [string, string][] = [
        [pad({ rules: [r(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }), r(2, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 })] }), 'Only one rule can select Untagged images per storage class.'],
        [pad({ rules: [r(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }), r(2, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 })] }), 'Rule for tagStatus=ANY must have the lowest priority per storage class'],
        [pad({ rules: [r(1, { tagStatus: 'any', countType: 'sinceImagePushed', countNumber: 1 })] }), 'instance failed to match exactly one schema (matched 0 out of 4)\n'],
        [pad({ rules: [r(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, { type: 'expire', targetStorageClass: 'archive' })] }), 'instance failed to match exactly one schema (matched 0 out of 2)\n'],
        [pad({ rules: [r(1, { tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 1 })] }), 'Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED.'],
        [pad({ rules: [r(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 0 })] }), 'numeric instance is lower than the required minimum (minimum: 1, found: 0)'],
        [pad({ rules: [{ selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }] }), 'object has missing required properties (["rulePriority"])'],
        ['{"rules": "this is not a list of rules, and it is padded to one hundred characters......................"}', 'object has missing required properties (["rules"])'],
        ['this is not JSON at all, but it is long enough to pass the model’s minimum length of one hundred characters', 'Could not map policyString into LifecyclePolicy.'],
      ];
      for (const [text, reason] of cases) {
        // when / then
        await rejects(ecr.send(new PutLifecyclePolicyCommand({ repositoryName: 'lp/invalid', lifecyclePolicyText: text })), 'InvalidParameterException', invalid(reason));
        await rejects(ecr.send(new StartLifecyclePolicyPreviewCommand({ repositoryName: 'lp/invalid', lifecyclePolicyText: text })), 'InvalidParameterException', invalid(reason));
      }
      // and the stored policy is the good one still
      assert.equal((await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'lp/invalid' }))).lifecyclePolicyText, good);
    });

    it('has no preview before one is started, and previews need a policy', async () => {
      // given
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'lp/nopreview' }));
      // when / then
      await rejects(
        ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: 'lp/nopreview' })),
        'LifecyclePolicyPreviewNotFoundException',
        `Lifecycle policy preview does not exist for the repository with name 'lp/nopreview' in the registry with id '${ACCOUNT}'`,
      );
      await rejects(ecr.send(new StartLifecyclePolicyPreviewCommand({ repositoryName: 'lp/nopreview' })), 'LifecyclePolicyNotFoundException', noPolicy('lp/nopreview'));
    });

    it('DeleteRepository takes the policy with it', async () => {
      // given
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'lp/gone' }));
      await ecr.send(new PutLifecyclePolicyCommand({ repositoryName: 'lp/gone', lifecyclePolicyText: POLICY }));
      // when
      await ecr.send(new DeleteRepositoryCommand({ repositoryName: 'lp/gone' }));
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'lp/gone' }));
      // then
      await rejects(ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'lp/gone' })), 'LifecyclePolicyNotFoundException', noPolicy('lp/gone'));
      await ecr.send(new DeleteRepositoryCommand({ repositoryName: 'lp/gone' }));
    });
  });

  describe('20 images over 20 days: preview, restart, evaluation', () => {
    const repo = 'lp/app';
    const digests: string[] = [];

    it('pushes 20 images a day apart, puts the policy and previews it without changing anything', async () => {
      // given: image i pushed 20 - i days before the end of the scenario
      await ecr.send(new CreateRepositoryCommand({ repositoryName: repo }));
      for (let i = 0; i < 20; i++) {
        const reg = await registry();
        const img = await image();
        await reg.pushImage(repo, tagOf(i) ?? img.digest, img);
        digests.push(img.digest);
        clock.advance(DAY);
      }
      await ecr.send(new PutLifecyclePolicyCommand({ repositoryName: repo, lifecyclePolicyText: POLICY }));
      // when
      const started = await ecr.send(new StartLifecyclePolicyPreviewCommand({ repositoryName: repo }));
      await waitUntilLifecyclePolicyPreviewComplete({ client: ecr, maxWaitTime: 10, minDelay: 1 }, { repositoryName: repo });
      const preview = await ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: repo }));
      // then
      assert.deepEqual([started.status, started.lifecyclePolicyText], ['IN_PROGRESS', POLICY]);
      assert.equal(preview.status, 'COMPLETE');
      const byDigest = new Map(preview.previewResults!.map((r) => [r.imageDigest, r]));
      const expect = (i: number, type: string, rule: number) => {
        const r = byDigest.get(digests[i]!);
        assert.ok(r, `image ${i} in the preview`);
        assert.deepEqual([r.action?.type, r.appliedRulePriority, r.storageClass], [type, rule, 'STANDARD'], `image ${i}`);
        assert.deepEqual(r.imageTags ?? [], tagOf(i) ? [tagOf(i)] : []);
      };
      [0, 4, 8].forEach((i) => expect(i, 'EXPIRE', 2));
      [2, 6, 10].forEach((i) => expect(i, 'EXPIRE', 1));
      [3, 7].forEach((i) => expect(i, 'EXPIRE', 4));
      [1, 5, 9].forEach((i) => expect(i, 'TRANSITION', 3));
      assert.equal(byDigest.size, 11);
      assert.deepEqual(byDigest.get(digests[1]!)!.action, { type: 'TRANSITION', targetStorageClass: 'ARCHIVE' });
      assert.deepEqual(preview.summary, { expiringImageTotalCount: 8, transitioningImageTotalCounts: [{ targetStorageClass: 'ARCHIVE', imageTotalCount: 3 }] });
      // and nothing changed
      assert.equal((await describeAll(repo)).length, 20);
    });

    it('pages, filters and picks preview results', async () => {
      // when
      const first = await ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: repo, maxResults: 5 }));
      const second = await ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: repo, maxResults: 5, nextToken: first.nextToken }));
      const third = await ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: repo, maxResults: 5, nextToken: second.nextToken }));
      const untagged = await ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: repo, filter: { tagStatus: 'UNTAGGED' } }));
      const picked = await ecr.send(
        new GetLifecyclePolicyPreviewCommand({ repositoryName: repo, imageIds: [{ imageTag: 'prod-4' }, { imageDigest: digests[19]! }, { imageDigest: digests[1]! }] }),
      );
      // then
      assert.deepEqual([first.previewResults?.length, second.previewResults?.length, third.previewResults?.length], [5, 5, 1]);
      assert.equal(third.nextToken, undefined);
      assert.equal(new Set([...first.previewResults!, ...second.previewResults!, ...third.previewResults!].map((r) => r.imageDigest)).size, 11);
      assert.deepEqual(untagged.previewResults?.map((r) => r.imageDigest).sort(), [digests[2], digests[6], digests[10]].sort());
      assert.deepEqual(picked.previewResults?.map((r) => r.imageDigest).sort(), [digests[4], digests[1]].sort());
      assert.equal(untagged.summary?.expiringImageTotalCount, 8, 'the summary counts the whole preview');
      await rejects(
        ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: repo, maxResults: 5, imageIds: [{ imageTag: 'prod-4' }] })),
        'InvalidParameterException',
      );
    });

    it('keeps policy and preview across a restart, then evaluates: exactly the selected images go', async () => {
      // given: a restart on the same data directory
      await stop();
      await start();
      const kept = await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: repo }));
      const preview = await ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: repo }));
      assert.equal(kept.lifecyclePolicyText, POLICY);
      assert.equal(preview.previewResults?.length, 11);
      // when
      const result = await runJob(server.url, 'ecr-lifecycle');
      // then: the job says what it did (lp/invalid's policy, on an empty repository, is evaluated too)
      assert.deepEqual(
        { evaluated: result.policiesEvaluated, expired: result.imagesExpired, transitioned: result.imagesTransitioned, failed: result.policiesFailed },
        { evaluated: 2, expired: 8, transitioned: 3, failed: 0 },
      );
      // and the API lists exactly the survivors, the archived ones apart
      const expired = [0, 2, 3, 4, 6, 7, 8, 10];
      const archived = [1, 5, 9];
      const active = [11, 12, 13, 14, 15, 16, 17, 18, 19];
      assert.deepEqual((await describeAll(repo)).map((d) => d.imageDigest).sort(), active.map((i) => digests[i]).sort());
      assert.deepEqual((await describeAll(repo, 'ARCHIVED')).map((d) => d.imageDigest).sort(), archived.map((i) => digests[i]).sort());
      assert.equal((await describeAll(repo, 'ANY')).length, 12);
      // and the registry serves exactly the active ones, by digest and by tag
      const reg = await registry();
      for (let i = 0; i < 20; i++) {
        const byDigest = await reg.request('GET', `/v2/${repo}/manifests/${digests[i]}`, { headers: { accept: OCI_MANIFEST } });
        assert.equal(byDigest.status, active.includes(i) ? 200 : 404, `image ${i} by digest`);
        const tag = tagOf(i);
        if (tag !== undefined) {
          const byTag = await reg.request('GET', `/v2/${repo}/manifests/${tag}`, { headers: { accept: OCI_MANIFEST } });
          assert.equal(byTag.status, active.includes(i) ? 200 : 404, `image ${i} by tag ${tag}`);
        }
        if (expired.includes(i) && tag !== undefined) {
          const tags = await reg.request('GET', `/v2/${repo}/tags/list`);
          assert.ok(!(JSON.parse(tags.text) as { tags: string[] }).tags.includes(tag), `tag ${tag} gone`);
        }
      }
      // and the policy records when it ran
      const after = await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: repo }));
      assert.equal(after.lastEvaluatedAt?.getTime(), clock.now().getTime());
    });

    it('a second evaluation finds nothing more to do', async () => {
      // when
      const again = await runJob(server.url, 'ecr-lifecycle');
      // then
      assert.deepEqual([again.imagesExpired, again.imagesTransitioned], [0, 0]);
      assert.equal((await describeAll(repo, 'ANY')).length, 12);
    });
  });

  describe('image indexes and referrers', () => {
    it('an index protects the images it lists; an expired image takes its signature with it', async () => {
      // given: an untagged multi-arch pair under a tagged index, and a signed untagged image, all 10 days old
      const repo = 'lp/graph';
      await ecr.send(new CreateRepositoryCommand({ repositoryName: repo }));
      clock.advance(-10 * DAY);
      const reg = await registry();
      const children: BuiltImage[] = [await image({ platform: { os: 'linux', architecture: 'amd64' } }), await image({ platform: { os: 'linux', architecture: 'arm64' } })];
      for (const c of children) await reg.pushImage(repo, c.digest, c);
      const index = buildIndex(children);
      const indexPush = await reg.pushManifest(repo, 'multi', index.manifest, index.mediaType);
      assert.equal(indexPush.status, 201);
      const signed = await image();
      await reg.pushImage(repo, signed.digest, signed);
      const signature = await image({ subject: { mediaType: OCI_MANIFEST, digest: signed.digest, size: signed.manifest.length }, artifactType: 'application/vnd.example.signature' });
      await reg.pushImage(repo, signature.digest, signature);
      clock.advance(10 * DAY);
      const policy = JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 5 }, action: { type: 'expire' } }] });
      await ecr.send(new PutLifecyclePolicyCommand({ repositoryName: repo, lifecyclePolicyText: policy }));
      // when
      await ecr.send(new StartLifecyclePolicyPreviewCommand({ repositoryName: repo }));
      const preview = await ecr.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: repo }));
      const result = await runJob(server.url, 'ecr-lifecycle');
      // then: the signed image and its signature went (in the preview too); the index and its children stayed
      assert.deepEqual(preview.previewResults?.map((r) => [r.imageDigest, r.appliedRulePriority]).sort(), [[signed.digest, 1], [signature.digest, 1]].sort());
      assert.deepEqual([result.imagesExpired, result.imagesSkipped], [2, 0]);
      const left = (await describeAll(repo)).map((d) => d.imageDigest).sort();
      assert.deepEqual(left, [index.digest, ...children.map((c) => c.digest)].sort());
      const fresh = await registry();
      assert.equal((await fresh.request('GET', `/v2/${repo}/manifests/${children[0]!.digest}`, { headers: { accept: OCI_MANIFEST } })).status, 200);
    });
  });
});
