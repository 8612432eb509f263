import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateRepositoryCreationTemplateCommand,
  DeleteRepositoryCreationTemplateCommand,
  DescribeRegistryCommand,
  DescribeRepositoriesCommand,
  DescribeRepositoryCreationTemplatesCommand,
  GetLifecyclePolicyCommand,
  GetRepositoryPolicyCommand,
  ListPullTimeUpdateExclusionsCommand,
  ListTagsForResourceCommand,
  RegisterPullTimeUpdateExclusionCommand,
  UpdateRepositoryCreationTemplateCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { awsCli, boto3, ecrClient } from '../support/clients.js';
import { dockerUnavailable, ensureHostsEntry, startDocker, type Docker } from '../support/docker.js';
import { rejects } from '../support/ecr-images.js';
import { doc, makeUser, MANAGED } from '../support/iam.js';
import { buildImage, writeOciLayout, type BuiltImage } from '../support/oci-image.js';
import { loginPassword, Registry } from '../support/registry.js';
import { ACCOUNT, startServer, tempDir, type TestServer } from '../support/server.js';
import { hasTool, run } from '../support/tools.js';

const repoArn = (name: string) => `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/${name}`;
const pullPolicy = doc([{ Sid: 'Pull', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: ['ecr:BatchGetImage'] }]);
const lifecyclePolicy = JSON.stringify({
  rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: { type: 'expire' } }],
});

