/**
 * Pull-through cache (issue 14): the rule operations through the SDK, the CLI and boto3, and the
 * pull itself — a registry GET of `<prefix>/<repo>:<tag>` fetching from a local docker-registry
 * standing in for the upstream (SIMFRA_ECR_UPSTREAM_QUAY), served from the cache later (even with
 * the upstream stopped), refreshed after 24 hours on the test clock, and ECR-to-ECR from another
 * region of the same simfra. skopeo copies out of the cache.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  BatchGetImageCommand,
  CreatePullThroughCacheRuleCommand,
  CreateRepositoryCreationTemplateCommand,
  DeletePullThroughCacheRuleCommand,
  DescribeImagesCommand,
  DescribePullThroughCacheRulesCommand,
  DescribeRepositoriesCommand,
  ListTagsForResourceCommand,
  UpdatePullThroughCacheRuleCommand,
  ValidatePullThroughCacheRuleCommand,
  GetAuthorizationTokenCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { ManualClock } from '../../src/clock.js';
import { awsCli, boto3, ecrClient, type Credentials } from '../support/clients.js';
import { dockerRegistryUnavailable, startUpstreamRegistry, type UpstreamRegistry } from '../support/docker-registry.js';
import { followClock, rejects } from '../support/ecr-images.js';
import { doc, makeUser } from '../support/iam.js';
import { buildImage, buildIndex, DOCKER_MANIFEST, OCI_INDEX, type BuiltImage } from '../support/oci-image.js';
import { Registry, sha256 } from '../support/registry.js';
import { ACCOUNT, ROOT, startServer, tempDir, type TestServer } from '../support/server.js';
import { hasTool, run } from '../support/tools.js';

const HOUR = 3600_000;
const skip = dockerRegistryUnavailable();

/** The registry password of `credentials`, signed at the test clock's time. */
async function password(url: string, clock: ManualClock, credentials: Credentials = ROOT, region = 'us-east-1'): Promise<string> {
  const ecr = ecrClient(url, credentials, region);
  followClock(ecr, clock);
  try {
    const res = await ecr.send(new GetAuthorizationTokenCommand({}));
    return Buffer.from(res.authorizationData![0]!.authorizationToken!, 'base64').toString('utf8').slice('AWS:'.length);
  } finally {
    ecr.destroy();
  }
}

/**
 * Waits until the import has stored `name:tag` at `digest`: the registry answers an imported
 * manifest at once and stores the image once every blob is in.
 */
