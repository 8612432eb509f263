import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  BatchDeleteImageCommand,
  CreateRepositoryCommand,
  CreateRepositoryCreationTemplateCommand,
  DescribeImageReplicationStatusCommand,
  DescribeImagesCommand,
  DescribeRegistryCommand,
  DescribeRepositoriesCommand,
  GetAuthorizationTokenCommand,
  ListTagsForResourceCommand,
  PutRegistryPolicyCommand,
  PutReplicationConfigurationCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { awsCli, boto3, ecrClient, type Credentials } from '../support/clients.js';
import { dockerUnavailable, ensureHostsEntry, startDocker, type Docker } from '../support/docker.js';
import { rejects } from '../support/ecr-images.js';
import { doc, makeAccount } from '../support/iam.js';
import { buildImage, buildIndex, type BuiltImage } from '../support/oci-image.js';
import { runJob } from '../support/admin.js';
import { loginPassword, Registry, sha256 } from '../support/registry.js';
import { ACCOUNT, REGION, ROOT, startServer, tempDir, type TestServer } from '../support/server.js';
import { hasTool } from '../support/tools.js';

const OTHER = '222222222222';
const WEST = 'us-west-2';

/** A registry client for `account`'s registry in `region`, addressed by its host name. */
async function registryOf(server: TestServer, credentials: Credentials, account: string, region: string): Promise<Registry> {
  const ecr = ecrClient(server.url, credentials, region);
  try {
    const res = await ecr.send(new GetAuthorizationTokenCommand({}));
    const password = Buffer.from(res.authorizationData![0]!.authorizationToken!, 'base64').toString('utf8').slice('AWS:'.length);
    return new Registry(server.port, password, `${account}.dkr.ecr.${region}.localhost:${server.port}`);
  } finally {
    ecr.destroy();
  }
}

const statusesOf = async (ecr: ECRClient, repositoryName: string, imageDigest: string) =>
  ((await ecr.send(new DescribeImageReplicationStatusCommand({ repositoryName, imageId: { imageDigest } }))).replicationStatuses ?? [])
    .map((s) => ({ registryId: s.registryId, region: s.region, status: s.status, ...(s.failureCode ? { failureCode: s.failureCode } : {}) }))
    .sort((a, b) => `${a.registryId}${a.region}`.localeCompare(`${b.registryId}${b.region}`));

/** Pulls `reference` and every blob it names from `reg`, asserting each is byte for byte `image`'s. */
async function assertPullable(reg: Registry, name: string, reference: string, image: BuiltImage): Promise<void> {
  const m = await reg.request('GET', `/v2/${name}/manifests/${reference}`, { headers: { accept: image.mediaType } });
  assert.equal(m.status, 200, m.text);
  assert.ok(m.body.equals(image.manifest), 'manifest bytes as pushed');
  for (const blob of image.blobs) {
    const b = await reg.request('GET', `/v2/${name}/blobs/${sha256(blob)}`);
    assert.equal(b.status, 200, b.text);
    assert.ok(b.body.equals(blob), 'blob bytes as pushed');
  }
}

