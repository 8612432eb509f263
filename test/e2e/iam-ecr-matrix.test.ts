import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  GetAuthorizationTokenCommand,
  GetRepositoryPolicyCommand,
  SetRepositoryPolicyCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { awsCli, boto3, ecrClient, type Credentials } from '../support/clients.js';
import {
  assumeRole,
  doc,
  explicitDeny,
  makeAccount,
  makeRole,
  makeUser,
  MANAGED,
  noIdentityAllow,
  noResourceAllow,
} from '../support/iam.js';
import { ACCOUNT, ROOT, startServer, type TestServer } from '../support/server.js';

/**
 * Issue 5, item 6: principals × ECR operations, each asserting allow or deny with AWS's exact
 * denial text. Account A (000000000000) owns the repositories; account B (111122223333) holds the
 * cross-account callers.
 */
const B = '111122223333';
const repoArn = (name: string, account = ACCOUNT) => `arn:aws:ecr:us-east-1:${account}:repository/${name}`;

/** The repository policy of `policy-target`: account B may read it. */
const READ_BY_B = doc([
  { Sid: 'ReadByB', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: ['ecr:DescribeRepositories', 'ecr:GetRepositoryPolicy', 'ecr:BatchGetImage'] },
]);

type Expect = 'allow' | { deny: 'identity' | 'resource' | 'explicit'; where?: string };
type Op = 'CreateRepository' | 'DescribeRepositories' | 'GetAuthorizationToken' | 'GetRepositoryPolicy' | 'SetRepositoryPolicy' | 'DeleteRepository';

interface Caller {
  label: string;
  credentials: Credentials;
  arn: string;
  /** The registry the caller addresses (its own, or account A for cross-account callers). */
  registryId?: string;
  expect: Record<Op, Expect>;
}

const ALL_ALLOWED: Record<Op, Expect> = {
  CreateRepository: 'allow',
  DescribeRepositories: 'allow',
  GetAuthorizationToken: 'allow',
  GetRepositoryPolicy: 'allow',
  SetRepositoryPolicy: 'allow',
  DeleteRepository: 'allow',
};
const ID: Expect = { deny: 'identity' };
const RES: Expect = { deny: 'resource' };
const READ_ONLY: Record<Op, Expect> = {
  CreateRepository: ID,
  DescribeRepositories: 'allow',
  GetAuthorizationToken: 'allow',
  GetRepositoryPolicy: 'allow',
  SetRepositoryPolicy: ID,
  DeleteRepository: ID,
};

function resourceOf(op: Op, caller: Caller): string {
  const account = caller.registryId ?? ACCOUNT;
  switch (op) {
    case 'CreateRepository':
      return repoArn(`new-${caller.label}`, account);
    case 'DescribeRepositories':
      return repoArn('fixture', account);
    case 'GetAuthorizationToken':
      return '*';
    case 'GetRepositoryPolicy':
    case 'SetRepositoryPolicy':
      return repoArn('policy-target', account);
    case 'DeleteRepository':
      return repoArn(`del-${caller.label}`, account);
  }
}

function send(ecr: ECRClient, op: Op, caller: Caller): Promise<unknown> {
  const registryId = caller.registryId;
  const r = registryId ? { registryId } : {};
  switch (op) {
    case 'CreateRepository':
      return ecr.send(new CreateRepositoryCommand({ repositoryName: `new-${caller.label}`, ...r }));
    case 'DescribeRepositories':
      return ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['fixture'], ...r }));
    case 'GetAuthorizationToken':
      return ecr.send(new GetAuthorizationTokenCommand({}));
    case 'GetRepositoryPolicy':
      return ecr.send(new GetRepositoryPolicyCommand({ repositoryName: 'policy-target', ...r }));
    case 'SetRepositoryPolicy':
      return ecr.send(new SetRepositoryPolicyCommand({ repositoryName: 'policy-target', policyText: READ_BY_B, ...r }));
    case 'DeleteRepository':
      return ecr.send(new DeleteRepositoryCommand({ repositoryName: `del-${caller.label}`, ...r }));
  }
}

function deniedText(op: Op, caller: Caller, e: Exclude<Expect, 'allow'>): string {
  const action = `ecr:${op}`;
  const resource = resourceOf(op, caller);
  if (e.deny === 'identity') return noIdentityAllow(caller.arn, action, resource);
  if (e.deny === 'resource') return noResourceAllow(caller.arn, action, resource);
  return explicitDeny(caller.arn, action, resource, e.where ?? 'an identity-based policy');
}