async function cachedAs(ecr: ECRClient, name: string, tag: string, digest: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await ecr.send(new DescribeImagesCommand({ repositoryName: name, imageIds: [{ imageTag: tag }] })).catch(() => undefined);
    if (res?.imageDetails?.[0]?.imageDigest === digest) return;
    if (Date.now() > deadline) assert.fail(`${name}:${tag} was not cached as ${digest}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('pull-through cache rules (SDK, CLI, boto3)', () => {
  let server: TestServer;
  let ecr: ECRClient;

  before(async () => {
    server = await startServer();
    ecr = ecrClient(server.url);
  });
  after(async () => {
    ecr.destroy();
    await server.close();
  });

  it('creates, describes (filtered, paged), updates, validates and deletes rules', async () => {
    // when
    const created = await ecr.send(new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'quay', upstreamRegistryUrl: 'quay.io' }));
    await ecr.send(new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'k8s', upstreamRegistryUrl: 'registry.k8s.io', upstreamRegistry: 'k8s' }));
    await ecr.send(
      new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'west', upstreamRegistryUrl: `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`, upstreamRepositoryPrefix: 'team' }),
    );
    // then
    assert.equal(created.ecrRepositoryPrefix, 'quay');
    assert.equal(created.upstreamRegistry, 'quay');
    assert.equal(created.upstreamRegistryUrl, 'quay.io');
    assert.equal(created.registryId, ACCOUNT);
    assert.ok(created.createdAt instanceof Date);
    const all = await ecr.send(new DescribePullThroughCacheRulesCommand({}));
    assert.deepEqual(all.pullThroughCacheRules!.map((r) => [r.ecrRepositoryPrefix, r.upstreamRegistry, r.upstreamRepositoryPrefix]), [
      ['k8s', 'k8s', undefined],
      ['quay', 'quay', undefined],
      ['west', 'ecr', 'team'],
    ]);
    const page1 = await ecr.send(new DescribePullThroughCacheRulesCommand({ maxResults: 2 }));
    const page2 = await ecr.send(new DescribePullThroughCacheRulesCommand({ maxResults: 2, nextToken: page1.nextToken }));
    assert.deepEqual([...page1.pullThroughCacheRules!, ...page2.pullThroughCacheRules!].map((r) => r.ecrRepositoryPrefix), ['k8s', 'quay', 'west']);
    assert.equal(page2.nextToken, undefined);
    const one = await ecr.send(new DescribePullThroughCacheRulesCommand({ ecrRepositoryPrefixes: ['west'] }));
    assert.deepEqual(one.pullThroughCacheRules!.map((r) => r.upstreamRegistryUrl), [`${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`]);
    await rejects(
      ecr.send(new DescribePullThroughCacheRulesCommand({ ecrRepositoryPrefixes: ['west', 'nope'] })),
      'PullThroughCacheRuleNotFoundException',
      `Pull through cache rule with prefix 'nope' does not exist in the registry with id '${ACCOUNT}'`,
    );
    await rejects(
      ecr.send(new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'quay', upstreamRegistryUrl: 'quay.io' })),
      'PullThroughCacheRuleAlreadyExistsException',
      `Pull through cache rule with prefix 'quay' already exists in the registry with id '${ACCOUNT}'`,
    );
    const validated = await ecr.send(new ValidatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'west' }));
    assert.equal(validated.isValid, true);
    assert.equal(validated.failure, undefined);
    const updated = await ecr.send(new UpdatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'west', customRoleArn: `arn:aws:iam::${ACCOUNT}:role/ptc` }));
    assert.equal(updated.customRoleArn, `arn:aws:iam::${ACCOUNT}:role/ptc`);
    assert.equal(updated.upstreamRepositoryPrefix, 'team');
    const deleted = await ecr.send(new DeletePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'k8s' }));
    assert.equal(deleted.upstreamRegistryUrl, 'registry.k8s.io');
    await rejects(ecr.send(new DeletePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'k8s' })), 'PullThroughCacheRuleNotFoundException');
  });

  it('refuses what ECR refuses, changing nothing', async () => {
    // when / then
    await rejects(
      ecr.send(new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'harbor', upstreamRegistryUrl: 'harbor.example.com' })),
      'UnsupportedUpstreamRegistryException',
      'The upstream registry URL harbor.example.com is invalid. Specify a valid upstream registry URL and try again',
    );
    await rejects(
      ecr.send(new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'hub', upstreamRegistryUrl: 'quay.io', upstreamRegistry: 'docker-hub' })),
      'UnsupportedUpstreamRegistryException',
    );
    await rejects(
      ecr.send(new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'hub', upstreamRegistryUrl: 'registry-1.docker.io' })),
      'InvalidParameterException',
      "Invalid parameter at 'credentialArn' failed to satisfy constraint: 'A credentialArn is required for the upstream registry docker-hub'",
    );
    await rejects(
      ecr.send(new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'q2', upstreamRegistryUrl: 'quay.io', customRoleArn: `arn:aws:iam::${ACCOUNT}:role/x` })),
      'InvalidParameterException',
      "Invalid parameter at 'customRoleArn' failed to satisfy constraint: 'customRoleArn can only be specified when the upstream registry is ecr'",
    );
    await rejects(ecr.send(new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'ROOT', upstreamRegistryUrl: 'quay.io' })), 'InvalidParameterException');
    await rejects(
      ecr.send(new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'other', upstreamRegistryUrl: '111122223333.dkr.ecr.us-east-1.amazonaws.com' })),
      'InvalidParameterException',
      "Invalid parameter at 'customRoleArn' failed to satisfy constraint: 'A customRoleArn is required when the upstream registry is in another account'",
    );
    await rejects(
      ecr.send(
        new CreatePullThroughCacheRuleCommand({
          ecrRepositoryPrefix: 'ghcr',
          upstreamRegistryUrl: 'ghcr.io',
          credentialArn: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:ecr-pullthroughcache/missing-AbCdEf`,
        }),
      ),
      'SecretNotFoundException',
    );
    await rejects(ecr.send(new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'Bad_Prefix', upstreamRegistryUrl: 'quay.io' })), 'InvalidParameterException');
    await rejects(ecr.send(new UpdatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'quay' })), 'InvalidParameterException');
    const left = await ecr.send(new DescribePullThroughCacheRulesCommand({}));
    assert.deepEqual(left.pullThroughCacheRules!.map((r) => r.ecrRepositoryPrefix), ['quay', 'west']);
  });

  it('allows 50 rules a registry (LimitExceededException beyond)', async () => {
    // given
    const local = await startServer();
    const client = ecrClient(local.url);
    try {
      for (let i = 0; i < 50; i++) await client.send(new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: `p${i}`, upstreamRegistryUrl: 'quay.io' }));
      // when / then
      await rejects(
        client.send(new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'p50', upstreamRegistryUrl: 'quay.io' })),
        'LimitExceededException',
        `The maximum number of pull through cache rules (50) has been reached for the registry with id '${ACCOUNT}'`,
      );
    } finally {
      client.destroy();
      await local.close();
    }
  });

  it('works from the AWS CLI and boto3', async () => {
    // when
    const cli = await awsCli(server.url, ['ecr', 'describe-pull-through-cache-rules', '--ecr-repository-prefixes', 'quay']);
    const py = (await boto3(
      server.url,
      'ecr',
      "r = client.create_pull_through_cache_rule(ecrRepositoryPrefix='ecr-public', upstreamRegistryUrl='public.ecr.aws')\nout({'u': r['upstreamRegistry'], 'n': len(client.describe_pull_through_cache_rules()['pullThroughCacheRules'])})",
    )) as { u: string; n: number };
    // then
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.json<{ pullThroughCacheRules: { upstreamRegistryUrl: string }[] }>().pullThroughCacheRules[0]!.upstreamRegistryUrl, 'quay.io');
    assert.deepEqual(py, { u: 'ecr-public', n: 3 });
  });
});