describe('repository creation templates (SDK, CLI, boto3) and create on push (registry HTTP, skopeo)', () => {
  let server: TestServer;
  let ecr: ECRClient;
  let reg: Registry;
  let image: BuiltImage;

  before(async () => {
    server = await startServer();
    ecr = ecrClient(server.url);
    reg = new Registry(server.port, await loginPassword(server.url));
    image = await buildImage({ layers: 2, layerSize: 4_000, seed: 77 });
  });
  after(async () => {
    ecr.destroy();
    await server.close();
  });

  it('creates, describes (filtered, paged), updates and deletes templates with ECR’s defaults', async () => {
    // when
    const created = await ecr.send(
      new CreateRepositoryCreationTemplateCommand({
        prefix: 'crud/full',
        description: 'every field',
        appliedFor: ['CREATE_ON_PUSH', 'REPLICATION'],
        encryptionConfiguration: { encryptionType: 'KMS', kmsKey: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab` },
        resourceTags: [{ Key: 'team', Value: 'web' }],
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }],
        repositoryPolicy: pullPolicy,
        lifecyclePolicy,
        customRoleArn: `arn:aws:iam::${ACCOUNT}:role/ecr-templates`,
      }),
    );
    const minimal = await ecr.send(new CreateRepositoryCreationTemplateCommand({ prefix: 'ROOT', appliedFor: ['PULL_THROUGH_CACHE'] }));
    // then
    const t = created.repositoryCreationTemplate!;
    assert.equal(created.registryId, ACCOUNT);
    assert.equal(t.prefix, 'crud/full');
    assert.deepEqual(t.appliedFor, ['CREATE_ON_PUSH', 'REPLICATION']);
    assert.equal(t.imageTagMutability, 'IMMUTABLE_WITH_EXCLUSION');
    assert.deepEqual(t.imageTagMutabilityExclusionFilters, [{ filterType: 'WILDCARD', filter: 'latest' }]);
    assert.equal(t.repositoryPolicy, pullPolicy);
    assert.equal(t.lifecyclePolicy, lifecyclePolicy);
    assert.ok(t.createdAt instanceof Date);
    assert.deepEqual(minimal.repositoryCreationTemplate, {
      prefix: 'ROOT',
      appliedFor: ['PULL_THROUGH_CACHE'],
      encryptionConfiguration: { encryptionType: 'AES256' },
      imageTagMutability: 'MUTABLE',
      resourceTags: [],
      createdAt: minimal.repositoryCreationTemplate!.createdAt,
      updatedAt: minimal.repositoryCreationTemplate!.updatedAt,
    });
    const all = await ecr.send(new DescribeRepositoryCreationTemplatesCommand({}));
    assert.deepEqual(all.repositoryCreationTemplates!.map((x) => x.prefix), ['ROOT', 'crud/full']);
    const page = await ecr.send(new DescribeRepositoryCreationTemplatesCommand({ maxResults: 1 }));
    assert.deepEqual(page.repositoryCreationTemplates!.map((x) => x.prefix), ['ROOT']);
    const next = await ecr.send(new DescribeRepositoryCreationTemplatesCommand({ maxResults: 1, nextToken: page.nextToken }));
    assert.deepEqual(next.repositoryCreationTemplates!.map((x) => x.prefix), ['crud/full']);
    assert.equal(next.nextToken, undefined);
    const filtered = await ecr.send(new DescribeRepositoryCreationTemplatesCommand({ prefixes: ['crud/full', 'nope'] }));
    assert.deepEqual(filtered.repositoryCreationTemplates!.map((x) => x.prefix), ['crud/full']);
    // when updated: the given fields change, the others stay
    const updated = await ecr.send(new UpdateRepositoryCreationTemplateCommand({ prefix: 'crud/full', imageTagMutability: 'MUTABLE', description: 'changed' }));
    assert.equal(updated.repositoryCreationTemplate!.imageTagMutability, 'MUTABLE');
    assert.equal(updated.repositoryCreationTemplate!.imageTagMutabilityExclusionFilters, undefined);
    assert.equal(updated.repositoryCreationTemplate!.description, 'changed');
    assert.deepEqual(updated.repositoryCreationTemplate!.resourceTags, [{ Key: 'team', Value: 'web' }]);
    assert.equal(updated.repositoryCreationTemplate!.createdAt?.getTime(), t.createdAt!.getTime());
    // when deleted
    const deleted = await ecr.send(new DeleteRepositoryCreationTemplateCommand({ prefix: 'crud/full' }));
    assert.equal(deleted.repositoryCreationTemplate!.prefix, 'crud/full');
    await ecr.send(new DeleteRepositoryCreationTemplateCommand({ prefix: 'ROOT' }));
    assert.deepEqual((await ecr.send(new DescribeRepositoryCreationTemplatesCommand({}))).repositoryCreationTemplates, []);
  });

  it('refuses what ECR refuses, and changes nothing then', async () => {
    await ecr.send(new CreateRepositoryCreationTemplateCommand({ prefix: 'bad', appliedFor: ['CREATE_ON_PUSH'] }));
    await rejects(
      ecr.send(new CreateRepositoryCreationTemplateCommand({ prefix: 'bad', appliedFor: ['CREATE_ON_PUSH'] })),
      'TemplateAlreadyExistsException',
      `Repository creation template with prefix 'bad' already exists in the registry with id '${ACCOUNT}'`,
    );
    await rejects(
      ecr.send(new UpdateRepositoryCreationTemplateCommand({ prefix: 'missing', description: 'x' })),
      'TemplateNotFoundException',
      `Repository creation template with prefix 'missing' does not exist in the registry with id '${ACCOUNT}'`,
    );
    await rejects(ecr.send(new DeleteRepositoryCreationTemplateCommand({ prefix: 'missing' })), 'TemplateNotFoundException');
    const invalid = [
      { prefix: 'Upper/Case', appliedFor: ['CREATE_ON_PUSH' as const] },
      { prefix: 'x1', appliedFor: [] },
      { prefix: 'x2', appliedFor: ['CREATE_ON_PUSH' as const], encryptionConfiguration: { encryptionType: 'AES256' as const, kmsKey: `arn:aws:kms:us-east-1:${ACCOUNT}:key/abc` } },
      { prefix: 'x3', appliedFor: ['CREATE_ON_PUSH' as const], imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION' as const },
      { prefix: 'x4', appliedFor: ['CREATE_ON_PUSH' as const], repositoryPolicy: doc([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject' }]) },
      { prefix: 'x5', appliedFor: ['CREATE_ON_PUSH' as const], lifecyclePolicy: '{"rules":' },
      { prefix: 'x6', appliedFor: ['CREATE_ON_PUSH' as const], customRoleArn: 'arn:aws:iam::999999999999:role/elsewhere' },
      { prefix: 'x7', appliedFor: ['CREATE_ON_PUSH' as const], resourceTags: [{ Key: 'aws:reserved', Value: 'x' }] },
    ];
    for (const input of invalid) {
      await assert.rejects(ecr.send(new CreateRepositoryCreationTemplateCommand(input)), (e: Error) => {
        assert.match(e.name, /InvalidParameterException|InvalidTagParameterException|ValidationException/, `${input.prefix}: ${e.name} ${e.message}`);
        return true;
      });
    }
    const left = await ecr.send(new DescribeRepositoryCreationTemplatesCommand({}));
    assert.deepEqual(left.repositoryCreationTemplates!.map((x) => x.prefix), ['bad']);
    await ecr.send(new DeleteRepositoryCreationTemplateCommand({ prefix: 'bad' }));
  });

  it('creates a repository on push from the longest matching CREATE_ON_PUSH template, with its settings', async () => {
    // given
    await ecr.send(new CreateRepositoryCreationTemplateCommand({ prefix: 'auto', appliedFor: ['CREATE_ON_PUSH'], resourceTags: [{ Key: 'level', Value: 'auto' }] }));
    await ecr.send(
      new CreateRepositoryCreationTemplateCommand({
        prefix: 'auto/team',
        appliedFor: ['CREATE_ON_PUSH'],
        imageTagMutability: 'IMMUTABLE',
        encryptionConfiguration: { encryptionType: 'KMS' },
        resourceTags: [{ Key: 'level', Value: 'team' }],
        repositoryPolicy: pullPolicy,
        lifecyclePolicy,
      }),
    );
    await ecr.send(new CreateRepositoryCreationTemplateCommand({ prefix: 'replicated', appliedFor: ['REPLICATION'] }));
    // when
    const digest = await reg.pushImage('auto/team/web', 'v1', image);
    await reg.pushImage('auto/other', 'v1', image);
    // then
    const [repo] = (await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['auto/team/web'] }))).repositories!;
    assert.equal(repo!.imageTagMutability, 'IMMUTABLE');
    assert.equal(repo!.encryptionConfiguration?.encryptionType, 'KMS');
    assert.match(repo!.encryptionConfiguration?.kmsKey ?? '', new RegExp(`^arn:aws:kms:us-east-1:${ACCOUNT}:key/`));
    assert.deepEqual((await ecr.send(new ListTagsForResourceCommand({ resourceArn: repoArn('auto/team/web') }))).tags, [{ Key: 'level', Value: 'team' }]);
    assert.equal((await ecr.send(new GetRepositoryPolicyCommand({ repositoryName: 'auto/team/web' }))).policyText, pullPolicy);
    assert.equal((await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'auto/team/web' }))).lifecyclePolicyText, lifecyclePolicy);
    assert.equal((await reg.request('GET', '/v2/auto/team/web/manifests/v1')).headers['docker-content-digest'], digest);
    assert.deepEqual((await ecr.send(new ListTagsForResourceCommand({ resourceArn: repoArn('auto/other') }))).tags, [{ Key: 'level', Value: 'auto' }]);
    // no CREATE_ON_PUSH template, or a name no template covers: NAME_UNKNOWN as before
    for (const name of ['replicated/app', 'autonomous/app']) {
      const res = await reg.request('POST', `/v2/${name}/blobs/uploads/`);
      assert.equal(res.status, 404, name);
      assert.equal(res.json<{ errors: { code: string }[] }>().errors[0]!.code, 'NAME_UNKNOWN');
    }
    // DescribeRegistry is unaffected
    assert.equal((await ecr.send(new DescribeRegistryCommand({}))).registryId, ACCOUNT);
  });

  it('a ROOT template catches every other name; the pusher needs ecr:CreateRepository', async () => {
    // given
    await ecr.send(new CreateRepositoryCreationTemplateCommand({ prefix: 'ROOT', appliedFor: ['CREATE_ON_PUSH'], imageTagMutability: 'IMMUTABLE' }));
    const pusher = await makeUser(server.url, 'pusher', { managed: [MANAGED.powerUser] });
    const admin = await makeUser(server.url, 'ecr-admin', { managed: [MANAGED.full] });
    const asPusher = new Registry(server.port, await loginPassword(server.url, pusher));
    const asAdmin = new Registry(server.port, await loginPassword(server.url, admin));
    // when a pusher without ecr:CreateRepository pushes to a new name
    const denied = await asPusher.request('POST', '/v2/anywhere/app/blobs/uploads/');
    // then
    assert.equal(denied.status, 403);
    assert.match(
      denied.json<{ errors: { code: string; message: string }[] }>().errors[0]!.message,
      new RegExp(`^User: ${pusher.arn} is not authorized to perform: ecr:CreateRepository on resource: ${repoArn('anywhere/app')}`),
    );
    await rejects(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['anywhere/app'] })), 'RepositoryNotFoundException');
    // when one with it pushes
    await asAdmin.pushImage('anywhere/app', 'v1', image);
    // then
    const [repo] = (await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['anywhere/app'] }))).repositories!;
    assert.equal(repo!.imageTagMutability, 'IMMUTABLE');
    // and the pusher may now push to the existing repository
    assert.equal((await asPusher.pushManifest('anywhere/app', 'v2', image.manifest, image.mediaType)).status, 201);
    await ecr.send(new DeleteRepositoryCreationTemplateCommand({ prefix: 'ROOT' }));
  });

  it('skopeo copies into a repository that does not exist yet', async (t) => {
    if (!(await hasTool('skopeo'))) return t.skip('skopeo not installed (apt-get install -y skopeo)');
    // given
    await ecr.send(new CreateRepositoryCreationTemplateCommand({ prefix: 'sk', appliedFor: ['CREATE_ON_PUSH'] }));
    const layout = tempDir('simfra-cop-');
    try {
      await writeOciLayout(layout.path, [{ tag: 'v1', manifest: image.manifest, mediaType: image.mediaType, blobs: image.blobs }]);
      // when
      await run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', `AWS:${reg.password}`, `oci:${layout.path}:v1`, `docker://127.0.0.1:${server.port}/sk/new:v1`]);
    } finally {
      layout.remove();
    }
    // then
    const [repo] = (await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['sk/new'] }))).repositories!;
    assert.equal(repo!.repositoryName, 'sk/new');
  });

  it('works from the aws CLI and boto3', async (t) => {
    if (!(await hasTool('aws'))) return t.skip('aws CLI not installed (pip install awscli)');
    // when
    const created = await awsCli(server.url, [
      'ecr', 'create-repository-creation-template', '--prefix', 'cli', '--applied-for', 'CREATE_ON_PUSH', 'REPLICATION',
      '--image-tag-mutability', 'IMMUTABLE', '--resource-tags', 'Key=by,Value=cli',
    ]);
    const described = await boto3(server.url, 'ecr', 'out(client.describe_repository_creation_templates(prefixes=["cli"])["repositoryCreationTemplates"])');
    const deleted = await awsCli(server.url, ['ecr', 'delete-repository-creation-template', '--prefix', 'cli']);
    const again = await boto3(
      server.url,
      'ecr',
      'try:\n  client.delete_repository_creation_template(prefix="cli")\nexcept ClientError as e:\n  out(e.response["Error"]["Code"])',
    );
    // then
    assert.equal(created.code, 0, created.stderr);
    assert.equal((created.json() as { repositoryCreationTemplate: { imageTagMutability: string } }).repositoryCreationTemplate.imageTagMutability, 'IMMUTABLE');
    const [tpl] = described as { prefix: string; appliedFor: string[]; resourceTags: unknown }[];
    assert.equal(tpl!.prefix, 'cli');
    assert.deepEqual(tpl!.appliedFor, ['CREATE_ON_PUSH', 'REPLICATION']);
    assert.deepEqual(tpl!.resourceTags, [{ Key: 'by', Value: 'cli' }]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(again, 'TemplateNotFoundException');
  });
});

const unavailable = dockerUnavailable();

describe('docker push creates the repository with a CREATE_ON_PUSH template', { skip: unavailable ? `skipped: ${unavailable}` : false }, () => {
  let server: TestServer;
  let docker: Docker;
  let ecr: ECRClient;
  let registry: string;

  before(async () => {
    ensureHostsEntry('000000000000.dkr.ecr.us-east-1.localhost');
    server = await startServer();
    registry = `000000000000.dkr.ecr.us-east-1.localhost:${server.port}`;
    ecr = ecrClient(server.url);
    docker = await startDocker();
    await docker.cli(['login', '-u', 'AWS', '--password-stdin', registry], await loginPassword(server.url));
  });
  after(async () => {
    await docker?.stop();
    ecr?.destroy();
    await server?.close();
  });

  it('pushes to a new repository, which then exists with the template’s settings', async () => {
    // given
    await ecr.send(new CreateRepositoryCreationTemplateCommand({ prefix: 'dk', appliedFor: ['CREATE_ON_PUSH'], imageTagMutability: 'IMMUTABLE' }));
    await docker.importBusybox('local/cop:1', 'created-on-push');
    await docker.cli(['tag', 'local/cop:1', `${registry}/dk/hello:v1`]);
    // when
    await docker.cli(['push', `${registry}/dk/hello:v1`]);
    // then
    const [repo] = (await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['dk/hello'] }))).repositories!;
    assert.equal(repo!.imageTagMutability, 'IMMUTABLE');
    // and without a template docker still gets "name unknown"
    await docker.cli(['tag', 'local/cop:1', `${registry}/nodk/hello:v1`]);
    const refused = await docker.attempt(['push', `${registry}/nodk/hello:v1`]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr + refused.stdout, /name unknown|does not exist/i);
  });
});

