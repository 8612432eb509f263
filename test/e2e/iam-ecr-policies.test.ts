import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateRepositoryCommand,
  DeleteRegistryPolicyCommand,
  DeleteRepositoryCommand,
  DeleteRepositoryPolicyCommand,
  DescribeRepositoriesCommand,
  GetRegistryPolicyCommand,
  GetRepositoryPolicyCommand,
  PutAccountSettingCommand,
  PutRegistryPolicyCommand,
  SetRepositoryPolicyCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { awsCli, boto3, ecrClient, type Credentials } from '../support/clients.js';
import { doc, explicitDeny, makeAccount, makeUser, MANAGED, noResourceAllow } from '../support/iam.js';
import { ACCOUNT, startServer, type TestServer } from '../support/server.js';

const B = '210987654321';
const repoArn = (name: string) => `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/${name}`;
const INVALID_REPOSITORY_POLICY = "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'";
const INVALID_REGISTRY_POLICY = "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid registry policy provided'";

const pullByB = doc([
  { Sid: 'PullByB', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:DescribeRepositories'] },
]);

async function rejects(p: Promise<unknown>, name: string, message?: string): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.equal(e.name, name, e.message);
    if (message !== undefined) assert.equal(e.message, message);
    return true;
  });
}

describe('ECR repository policies', () => {
  let server: TestServer;
  let ecr: ECRClient;
  let bUser: Credentials & { arn: string };

  before(async () => {
    server = await startServer();
    ecr = ecrClient(server.url);
    const bRoot = await makeAccount(server.url, B);
    bUser = await makeUser(server.url, 'puller', { admin: bRoot, managed: [MANAGED.full] });
  });
  after(async () => {
    ecr.destroy();
    await server.close();
  });

  it('sets, gets and deletes a policy; the answers carry registry, repository and text', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'shared' }));
    const set = await ecr.send(new SetRepositoryPolicyCommand({ repositoryName: 'shared', policyText: pullByB }));
    assert.deepEqual({ ...set, $metadata: undefined }, { registryId: ACCOUNT, repositoryName: 'shared', policyText: pullByB, $metadata: undefined });
    const got = await ecr.send(new GetRepositoryPolicyCommand({ repositoryName: 'shared' }));
    assert.equal(got.policyText, pullByB);
    const deleted = await ecr.send(new DeleteRepositoryPolicyCommand({ repositoryName: 'shared' }));
    assert.equal(deleted.policyText, pullByB);
    await rejects(
      ecr.send(new GetRepositoryPolicyCommand({ repositoryName: 'shared' })),
      'RepositoryPolicyNotFoundException',
      `Repository policy does not exist for the repository with name 'shared' in the registry with id '${ACCOUNT}'`,
    );
    await rejects(ecr.send(new DeleteRepositoryPolicyCommand({ repositoryName: 'shared' })), 'RepositoryPolicyNotFoundException');
    await rejects(
      ecr.send(new SetRepositoryPolicyCommand({ repositoryName: 'missing', policyText: pullByB })),
      'RepositoryNotFoundException',
      `The repository with name 'missing' does not exist in the registry with id '${ACCOUNT}'`,
    );
  });

  it('validates as ECR does: JSON, no Resource element, ECR actions only, principals that exist', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'strict' }));
    const bad = [
      '{"Version":"2012-10-17","Statement":[',
      doc([{ Effect: 'Allow', Principal: '*', Action: 'ecr:BatchGetImage', Resource: '*' }]),
      doc([{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject' }]),
      doc([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:*` }, Action: 'ecr:BatchGetImage' }]),
      doc([{ Effect: 'Allow', Action: 'ecr:BatchGetImage' }]),
    ];
    for (const policyText of bad) {
      await rejects(ecr.send(new SetRepositoryPolicyCommand({ repositoryName: 'strict', policyText })), 'InvalidParameterException', INVALID_REPOSITORY_POLICY);
    }
    // A user or role of an account simfra holds must exist, as ECR resolves principals.
    await rejects(
      ecr.send(
        new SetRepositoryPolicyCommand({
          repositoryName: 'strict',
          policyText: doc([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/nobody` }, Action: 'ecr:BatchGetImage' }]),
        }),
      ),
      'InvalidParameterException',
      "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Principal not found'",
    );
    // Any well-formed account (held here or not), principals of accounts simfra does not hold, and
    // statements sharing a Sid are accepted, as ECR accepts them.
    const accepted = doc([
      { Sid: 'Same', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'ecr:BatchGetImage' },
      { Sid: 'Same', Effect: 'Allow', Principal: { AWS: ['999999999999', 'arn:aws:iam::222222222222:role/ci'] }, Action: 'ecr:BatchGetImage' },
    ]);
    const stored = await ecr.send(new SetRepositoryPolicyCommand({ repositoryName: 'strict', policyText: accepted }));
    assert.equal(stored.policyText, accepted);
    const registry = await ecr.send(
      new PutRegistryPolicyCommand({
        policyText: doc([
          { Sid: 'R', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: ['ecr:ReplicateImage', 'ecr:CreateRepository'], Resource: '*' },
          { Sid: 'R', Effect: 'Allow', Principal: { AWS: '333333333333' }, Action: ['ecr:CreateRepository'], Resource: '*' },
        ]),
      }),
    );
    assert.equal(registry.registryId, ACCOUNT);
    await ecr.send(new DeleteRegistryPolicyCommand({}));
    // Version 2008-10-17 and service principals are fine.
    await ecr.send(
      new SetRepositoryPolicyCommand({
        repositoryName: 'strict',
        policyText: JSON.stringify({ Version: '2008-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: ['ecr:BatchGetImage'] }] }),
      }),
    );
  });

  it('refuses a policy that would lock the caller out unless forced', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'locked' }));
    const lockOut = doc([{ Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'ecr:SetRepositoryPolicy' }]);
    await rejects(
      ecr.send(new SetRepositoryPolicyCommand({ repositoryName: 'locked', policyText: lockOut })),
      'InvalidParameterException',
      "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'The repository policy would prevent the caller from setting another policy in the future; set force to override'",
    );
    await ecr.send(new SetRepositoryPolicyCommand({ repositoryName: 'locked', policyText: lockOut, force: true }));
    // Even root is now refused by the explicit deny in the resource policy…
    await rejects(
      ecr.send(new SetRepositoryPolicyCommand({ repositoryName: 'locked', policyText: pullByB })),
      'AccessDeniedException',
      explicitDeny(`arn:aws:iam::${ACCOUNT}:root`, 'ecr:SetRepositoryPolicy', repoArn('locked'), 'a resource-based policy'),
    );
    // …but may still delete it.
    await ecr.send(new DeleteRepositoryPolicyCommand({ repositoryName: 'locked' }));
    await ecr.send(new SetRepositoryPolicyCommand({ repositoryName: 'locked', policyText: pullByB }));
  });

  it('a repository policy is deleted with its repository', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'ephemeral' }));
    await ecr.send(new SetRepositoryPolicyCommand({ repositoryName: 'ephemeral', policyText: pullByB }));
    await ecr.send(new DeleteRepositoryCommand({ repositoryName: 'ephemeral' }));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'ephemeral' }));
    await rejects(ecr.send(new GetRepositoryPolicyCommand({ repositoryName: 'ephemeral' })), 'RepositoryPolicyNotFoundException');
    // …and with it the access it granted.
    const b = ecrClient(server.url, bUser);
    await rejects(
      b.send(new DescribeRepositoriesCommand({ registryId: ACCOUNT, repositoryNames: ['ephemeral'] })),
      'AccessDeniedException',
      noResourceAllow(bUser.arn, 'ecr:DescribeRepositories', repoArn('ephemeral')),
    );
    b.destroy();
  });

  it('cross-account access follows the policy: granted actions pass, others are refused', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'partner' }));
    const b = ecrClient(server.url, bUser);
    await rejects(b.send(new DescribeRepositoriesCommand({ registryId: ACCOUNT, repositoryNames: ['partner'] })), 'AccessDeniedException');
    await ecr.send(new SetRepositoryPolicyCommand({ repositoryName: 'partner', policyText: pullByB }));
    const seen = await b.send(new DescribeRepositoriesCommand({ registryId: ACCOUNT, repositoryNames: ['partner'] }));
    assert.equal(seen.repositories?.[0]?.repositoryArn, repoArn('partner'));
    await rejects(
      b.send(new DeleteRepositoryCommand({ registryId: ACCOUNT, repositoryName: 'partner' })),
      'AccessDeniedException',
      noResourceAllow(bUser.arn, 'ecr:DeleteRepository', repoArn('partner')),
    );
    // An explicit deny in the repository policy beats the account's own user with FullAccess.
    const local = await makeUser(server.url, 'local-full', { managed: [MANAGED.full] });
    await ecr.send(
      new SetRepositoryPolicyCommand({
        repositoryName: 'partner',
        policyText: doc([
          { Sid: 'PullByB', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: 'ecr:DescribeRepositories' },
          { Sid: 'NoLocalFull', Effect: 'Deny', Principal: { AWS: local.arn }, Action: 'ecr:DescribeRepositories' },
        ]),
      }),
    );
    const l = ecrClient(server.url, local);
    await rejects(
      l.send(new DescribeRepositoriesCommand({ repositoryNames: ['partner'] })),
      'AccessDeniedException',
      explicitDeny(local.arn, 'ecr:DescribeRepositories', repoArn('partner'), 'a resource-based policy'),
    );
    l.destroy();
    b.destroy();
  });

  it('the CLI and boto3 see the same policy calls', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'tools' }));
    const set = await awsCli(server.url, ['ecr', 'set-repository-policy', '--repository-name', 'tools', '--policy-text', pullByB]);
    assert.equal(set.code, 0, set.stderr);
    const got = await awsCli(server.url, ['ecr', 'get-repository-policy', '--repository-name', 'tools']);
    assert.deepEqual(got.json(), { registryId: ACCOUNT, repositoryName: 'tools', policyText: pullByB });
    const missing = await awsCli(server.url, ['ecr', 'get-repository-policy', '--repository-name', 'strict-none']);
    assert.equal(
      missing.stderr.trim(),
      `An error occurred (RepositoryNotFoundException) when calling the GetRepositoryPolicy operation: The repository with name 'strict-none' does not exist in the registry with id '${ACCOUNT}'`,
    );
    const result = await boto3(
      server.url,
      'ecr',
      `
client.delete_repository_policy(repositoryName="tools")
try:
    client.get_repository_policy(repositoryName="tools")
except ClientError as e:
    out([e.response["Error"]["Code"], e.response["Error"]["Message"]])`,
    );
    assert.deepEqual(result, [
      'RepositoryPolicyNotFoundException',
      `Repository policy does not exist for the repository with name 'tools' in the registry with id '${ACCOUNT}'`,
    ]);
  });
});