describe('pull-through cache: the pull (registry HTTP, skopeo) from a local upstream registry', { skip: skip ?? false }, () => {
  const clock = new ManualClock();
  let upstream: UpstreamRegistry;
  let server: TestServer;
  let ecr: ECRClient;
  let reg: Registry;
  let v1: BuiltImage;
  let v2: BuiltImage;

  before(async () => {
    upstream = await startUpstreamRegistry();
    server = await startServer({ ecrUpstreams: { QUAY: upstream.url } }, { clock });
    ecr = ecrClient(server.url);
    followClock(ecr, clock);
    reg = new Registry(server.port, await password(server.url, clock));
    v1 = await buildImage({ layers: 2, layerSize: 50_000, seed: 141 });
    v2 = await buildImage({ layers: 2, layerSize: 50_000, seed: 142, format: 'docker' });
    await ecr.send(new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'quay', upstreamRegistryUrl: 'quay.io' }));
    await ecr.send(
      new CreateRepositoryCreationTemplateCommand({ prefix: 'quay', appliedFor: ['PULL_THROUGH_CACHE'], resourceTags: [{ Key: 'cache', Value: 'quay' }], imageTagMutability: 'MUTABLE' }),
    );
  });
  after(async () => {
    ecr?.destroy();
    await server?.close();
    await upstream?.close();
  });

  it('imports on the first pull, creates the repository from its template, then serves the cache with the upstream gone', async () => {
    // given
    await upstream.pushImage('library/alpine', '3.20', v1);
    // when
    const first = await reg.request('GET', '/v2/quay/library/alpine/manifests/3.20', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    // then
    assert.equal(first.status, 200, first.text);
    assert.equal(first.headers['docker-content-digest'], v1.digest);
    assert.deepEqual(first.body, v1.manifest);
    const layer = await reg.request('GET', `/v2/quay/library/alpine/blobs/${sha256(v1.layers[1]!)}`);
    assert.equal(layer.status, 200);
    assert.deepEqual(layer.body, v1.layers[1]);
    const repos = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['quay/library/alpine'] }));
    const tags = await ecr.send(new ListTagsForResourceCommand({ resourceArn: repos.repositories![0]!.repositoryArn! }));
    assert.deepEqual(tags.tags, [{ Key: 'cache', Value: 'quay' }]);
    await cachedAs(ecr, 'quay/library/alpine', '3.20', v1.digest);
    // the first pull is recorded once the image is stored (just after its tag)
    let pulledAt: Date | undefined;
    for (let i = 0; i < 50 && pulledAt === undefined; i++) {
      const described = await ecr.send(new DescribeImagesCommand({ repositoryName: 'quay/library/alpine', imageIds: [{ imageTag: '3.20' }] }));
      pulledAt = described.imageDetails?.[0]?.lastRecordedPullTime;
      if (pulledAt === undefined) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(pulledAt instanceof Date, 'the first pull is recorded');
    // when the upstream is gone
    await upstream.stop();
    const cached = await reg.request('GET', '/v2/quay/library/alpine/manifests/3.20', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const byDigest = await reg.request('HEAD', `/v2/quay/library/alpine/manifests/${v1.digest}`);
    const missing = await reg.request('GET', '/v2/quay/library/alpine/manifests/3.21');
    // then
    assert.equal(cached.status, 200);
    assert.equal(cached.headers['docker-content-digest'], v1.digest);
    assert.equal(byDigest.status, 200);
    assert.equal(missing.status, 404);
    await upstream.start();
  });

  it('needs ecr:BatchImportUpstreamImage and, for a new repository, ecr:CreateRepository', async () => {
    // given
    await upstream.pushImage('iam/app', 'v1', v1);
    const puller = await makeUser(server.url, 'ptc-puller', {
      inline: { pull: doc([{ Effect: 'Allow', Action: ['ecr:GetAuthorizationToken', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], Resource: '*' }]) },
    });
    const importer = await makeUser(server.url, 'ptc-importer', {
      inline: {
        pull: doc([
          { Effect: 'Allow', Action: ['ecr:GetAuthorizationToken', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'], Resource: '*' },
        ]),
      },
    });
    const pullerReg = new Registry(server.port, await password(server.url, clock, puller));
    const importerReg = new Registry(server.port, await password(server.url, clock, importer));
    // when
    const denied = await pullerReg.request('GET', '/v2/quay/iam/app/manifests/v1');
    const imported = await importerReg.request('GET', '/v2/quay/iam/app/manifests/v1');
    const cached = await pullerReg.request('GET', '/v2/quay/iam/app/manifests/v1');
    // then
    assert.equal(denied.status, 403, denied.text);
    assert.match(denied.text, /ecr:BatchImportUpstreamImage/);
    assert.equal(imported.status, 200, imported.text);
    assert.equal(cached.status, 200, 'a cached image needs no import permission');
  });

  it('checks a tag upstream again after 24 hours: a moved tag brings the new image; an unreachable upstream leaves the cached one', async () => {
    // given: the tag moved upstream
    await upstream.pushImage('library/alpine', '3.20', v2);
    // when: within 24 hours
    clock.advance(23 * HOUR);
    reg = new Registry(server.port, await password(server.url, clock));
    const early = await reg.request('GET', '/v2/quay/library/alpine/manifests/3.20', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    // then: the cache answers
    assert.equal(early.headers['docker-content-digest'], v1.digest);
    // when: past 24 hours
    clock.advance(2 * HOUR);
    const late = await reg.request('GET', '/v2/quay/library/alpine/manifests/3.20', { headers: { accept: DOCKER_MANIFEST } });
    // then
    assert.equal(late.status, 200, late.text);
    assert.equal(late.headers['docker-content-digest'], v2.digest);
    assert.equal(late.headers['content-type'], DOCKER_MANIFEST);
    await cachedAs(ecr, 'quay/library/alpine', '3.20', v2.digest);
    // when: the upstream is unreachable at the next check
    await upstream.stop();
    clock.advance(25 * HOUR);
    reg = new Registry(server.port, await password(server.url, clock));
    const offline = await reg.request('GET', '/v2/quay/library/alpine/manifests/3.20', { headers: { accept: DOCKER_MANIFEST } });
    // then
    assert.equal(offline.status, 200);
    assert.equal(offline.headers['docker-content-digest'], v2.digest);
    await upstream.start();
  });

  it('answers an index at once and imports its children (the one asked for by digest, streaming; the other in the background)', async () => {
    // given
    const arm = await buildImage({ layers: 1, layerSize: 10_000, seed: 143, platform: { os: 'linux', architecture: 'arm64' } });
    const amd = await buildImage({ layers: 1, layerSize: 10_000, seed: 144 });
    const index = buildIndex([amd, arm]);
    for (const img of [amd, arm]) await upstream.pushImage('org/multi', img.digest, img);
    await upstream.pushManifest('org/multi', 'v1', index.manifest, OCI_INDEX);
    // when
    const got = await reg.request('GET', '/v2/quay/org/multi/manifests/v1', { headers: { accept: OCI_INDEX } });
    const child = await reg.request('GET', `/v2/quay/org/multi/manifests/${arm.digest}`, { headers: { accept: arm.mediaType } });
    const byDigest = await reg.request('GET', `/v2/quay/org/other/manifests/${amd.digest}`);
    // then
    assert.equal(got.status, 200, got.text);
    assert.equal(got.headers['docker-content-digest'], index.digest);
    assert.equal(child.status, 200);
    assert.deepEqual(child.body, arm.manifest);
    assert.equal(byDigest.status, 404, 'org/other has no such image upstream');
    // the index is stored once both platforms are (the one not asked for, in the background)
    await cachedAs(ecr, 'quay/org/multi', 'v1', index.digest);
    const platforms = await ecr.send(new DescribeImagesCommand({ repositoryName: 'quay/org/multi', imageIds: [{ imageDigest: amd.digest }] }));
    assert.equal(platforms.imageDetails?.length, 1);
  });

  it('serves two clients pulling the same new image at once, one resolving by HEAD then GET by digest', async () => {
    // given
    const img = await buildImage({ layers: 3, layerSize: 200_000, seed: 145 });
    await upstream.pushImage('org/busy', 'v1', img);
    const pullAll = async (first: 'GET' | 'HEAD') => {
      const m = await reg.request(first, '/v2/quay/org/busy/manifests/v1', { headers: { accept: img.mediaType } });
      assert.equal(m.status, 200, m.text);
      const digest = String(m.headers['docker-content-digest']);
      const body = first === 'GET' ? m.body : (await reg.request('GET', `/v2/quay/org/busy/manifests/${digest}`, { headers: { accept: img.mediaType } })).body;
      const head = await reg.request('HEAD', `/v2/quay/org/busy/blobs/${sha256(img.layers[2]!)}`);
      assert.equal(head.status, 200);
      assert.equal(Number(head.headers['content-length']), img.layers[2]!.length);
      const blobs = await Promise.all(img.blobs.map((b) => reg.request('GET', `/v2/quay/org/busy/blobs/${sha256(b)}`)));
      return { digest, body, blobs: blobs.map((r) => r.body) };
    };
    // when
    const [a, b] = await Promise.all([pullAll('GET'), pullAll('HEAD')]);
    // then
    for (const got of [a, b]) {
      assert.equal(got.digest, img.digest);
      assert.deepEqual(got.body, img.manifest);
      assert.deepEqual(got.blobs, img.blobs);
    }
    await cachedAs(ecr, 'quay/org/busy', 'v1', img.digest);
  });

  it('imports through the API too: BatchGetImage of a repository that does not exist yet', async () => {
    // given
    await upstream.pushImage('api/app', 'v3', v1);
    // when
    const got = await ecr.send(new BatchGetImageCommand({ repositoryName: 'quay/api/app', imageIds: [{ imageTag: 'v3' }] }));
    const missing = await ecr.send(new BatchGetImageCommand({ repositoryName: 'quay/api/app', imageIds: [{ imageTag: 'nope' }] }));
    // then
    assert.equal(got.images?.[0]?.imageId?.imageDigest, v1.digest);
    assert.equal(got.images?.[0]?.imageManifest, v1.manifest.toString());
    assert.deepEqual(missing.failures?.map((f) => f.failureCode), ['ImageNotFound']);
    const layer = await reg.request('GET', `/v2/quay/api/app/blobs/${sha256(v1.layers[0]!)}`);
    assert.deepEqual(layer.body, v1.layers[0]);
  });

  it('validates a rule against the upstream', async () => {
    // when
    const up = await ecr.send(new ValidatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'quay' }));
    await upstream.stop();
    const down = await ecr.send(new ValidatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'quay' }));
    await upstream.start();
    // then
    assert.equal(up.isValid, true);
    assert.equal(down.isValid, false);
    assert.match(down.failure!, /^Unable to authenticate with the upstream registry: cannot reach/);
  });

  it('copies out of the cache with skopeo', async (t) => {
    if (!(await hasTool('skopeo'))) return t.skip('skopeo not installed');
    // given
    await upstream.pushImage('tools/skopeo', 'v1', v1);
    const out = tempDir();
    try {
      // when
      await run('skopeo', [
        'copy',
        '--src-tls-verify=false',
        '--src-creds',
        `AWS:${reg.password}`,
        `docker://localhost:${server.port}/quay/tools/skopeo:v1`,
        `dir:${out.path}`,
      ]);
      // then
      const { stdout } = await run('cat', [`${out.path}/manifest.json`]);
      assert.equal(sha256(stdout), v1.digest);
      // and one platform of a new multi-platform image, which skopeo picks from the index
      const arm = await buildImage({ layers: 1, layerSize: 10_000, seed: 146, platform: { os: 'linux', architecture: 'arm64' } });
      const amd = await buildImage({ layers: 1, layerSize: 10_000, seed: 147 });
      for (const img of [amd, arm]) await upstream.pushImage('tools/multi', img.digest, img);
      await upstream.pushManifest('tools/multi', 'v1', buildIndex([amd, arm]).manifest, OCI_INDEX);
      const armOut = tempDir();
      try {
        await run('skopeo', [
          '--override-os', 'linux', '--override-arch', 'arm64',
          'copy', '--src-tls-verify=false', '--src-creds', `AWS:${reg.password}`,
          `docker://localhost:${server.port}/quay/tools/multi:v1`, `dir:${armOut.path}`,
        ]);
        const picked = await run('cat', [`${armOut.path}/manifest.json`]);
        assert.equal(sha256(picked.stdout), arm.digest);
      } finally {
        armOut.remove();
      }
    } finally {
      out.remove();
    }
  });
});