describe('ECR replication into another region and another account', () => {
  let server: TestServer;
  let ecr: ECRClient;
  let west: ECRClient;
  let other: ECRClient;
  let otherCreds: Credentials;
  let reg: Registry;
  let app: BuiltImage;

  const rules = {
    rules: [
      {
        destinations: [
          { region: WEST, registryId: ACCOUNT },
          { region: REGION, registryId: OTHER },
        ],
        repositoryFilters: [{ filter: 'prod', filterType: 'PREFIX_MATCH' as const }],
      },
    ],
  };

  before(async () => {
    server = await startServer();
    ecr = ecrClient(server.url);
    west = ecrClient(server.url, ROOT, WEST);
    otherCreds = await makeAccount(server.url, OTHER);
    other = ecrClient(server.url, otherCreds);
    reg = new Registry(server.port, await loginPassword(server.url));
    app = await buildImage({ layers: 2, layerSize: 50_000, seed: 31 });
  });
  after(async () => {
    ecr.destroy();
    west.destroy();
    other.destroy();
    await server.close();
  });

  it('refuses a destination that is the source registry and region, and more than 25 destinations, storing nothing', async () => {
    // given
    await ecr.send(new PutReplicationConfigurationCommand({ replicationConfiguration: { rules: [] } }));
    // when
    const self = rejects(
      ecr.send(new PutReplicationConfigurationCommand({ replicationConfiguration: { rules: [{ destinations: [{ region: REGION, registryId: ACCOUNT }] }] } })),
      'InvalidParameterException',
      "Invalid parameter at 'replicationConfiguration' failed to satisfy constraint: 'Replication destination cannot be the same as the source registry and region'",
    );
    const many = Array.from({ length: 26 }, (_, i) => ({ region: WEST, registryId: String(300000000000 + i) }));
    const tooMany = rejects(
      ecr.send(new PutReplicationConfigurationCommand({ replicationConfiguration: { rules: [{ destinations: many }] } })),
      'InvalidParameterException',
      "Invalid parameter at 'replicationConfiguration' failed to satisfy constraint: 'Replication configuration cannot contain more than 25 unique destinations'",
    );
    const badFilter = rejects(
      ecr.send(
        new PutReplicationConfigurationCommand({
          replicationConfiguration: { rules: [{ destinations: [{ region: WEST, registryId: ACCOUNT }], repositoryFilters: [{ filter: 'prod', filterType: 'SUFFIX' as 'PREFIX_MATCH' }] }] },
        }),
      ),
      'InvalidParameterException',
      "Invalid parameter at 'replicationConfiguration.rules.1.member.repositoryFilters.1.member.filterType' failed to satisfy constraint: 'Member must satisfy enum value set: [PREFIX_MATCH]'",
    );
    // then
    await self;
    await tooMany;
    await badFilter;
    const registry = await ecr.send(new DescribeRegistryCommand({}));
    assert.deepEqual(registry.replicationConfiguration, { rules: [] });
  });

  it('stores the configuration with the CLI and shows it in DescribeRegistry (boto3)', async (t) => {
    if (!(await hasTool('aws')) || !(await hasTool('python3'))) return t.skip('needs the aws CLI and python3 with boto3');
    // when
    const put = await awsCli(server.url, ['ecr', 'put-replication-configuration', '--replication-configuration', JSON.stringify(rules)]);
    // then
    assert.equal(put.code, 0, put.stderr);
    assert.deepEqual(put.json().replicationConfiguration, rules);
    const shown = (await boto3(server.url, 'ecr', 'out(client.describe_registry()["replicationConfiguration"])')) as unknown;
    assert.deepEqual(shown, rules);
  });

  it('copies a matching push to the other region at once, and fails the cross-account copy without the destination’s registry policy', async () => {
    // given
    await ecr.send(new PutReplicationConfigurationCommand({ replicationConfiguration: rules }));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'prod/app' }));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'dev/app' }));
    // when
    const digest = await reg.pushImage('prod/app', 'v1', app);
    await reg.pushImage('dev/app', 'v1', app);
    const right = await statusesOf(ecr, 'prod/app', digest);
    await runJob(server.url, 'ecr-replication');
    // then
    assert.equal(right.length, 2);
    for (const s of right) assert.ok(s.status === 'IN_PROGRESS' || s.status === 'COMPLETE' || s.status === 'FAILED');
    assert.deepEqual(await statusesOf(ecr, 'prod/app', digest), [
      { registryId: ACCOUNT, region: WEST, status: 'COMPLETE' },
      { registryId: OTHER, region: REGION, status: 'FAILED', failureCode: 'ACCESS_DENIED' },
    ]);
    assert.deepEqual(await statusesOf(ecr, 'dev/app', digest), []);
    const westReg = await registryOf(server, ROOT, ACCOUNT, WEST);
    await assertPullable(westReg, 'prod/app', 'v1', app);
    await assertPullable(westReg, 'prod/app', digest, app);
    const westImages = await west.send(new DescribeImagesCommand({ repositoryName: 'prod/app' }));
    assert.deepEqual(westImages.imageDetails?.map((d) => [d.imageDigest, d.imageTags]), [[digest, ['v1']]]);
    const westRepos = await west.send(new DescribeRepositoriesCommand({}));
    assert.deepEqual(westRepos.repositories?.map((r) => [r.repositoryName, r.imageTagMutability, r.encryptionConfiguration?.encryptionType]), [
      ['prod/app', 'MUTABLE', 'AES256'],
    ]);
    await rejects(other.send(new DescribeRepositoriesCommand({ repositoryNames: ['prod/app'] })), 'RepositoryNotFoundException');
  });

  it('copies into the other account once its registry policy allows the source account, on the next push', async () => {
    // given
    const policy = doc([
      {
        Sid: 'ReplicationFromSource',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'],
        Resource: `arn:aws:ecr:${REGION}:${OTHER}:repository/*`,
      },
    ]);
    await other.send(new PutRegistryPolicyCommand({ policyText: policy }));
    // when
    const digest = await reg.pushImage('prod/app', 'v1', app);
    await runJob(server.url, 'ecr-replication');
    // then
    assert.deepEqual(await statusesOf(ecr, 'prod/app', digest), [
      { registryId: ACCOUNT, region: WEST, status: 'COMPLETE' },
      { registryId: OTHER, region: REGION, status: 'COMPLETE' },
    ]);
    await assertPullable(await registryOf(server, otherCreds, OTHER, REGION), 'prod/app', 'v1', app);
  });

  it('copies a multi-arch index with its children, tags and a referrer', async () => {
    // given
    const amd = await buildImage({ layers: 1, layerSize: 20_000, seed: 41, platform: { os: 'linux', architecture: 'amd64' } });
    const arm = await buildImage({ layers: 1, layerSize: 20_000, seed: 42, platform: { os: 'linux', architecture: 'arm64' } });
    const index = buildIndex([amd, arm]);
    const sig = await buildImage({
      layers: 1,
      layerSize: 100,
      seed: 43,
      artifactType: 'application/vnd.example.sig',
      subject: { mediaType: index.mediaType, digest: index.digest, size: index.manifest.length },
    });
    // when
    await reg.pushImage('prod/app', amd.digest, amd);
    await reg.pushImage('prod/app', arm.digest, arm);
    const res = await reg.pushManifest('prod/app', 'multi', index.manifest, index.mediaType);
    assert.equal(res.status, 201, res.text);
    await reg.pushImage('prod/app', sig.digest, sig);
    await runJob(server.url, 'ecr-replication');
    // then
    const westReg = await registryOf(server, ROOT, ACCOUNT, WEST);
    const got = await westReg.request('GET', '/v2/prod/app/manifests/multi', { headers: { accept: index.mediaType } });
    assert.equal(got.status, 200, got.text);
    assert.ok(got.body.equals(index.manifest));
    await assertPullable(westReg, 'prod/app', amd.digest, amd);
    await assertPullable(westReg, 'prod/app', arm.digest, arm);
    const refs = (await westReg.request('GET', `/v2/prod/app/referrers/${index.digest}`)).json<{ manifests: { digest: string; artifactType?: string }[] }>();
    assert.deepEqual(
      refs.manifests.map((m) => [m.digest, m.artifactType]),
      [[sig.digest, 'application/vnd.example.sig']],
    );
    assert.deepEqual(await statusesOf(ecr, 'prod/app', sig.digest), [
      { registryId: ACCOUNT, region: WEST, status: 'COMPLETE' },
      { registryId: OTHER, region: REGION, status: 'COMPLETE' },
    ]);
  });

  it('does not replicate deletes', async () => {
    // given
    const extra = await buildImage({ layers: 1, layerSize: 1_000, seed: 51 });
    const digest = await reg.pushImage('prod/app', 'gone', extra);
    await runJob(server.url, 'ecr-replication');
    // when
    const deleted = await ecr.send(new BatchDeleteImageCommand({ repositoryName: 'prod/app', imageIds: [{ imageDigest: digest }] }));
    await runJob(server.url, 'ecr-replication');
    // then
    assert.equal(deleted.imageIds?.length, 1);
    const westReg = await registryOf(server, ROOT, ACCOUNT, WEST);
    await assertPullable(westReg, 'prod/app', 'gone', extra);
  });

  it('keeps a replica pullable when the source image is deleted and its blobs swept', async () => {
    // given
    const only = await buildImage({ layers: 1, layerSize: 5_000, seed: 71 });
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'prod/swept' }));
    const digest = await reg.pushImage('prod/swept', 'v1', only);
    await runJob(server.url, 'ecr-replication');
    // when
    await ecr.send(new BatchDeleteImageCommand({ repositoryName: 'prod/swept', imageIds: [{ imageDigest: digest }] }));
    await runJob(server.url, 'blob-gc', { graceSeconds: 0 });
    // then
    await assertPullable(await registryOf(server, ROOT, ACCOUNT, WEST), 'prod/swept', 'v1', only);
    await assertPullable(await registryOf(server, otherCreds, OTHER, REGION), 'prod/swept', 'v1', only);
  });

  it('creates the destination repository with the REPLICATION creation template that applies', async () => {
    // given
    await west.send(
      new CreateRepositoryCreationTemplateCommand({
        prefix: 'prod/tmpl',
        appliedFor: ['REPLICATION'],
        imageTagMutability: 'IMMUTABLE',
        resourceTags: [{ Key: 'origin', Value: 'replication' }],
      }),
    );
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'prod/tmpl/svc' }));
    // when
    await reg.pushImage('prod/tmpl/svc', 'v1', app);
    await runJob(server.url, 'ecr-replication');
    // then
    const repo = (await west.send(new DescribeRepositoriesCommand({ repositoryNames: ['prod/tmpl/svc'] }))).repositories![0]!;
    assert.equal(repo.imageTagMutability, 'IMMUTABLE');
    const tags = await west.send(new ListTagsForResourceCommand({ resourceArn: repo.repositoryArn! }));
    assert.deepEqual(tags.tags, [{ Key: 'origin', Value: 'replication' }]);
    await assertPullable(await registryOf(server, ROOT, ACCOUNT, WEST), 'prod/tmpl/svc', 'v1', app);
  });
});