describe('templates and pull-time exclusions persist with SIMFRA_DATA_DIR', () => {
  it('are back after a restart on the same data dir', async () => {
    const dir = tempDir();
    try {
      // given
      const first = await startServer({ dataDir: dir.path });
      let ecr = ecrClient(first.url);
      await ecr.send(new CreateRepositoryCreationTemplateCommand({ prefix: 'kept', appliedFor: ['CREATE_ON_PUSH'], resourceTags: [{ Key: 'k', Value: 'v' }] }));
      await ecr.send(new RegisterPullTimeUpdateExclusionCommand({ principalArn: `arn:aws:iam::${ACCOUNT}:role/scanner` }));
      ecr.destroy();
      await first.close();
      // when
      const second = await startServer({ dataDir: dir.path });
      ecr = ecrClient(second.url);
      // then
      const templates = (await ecr.send(new DescribeRepositoryCreationTemplatesCommand({}))).repositoryCreationTemplates!;
      assert.deepEqual(templates.map((x) => [x.prefix, x.appliedFor, x.resourceTags]), [['kept', ['CREATE_ON_PUSH'], [{ Key: 'k', Value: 'v' }]]]);
      assert.deepEqual((await ecr.send(new ListPullTimeUpdateExclusionsCommand({}))).pullTimeUpdateExclusions, [`arn:aws:iam::${ACCOUNT}:role/scanner`]);
      ecr.destroy();
      await second.close();
    } finally {
      dir.remove();
    }
  });
});