describe('pull-through cache: ECR to ECR in the same simfra', () => {
  const clock = new ManualClock();
  let server: TestServer;
  let east: ECRClient;
  let image: BuiltImage;

  before(async () => {
    server = await startServer({}, { clock });
    east = ecrClient(server.url);
    followClock(east, clock);
    image = await buildImage({ layers: 2, layerSize: 20_000, seed: 151 });
    const west = ecrClient(server.url, ROOT, 'us-west-2');
    followClock(west, clock);
    const { CreateRepositoryCommand } = await import('@aws-sdk/client-ecr');
    await west.send(new CreateRepositoryCommand({ repositoryName: 'team/app' }));
    west.destroy();
    const westReg = new Registry(server.port, await password(server.url, clock, ROOT, 'us-west-2'), `${ACCOUNT}.dkr.ecr.us-west-2.localhost:${server.port}`);
    await westReg.pushImage('team/app', 'v1', image);
  });
  after(async () => {
    east.destroy();
    await server.close();
  });

  it('pulls another region’s image through a rule, honouring upstreamRepositoryPrefix', async () => {
    // given
    await east.send(
      new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'west', upstreamRegistryUrl: `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`, upstreamRepositoryPrefix: 'team' }),
    );
    const reg = new Registry(server.port, await password(server.url, clock));
    // when
    const got = await reg.request('GET', '/v2/west/app/manifests/v1', { headers: { accept: image.mediaType } });
    const missing = await reg.request('GET', '/v2/west/none/manifests/v1');
    // then
    assert.equal(got.status, 200, got.text);
    assert.equal(got.headers['docker-content-digest'], image.digest);
    assert.equal(missing.status, 404);
    const repos = await east.send(new DescribeRepositoriesCommand({ repositoryNames: ['west/app'] }));
    assert.equal(repos.repositories!.length, 1);
  });
});