const dockerMissing = dockerUnavailable();

describe('docker pulls a replicated image from the destination region’s registry host', { skip: dockerMissing ? `skipped: ${dockerMissing}` : false }, () => {
  let server: TestServer;
  let docker: Docker;
  let ecr: ECRClient;
  let east: string;
  let westHost: string;

  before(async () => {
    ensureHostsEntry(`${ACCOUNT}.dkr.ecr.${REGION}.localhost`);
    ensureHostsEntry(`${ACCOUNT}.dkr.ecr.${WEST}.localhost`);
    server = await startServer();
    east = `${ACCOUNT}.dkr.ecr.${REGION}.localhost:${server.port}`;
    westHost = `${ACCOUNT}.dkr.ecr.${WEST}.localhost:${server.port}`;
    ecr = ecrClient(server.url);
    docker = await startDocker();
    await docker.cli(['login', '-u', 'AWS', '--password-stdin', east], await loginPassword(server.url));
    await docker.cli(['login', '-u', 'AWS', '--password-stdin', westHost], (await registryOf(server, ROOT, ACCOUNT, WEST)).password);
  });
  after(async () => {
    await docker?.stop();
    ecr?.destroy();
    await server?.close();
  });

  it('docker push to us-east-1, docker pull of the copy from us-west-2, which runs', async () => {
    // given
    await ecr.send(new PutReplicationConfigurationCommand({ replicationConfiguration: { rules: [{ destinations: [{ region: WEST, registryId: ACCOUNT }] }] } }));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'dk/hello' }));
    await docker.importBusybox('local/repl:1', 'replicated-hello');
    await docker.cli(['tag', 'local/repl:1', `${east}/dk/hello:v1`]);
    // when
    await docker.cli(['push', `${east}/dk/hello:v1`]);
    await runJob(server.url, 'ecr-replication');
    await docker.cli(['rmi', `${east}/dk/hello:v1`, 'local/repl:1']);
    const pulled = await docker.attempt(['pull', `${westHost}/dk/hello:v1`]);
    // then
    assert.equal(pulled.code, 0, pulled.stderr);
    const ran = await docker.cli(['run', '--rm', '--network', 'none', `${westHost}/dk/hello:v1`]);
    assert.match(ran.stdout, /replicated-hello/);
  });
});