describe('IAM enforcement on ECR API operations: the principal × operation matrix (SDK)', () => {
  let server: TestServer;
  const callers: Caller[] = [];

  before(async () => {
    server = await startServer();
    const url = server.url;
    const root = ecrClient(url);
    await root.send(new CreateRepositoryCommand({ repositoryName: 'fixture' }));
    await root.send(new CreateRepositoryCommand({ repositoryName: 'policy-target' }));
    const bRoot = await makeAccount(url, B);
    await root.send(new SetRepositoryPolicyCommand({ repositoryName: 'policy-target', policyText: READ_BY_B }));

    const deny = doc([{ Effect: 'Deny', Action: ['ecr:DeleteRepository', 'ecr:SetRepositoryPolicy'], Resource: '*' }]);
    const user = async (label: string, opts: Parameters<typeof makeUser>[2], expect: Record<Op, Expect>, registryId?: string) => {
      const u = await makeUser(url, `u-${label}`, opts);
      callers.push({ label, credentials: u, arn: u.arn, expect, ...(registryId ? { registryId } : {}) });
    };
    callers.push({ label: 'root', credentials: ROOT, arn: `arn:aws:iam::${ACCOUNT}:root`, expect: ALL_ALLOWED });
    await user('none', {}, { CreateRepository: ID, DescribeRepositories: ID, GetAuthorizationToken: ID, GetRepositoryPolicy: ID, SetRepositoryPolicy: ID, DeleteRepository: ID });
    await user('full', { managed: [MANAGED.full] }, ALL_ALLOWED);
    await user('admin', { managed: [MANAGED.admin] }, ALL_ALLOWED);
    await user('power', { managed: [MANAGED.powerUser] }, READ_ONLY);
    await user('readonly', { managed: [MANAGED.readOnly] }, READ_ONLY);
    await user('pullonly', { managed: [MANAGED.pullOnly] }, {
      CreateRepository: ID,
      DescribeRepositories: ID,
      GetAuthorizationToken: 'allow',
      GetRepositoryPolicy: ID,
      SetRepositoryPolicy: ID,
      DeleteRepository: ID,
    });
    await user('denied', { managed: [MANAGED.full], inline: { 'no-delete': deny } }, {
      ...ALL_ALLOWED,
      SetRepositoryPolicy: { deny: 'explicit' },
      DeleteRepository: { deny: 'explicit' },
    });

    // A role of account A with ReadOnly, assumed by a user of A.
    const readerRole = await makeRole(url, 'ecr-reader', `arn:aws:iam::${ACCOUNT}:root`, { managed: [MANAGED.readOnly] });
    const assumer = await makeUser(url, 'assumer', { inline: { assume: doc([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: readerRole }]) } });
    const reader = await assumeRole(url, assumer, readerRole, 'reading');
    callers.push({ label: 'role-same', credentials: reader, arn: reader.arn, expect: READ_ONLY });

    // A role of account A with FullAccess, trusting account B, assumed by a user of B.
    const adminRole = await makeRole(url, 'ecr-admin', B, { managed: [MANAGED.full] });
    const bAssumer = await makeUser(url, 'b-assumer', {
      admin: bRoot,
      inline: { assume: doc([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: adminRole }]) },
    });
    const crossRole = await assumeRole(url, bAssumer, adminRole, 'from-b');
    callers.push({ label: 'role-cross', credentials: crossRole, arn: crossRole.arn, expect: ALL_ALLOWED });

    // Users of account B acting on account A's registry: the repository policy decides.
    const bFull = await makeUser(url, 'b-full', { admin: bRoot, managed: [MANAGED.full] });
    callers.push({
      label: 'cross-user',
      credentials: bFull,
      arn: bFull.arn,
      registryId: ACCOUNT,
      expect: {
        CreateRepository: RES,
        DescribeRepositories: RES,
        GetAuthorizationToken: 'allow',
        GetRepositoryPolicy: 'allow',
        SetRepositoryPolicy: RES,
        DeleteRepository: RES,
      },
    });
    const bNone = await makeUser(url, 'b-none', { admin: bRoot });
    callers.push({
      label: 'cross-none',
      credentials: bNone,
      arn: bNone.arn,
      registryId: ACCOUNT,
      expect: { CreateRepository: ID, DescribeRepositories: ID, GetAuthorizationToken: ID, GetRepositoryPolicy: ID, SetRepositoryPolicy: ID, DeleteRepository: ID },
    });

    for (const c of callers) await root.send(new CreateRepositoryCommand({ repositoryName: `del-${c.label}` }));
    root.destroy();
  });
  after(() => server.close());

  const ops: Op[] = ['CreateRepository', 'DescribeRepositories', 'GetAuthorizationToken', 'GetRepositoryPolicy', 'SetRepositoryPolicy', 'DeleteRepository'];
  for (const op of ops) {
    it(`${op}: allowed or denied with AWS's text for every principal`, async () => {
      for (const caller of callers) {
        const ecr = ecrClient(server.url, caller.credentials);
        try {
          const expected = caller.expect[op];
          if (expected === 'allow') {
            await assert.doesNotReject(send(ecr, op, caller), `${caller.label} should be allowed ${op}`);
          } else {
            await assert.rejects(send(ecr, op, caller), (e: Error) => {
              assert.equal(e.name, 'AccessDeniedException', `${caller.label} ${op}: ${e.message}`);
              assert.equal(e.message, deniedText(op, caller, expected), `${caller.label} ${op}`);
              return true;
            });
          }
        } finally {
          ecr.destroy();
        }
      }
    });
  }
});