describe('ECR registry policies', () => {
  let server: TestServer;
  let ecr: ECRClient;
  let bRoot: Credentials;

  before(async () => {
    server = await startServer();
    ecr = ecrClient(server.url);
    bRoot = await makeAccount(server.url, B);
  });
  after(async () => {
    ecr.destroy();
    await server.close();
  });

  it('put, get and delete; RegistryPolicyNotFoundException in ECR’s words', async () => {
    await rejects(
      ecr.send(new GetRegistryPolicyCommand({})),
      'RegistryPolicyNotFoundException',
      `Registry policy does not exist in the registry with id '${ACCOUNT}'`,
    );
    const policy = doc([
      { Sid: 'Replicate', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'], Resource: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/*` },
    ]);
    const put = await ecr.send(new PutRegistryPolicyCommand({ policyText: policy }));
    assert.deepEqual({ ...put, $metadata: undefined }, { registryId: ACCOUNT, policyText: policy, $metadata: undefined });
    assert.equal((await ecr.send(new GetRegistryPolicyCommand({}))).policyText, policy);
    assert.equal((await ecr.send(new DeleteRegistryPolicyCommand({}))).policyText, policy);
    await rejects(ecr.send(new DeleteRegistryPolicyCommand({})), 'RegistryPolicyNotFoundException');
  });

  it('V2 scope (the default): grants any ECR action on every repository of the registry', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'everyone' }));
    const b = ecrClient(server.url, bRoot);
    await rejects(b.send(new CreateRepositoryCommand({ registryId: ACCOUNT, repositoryName: 'from-b' })), 'AccessDeniedException');
    await ecr.send(
      new PutRegistryPolicyCommand({
        policyText: doc([
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${B}:root` },
            Action: ['ecr:CreateRepository', 'ecr:DescribeRepositories'],
            Resource: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/*`,
          },
        ]),
      }),
    );
    await b.send(new CreateRepositoryCommand({ registryId: ACCOUNT, repositoryName: 'from-b' }));
    const seen = await b.send(new DescribeRepositoriesCommand({ registryId: ACCOUNT, repositoryNames: ['everyone', 'from-b'] }));
    assert.deepEqual(seen.repositories?.map((r) => r.registryId), [ACCOUNT, ACCOUNT]);
    b.destroy();
    await ecr.send(new DeleteRegistryPolicyCommand({}));
  });

  it('V1 scope: only replication and repository creation may be granted', async () => {
    await ecr.send(new PutAccountSettingCommand({ name: 'REGISTRY_POLICY_SCOPE', value: 'V1' }));
    await rejects(
      ecr.send(
        new PutRegistryPolicyCommand({
          policyText: doc([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: ['ecr:BatchGetImage'], Resource: '*' }]),
        }),
      ),
      'InvalidParameterException',
      INVALID_REGISTRY_POLICY,
    );
    await ecr.send(
      new PutRegistryPolicyCommand({
        policyText: doc([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: ['ecr:ReplicateImage', 'ecr:CreateRepository'], Resource: '*' }]),
      }),
    );
    await ecr.send(new PutAccountSettingCommand({ name: 'REGISTRY_POLICY_SCOPE', value: 'V2' }));
  });
});
