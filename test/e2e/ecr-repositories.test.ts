import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  ListTagsForResourceCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  TagResourceCommand,
  UntagResourceCommand,
  paginateDescribeRepositories,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { awsCli, boto3, ecrClient } from '../support/clients.js';
import { startServer, type TestServer } from '../support/server.js';

async function rejects(p: Promise<unknown>, name: string, message?: string): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.equal(e.name, name);
    if (message !== undefined) assert.equal(e.message, message);
    return true;
  });
}

describe('ECR repositories', () => {
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

  it('creates a repository with the fields AWS returns (CLI)', async () => {
    // when
    const res = await awsCli(server.url, ['ecr', 'create-repository', '--repository-name', 'my-app']);
    // then
    assert.equal(res.code, 0, res.stderr);
    const repo = res.json<{ repository: Record<string, unknown> }>().repository;
    assert.equal(repo.repositoryUri, `000000000000.dkr.ecr.us-east-1.localhost:${server.port}/my-app`);
    assert.equal(repo.repositoryArn, 'arn:aws:ecr:us-east-1:000000000000:repository/my-app');
    assert.equal(repo.registryId, '000000000000');
    assert.equal(repo.repositoryName, 'my-app');
    assert.equal(repo.imageTagMutability, 'MUTABLE');
    assert.deepEqual(repo.imageScanningConfiguration, { scanOnPush: false });
    assert.deepEqual(repo.encryptionConfiguration, { encryptionType: 'AES256' });
    assert.equal(typeof repo.createdAt, 'number');
  });

  it('refuses a duplicate name with AWS text', async () => {
    // given
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'dup' }));
    // then
    await rejects(
      ecr.send(new CreateRepositoryCommand({ repositoryName: 'dup' })),
      'RepositoryAlreadyExistsException',
      "The repository with name 'dup' already exists in the registry with id '000000000000'",
    );
  });

  it('creates with settings, tags and KMS', async () => {
    const res = await ecr.send(
      new CreateRepositoryCommand({
        repositoryName: 'team/svc',
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest*' }],
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: { encryptionType: 'KMS' },
        tags: [{ Key: 'team', Value: 'a' }],
      }),
    );
    const repo = res.repository!;
    assert.equal(repo.imageTagMutability, 'IMMUTABLE_WITH_EXCLUSION');
    assert.deepEqual(repo.imageTagMutabilityExclusionFilters, [{ filterType: 'WILDCARD', filter: 'latest*' }]);
    assert.equal(repo.imageScanningConfiguration?.scanOnPush, true);
    assert.equal(repo.encryptionConfiguration?.encryptionType, 'KMS');
    assert.match(repo.encryptionConfiguration?.kmsKey ?? '', /^arn:aws:kms:us-east-1:000000000000:key\/[0-9a-f-]{36}$/);
    assert.ok(repo.createdAt instanceof Date);
    const tags = await ecr.send(new ListTagsForResourceCommand({ resourceArn: repo.repositoryArn }));
    assert.deepEqual(tags.tags, [{ Key: 'team', Value: 'a' }]);
  });

  it('validates names and parameters like AWS', async () => {
    await rejects(
      ecr.send(new CreateRepositoryCommand({ repositoryName: 'Upper' })),
      'InvalidParameterException',
      "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''",
    );
    await rejects(
      ecr.send(new CreateRepositoryCommand({ repositoryName: 'a' })),
      'InvalidParameterException',
      "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must have length greater than or equal to 2'",
    );
    await rejects(
      ecr.send(new DescribeRepositoriesCommand({ maxResults: 1001 })),
      'InvalidParameterException',
      "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000'",
    );
    await rejects(
      ecr.send(new CreateRepositoryCommand({ repositoryName: 'x1', imageTagMutability: 'SOMETIMES' as 'MUTABLE' })),
      'InvalidParameterException',
      "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]'",
    );
    await rejects(
      ecr.send(new CreateRepositoryCommand({ repositoryName: 'x2', imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION' })),
      'InvalidParameterException',
    );
    await rejects(
      ecr.send(new CreateRepositoryCommand({ repositoryName: 'x3', tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) })),
      'TooManyTagsException',
    );
    // nothing was stored by the refused calls
    await rejects(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['x2'] })), 'RepositoryNotFoundException');
  });

  it('describes by name and reports a missing repository with AWS text', async () => {
    await rejects(
      ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['nope'] })),
      'RepositoryNotFoundException',
      "The repository with name 'nope' does not exist in the registry with id '000000000000'",
    );
  });

  it('paginates DescribeRepositories with maxResults and nextToken', async () => {
    // given 25 repositories
    for (let i = 0; i < 25; i++) await ecr.send(new CreateRepositoryCommand({ repositoryName: `page/r${String(i).padStart(2, '0')}` }));
    // when
    const first = await ecr.send(new DescribeRepositoriesCommand({ maxResults: 10 }));
    // then
    assert.equal(first.repositories?.length, 10);
    assert.ok(first.nextToken);
    const names: string[] = [];
    for await (const page of paginateDescribeRepositories({ client: ecr, pageSize: 7 }, {})) {
      assert.ok((page.repositories?.length ?? 0) <= 7);
      names.push(...(page.repositories ?? []).map((r) => r.repositoryName!));
    }
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.filter((n) => n.startsWith('page/')).length === 25);
    await rejects(ecr.send(new DescribeRepositoriesCommand({ nextToken: 'garbage' })), 'InvalidParameterException');
    await rejects(
      ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['page/r01'], maxResults: 5 })),
      'InvalidParameterException',
    );
  });

  it('pages through every repository with the CLI paginator and boto3', async () => {
    const cli = await awsCli(server.url, ['ecr', 'describe-repositories', '--page-size', '4']);
    assert.equal(cli.code, 0, cli.stderr);
    const all = cli.json<{ repositories: { repositoryName: string }[] }>().repositories;
    assert.ok(all.some((r) => r.repositoryName === 'page/r24'));
    const viaBoto = (await boto3(
      server.url,
      'ecr',
      `p = client.get_paginator('describe_repositories')
names = [r['repositoryName'] for page in p.paginate(PaginationConfig={'PageSize': 6}) for r in page['repositories']]
out(names)`,
    )) as string[];
    assert.equal(viaBoto.length, all.length);
  });

  it('deletes a repository', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'gone' }));
    const res = await ecr.send(new DeleteRepositoryCommand({ repositoryName: 'gone' }));
    assert.equal(res.repository?.repositoryName, 'gone');
    await rejects(
      ecr.send(new DeleteRepositoryCommand({ repositoryName: 'gone' })),
      'RepositoryNotFoundException',
      "The repository with name 'gone' does not exist in the registry with id '000000000000'",
    );
  });

  it('tags, untags and lists tags', async () => {
    const { repository } = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'tagged' }));
    const resourceArn = repository!.repositoryArn!;
    await ecr.send(new TagResourceCommand({ resourceArn, tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] }));
    await ecr.send(new TagResourceCommand({ resourceArn, tags: [{ Key: 'a', Value: '3' }] }));
    await ecr.send(new UntagResourceCommand({ resourceArn, tagKeys: ['b'] }));
    const { tags } = await ecr.send(new ListTagsForResourceCommand({ resourceArn }));
    assert.deepEqual(tags, [{ Key: 'a', Value: '3' }]);
    await rejects(
      ecr.send(new ListTagsForResourceCommand({ resourceArn: 'arn:aws:ecr:us-east-1:000000000000:repository/none' })),
      'RepositoryNotFoundException',
    );
    await rejects(ecr.send(new ListTagsForResourceCommand({ resourceArn: 'not-an-arn' })), 'InvalidParameterException');
    await rejects(
      ecr.send(new TagResourceCommand({ resourceArn, tags: Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) })),
      'TooManyTagsException',
    );
    const after = await ecr.send(new ListTagsForResourceCommand({ resourceArn }));
    assert.deepEqual(after.tags, [{ Key: 'a', Value: '3' }]);
  });

  it('sets tag mutability (all four values) and scanning configuration', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'mut' }));
    for (const imageTagMutability of ['IMMUTABLE', 'MUTABLE'] as const) {
      const res = await ecr.send(new PutImageTagMutabilityCommand({ repositoryName: 'mut', imageTagMutability }));
      assert.equal(res.imageTagMutability, imageTagMutability);
      assert.equal(res.registryId, '000000000000');
    }
    for (const imageTagMutability of ['IMMUTABLE_WITH_EXCLUSION', 'MUTABLE_WITH_EXCLUSION'] as const) {
      const filters = [{ filterType: 'WILDCARD' as const, filter: 'dev-*' }];
      const res = await ecr.send(
        new PutImageTagMutabilityCommand({ repositoryName: 'mut', imageTagMutability, imageTagMutabilityExclusionFilters: filters }),
      );
      assert.deepEqual(res.imageTagMutabilityExclusionFilters, filters);
    }
    const described = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['mut'] }));
    assert.equal(described.repositories?.[0]?.imageTagMutability, 'MUTABLE_WITH_EXCLUSION');
    await rejects(
      ecr.send(new PutImageTagMutabilityCommand({ repositoryName: 'mut', imageTagMutability: 'IMMUTABLE', imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'x' }] })),
      'InvalidParameterException',
    );
    await rejects(
      ecr.send(new PutImageTagMutabilityCommand({ repositoryName: 'nope', imageTagMutability: 'IMMUTABLE' })),
      'RepositoryNotFoundException',
    );
    const scan = await ecr.send(
      new PutImageScanningConfigurationCommand({ repositoryName: 'mut', imageScanningConfiguration: { scanOnPush: true } }),
    );
    assert.deepEqual(scan.imageScanningConfiguration, { scanOnPush: true });
    const cli = await awsCli(server.url, ['ecr', 'describe-repositories', '--repository-names', 'mut']);
    assert.deepEqual(cli.json<{ repositories: { imageScanningConfiguration: unknown }[] }>().repositories[0]?.imageScanningConfiguration, {
      scanOnPush: true,
    });
  });
});