describe('IAM enforcement seen through the AWS CLI and boto3', () => {
  let server: TestServer;
  let none: Credentials & { arn: string };
  let readOnly: Credentials & { arn: string };
  let denied: Credentials & { arn: string };

  before(async () => {
    server = await startServer();
    const root = ecrClient(server.url);
    await root.send(new CreateRepositoryCommand({ repositoryName: 'app' }));
    root.destroy();
    none = await makeUser(server.url, 'none');
    readOnly = await makeUser(server.url, 'reader', { managed: [MANAGED.readOnly] });
    denied = await makeUser(server.url, 'denied', {
      managed: [MANAGED.full],
      inline: { 'no-token': doc([{ Effect: 'Deny', Action: 'ecr:GetAuthorizationToken', Resource: '*' }]) },
    });
  });
  after(() => server.close());

  it('CLI: a user without policies cannot log in; the CLI prints AWS’s message', async () => {
    const res = await awsCli(server.url, ['ecr', 'get-login-password'], none);
    assert.notEqual(res.code, 0);
    assert.equal(
      res.stderr.trim(),
      `An error occurred (AccessDeniedException) when calling the GetAuthorizationToken operation: ${noIdentityAllow(none.arn, 'ecr:GetAuthorizationToken', '*')}`,
    );
  });

  it('CLI: ReadOnly describes but cannot create', async () => {
    const ok = await awsCli(server.url, ['ecr', 'describe-repositories'], readOnly);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(ok.json<{ repositories: { repositoryName: string }[] }>().repositories.map((r) => r.repositoryName), ['app']);
    const created = await awsCli(server.url, ['ecr', 'create-repository', '--repository-name', 'nope'], readOnly);
    assert.equal(
      created.stderr.trim(),
      `An error occurred (AccessDeniedException) when calling the CreateRepository operation: ${noIdentityAllow(readOnly.arn, 'ecr:CreateRepository', repoArn('nope'))}`,
    );
  });

  it('CLI: an explicit Deny wins over FullAccess', async () => {
    const res = await awsCli(server.url, ['ecr', 'get-authorization-token'], denied);
    assert.equal(
      res.stderr.trim(),
      `An error occurred (AccessDeniedException) when calling the GetAuthorizationToken operation: ${explicitDeny(denied.arn, 'ecr:GetAuthorizationToken', '*', 'an identity-based policy')}`,
    );
    const allowed = await awsCli(server.url, ['ecr', 'describe-repositories', '--repository-names', 'app'], denied);
    assert.equal(allowed.code, 0, allowed.stderr);
  });

  it('boto3: the same decisions with the error code and message botocore parses', async () => {
    const script = (op: string, args: string) => `
try:
    client.${op}(${args})
    out({"ok": True})
except ClientError as e:
    out({"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]})`;
    assert.deepEqual(await boto3(server.url, 'ecr', script('describe_repositories', ''), readOnly), { ok: true });
    assert.deepEqual(await boto3(server.url, 'ecr', script('delete_repository', 'repositoryName="app"'), readOnly), {
      code: 'AccessDeniedException',
      message: noIdentityAllow(readOnly.arn, 'ecr:DeleteRepository', repoArn('app')),
      status: 400,
    });
    assert.deepEqual(await boto3(server.url, 'ecr', script('get_authorization_token', ''), none), {
      code: 'AccessDeniedException',
      message: noIdentityAllow(none.arn, 'ecr:GetAuthorizationToken', '*'),
      status: 400,
    });
  });
});