describe('replication of KMS-encrypted repositories (blobs sealed per key, SIMFRA_DATA_DIR)', () => {
  let server: TestServer;
  let dir: ReturnType<typeof tempDir>;
  let ecr: ECRClient;
  let west: ECRClient;

  before(async () => {
    dir = tempDir();
    server = await startServer({ dataDir: dir.path });
    ecr = ecrClient(server.url);
    west = ecrClient(server.url, ROOT, WEST);
  });
  after(async () => {
    ecr.destroy();
    west.destroy();
    await server.close();
    dir.remove();
  });

  it('copies the bytes from the source key’s store into a KMS repository (REPLICATION template) and an AES256 one', async () => {
    // given
    await ecr.send(new PutReplicationConfigurationCommand({ replicationConfiguration: { rules: [{ destinations: [{ region: WEST, registryId: ACCOUNT }] }] } }));
    await west.send(new CreateRepositoryCreationTemplateCommand({ prefix: 'sealed', appliedFor: ['REPLICATION'], encryptionConfiguration: { encryptionType: 'KMS' } }));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'sealed/app', encryptionConfiguration: { encryptionType: 'KMS' } }));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'plain/app', encryptionConfiguration: { encryptionType: 'KMS' } }));
    const image = await buildImage({ layers: 2, layerSize: 30_000, seed: 61 });
    const reg = new Registry(server.port, await loginPassword(server.url));
    // when
    const digest = await reg.pushImage('sealed/app', 'v1', image);
    await reg.pushImage('plain/app', 'v1', image);
    await runJob(server.url, 'ecr-replication');
    // then
    assert.deepEqual(await statusesOf(ecr, 'sealed/app', digest), [{ registryId: ACCOUNT, region: WEST, status: 'COMPLETE' }]);
    assert.deepEqual(await statusesOf(ecr, 'plain/app', digest), [{ registryId: ACCOUNT, region: WEST, status: 'COMPLETE' }]);
    const repos = await west.send(new DescribeRepositoriesCommand({ repositoryNames: ['sealed/app', 'plain/app'] }));
    const encryption = Object.fromEntries(repos.repositories!.map((r) => [r.repositoryName, r.encryptionConfiguration?.encryptionType]));
    assert.deepEqual(encryption, { 'sealed/app': 'KMS', 'plain/app': 'AES256' });
    const westReg = await registryOf(server, ROOT, ACCOUNT, WEST);
    await assertPullable(westReg, 'sealed/app', 'v1', image);
    await assertPullable(westReg, 'plain/app', 'v1', image);
  });
});