describe('pull-through cache: rules and cached images survive a restart (SIMFRA_DATA_DIR)', { skip: skip ?? false }, () => {
  it('keeps the rules, the cached image and its last check', async () => {
    // given
    const data = tempDir();
    const upstream = await startUpstreamRegistry();
    const image = await buildImage({ layers: 1, layerSize: 10_000, seed: 181 });
    await upstream.pushImage('kept/app', 'v1', image);
    let server = await startServer({ dataDir: data.path, ecrUpstreams: { QUAY: upstream.url } });
    try {
      let ecr = ecrClient(server.url);
      await ecr.send(new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'quay', upstreamRegistryUrl: 'quay.io' }));
      const got = await ecr.send(new BatchGetImageCommand({ repositoryName: 'quay/kept/app', imageIds: [{ imageTag: 'v1' }] }));
      assert.equal(got.images?.[0]?.imageId?.imageDigest, image.digest);
      ecr.destroy();
      await server.close();
      await upstream.stop();
      // when
      server = await startServer({ dataDir: data.path, ecrUpstreams: { QUAY: upstream.url } });
      ecr = ecrClient(server.url);
      const rules = await ecr.send(new DescribePullThroughCacheRulesCommand({}));
      const reg = new Registry(server.port, await password(server.url, new ManualClock()));
      const pulled = await reg.request('GET', '/v2/quay/kept/app/manifests/v1', { headers: { accept: image.mediaType } });
      ecr.destroy();
      // then
      assert.deepEqual(rules.pullThroughCacheRules?.map((r) => r.ecrRepositoryPrefix), ['quay']);
      assert.equal(pulled.status, 200, pulled.text);
      assert.equal(pulled.headers['docker-content-digest'], image.digest);
    } finally {
      await server.close();
      await upstream.close();
      data.remove();
    }
  });
});
