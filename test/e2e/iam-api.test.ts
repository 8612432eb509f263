import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DeleteUserCommand,
  DetachUserPolicyCommand,
  GetGroupCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListRolePoliciesCommand,
  ListUsersCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  SetDefaultPolicyVersionCommand,
  TagRoleCommand,
  UpdateAccessKeyCommand,
  UpdateAssumeRolePolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { CreateRepositoryCommand, DescribeRepositoriesCommand, SetRepositoryPolicyCommand } from '@aws-sdk/client-ecr';
import { awsCli, boto3, ecrClient } from '../support/clients.js';
import { doc, iamClient, makeUser, MANAGED, noIdentityAllow } from '../support/iam.js';
import { ACCOUNT, ROOT, startServer, tempDir, type TestServer } from '../support/server.js';

const TRUST_ACCOUNT = doc([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }]);
const ECR_DESCRIBE = doc([{ Effect: 'Allow', Action: 'ecr:DescribeRepositories', Resource: '*' }]);

async function rejects(p: Promise<unknown>, name: string, message?: string): Promise<void> {
  await assert.rejects(p, (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(e.name, name, e.message);
    if (message !== undefined) assert.equal(e.message, message);
    return true;
  });
}

/** A raw query-protocol call, signed for `service` (or not signed at all). */
async function queryCall(
  url: string,
  body: string,
  opts: { service?: string; credentials?: { accessKeyId: string; secretAccessKey: string } | null; method?: 'POST' | 'GET' } = {},
): Promise<{ status: number; text: string; headers: Headers }> {
  const u = new URL(url);
  const method = opts.method ?? 'POST';
  let headers: Record<string, string> = { host: u.host };
  if (method === 'POST') headers['content-type'] = 'application/x-www-form-urlencoded; charset=utf-8';
  const query = method === 'GET' ? Object.fromEntries(new URLSearchParams(body)) : {};
  if (opts.credentials !== null) {
    const signer = new SignatureV4({ credentials: opts.credentials ?? ROOT, region: 'us-east-1', service: opts.service ?? 'iam', sha256: Hash.bind(null, 'sha256') });
    const signed = await signer.sign({
      method,
      protocol: 'http:',
      hostname: u.hostname,
      port: Number(u.port),
      path: '/',
      query,
      headers,
      ...(method === 'POST' ? { body } : {}),
    });
    headers = signed.headers as Record<string, string>;
  }
  const { host: _host, ...send } = headers;
  const res = await fetch(method === 'GET' ? `${url}/?${body}` : url, { method, headers: send, ...(method === 'POST' ? { body } : {}) });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

describe('IAM API (query protocol)', () => {
  let server: TestServer;
  let iam: IAMClient;

  before(async () => {
    server = await startServer();
    iam = iamClient(server.url);
  });
  after(async () => {
    iam.destroy();
    await server.close();
  });

  it('answers XML in the model’s shape with a request id', async () => {
    const res = await queryCall(server.url, 'Action=CreateUser&Version=2010-05-08&UserName=xml-user&Path=%2Fteam%2F');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/xml');
    const requestId = res.headers.get('x-amzn-requestid');
    assert.match(
      res.text,
      new RegExp(
        '^<CreateUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><CreateUserResult><User><Path>/team/</Path>' +
          '<UserName>xml-user</UserName><UserId>AIDA[A-Z2-7]{17}</UserId><Arn>arn:aws:iam::000000000000:user/team/xml-user</Arn>' +
          '<CreateDate>\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ</CreateDate></User></CreateUserResult>' +
          `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></CreateUserResponse>$`,
      ),
    );
  });

  it('accepts GET query strings too', async () => {
    const res = await queryCall(server.url, 'Action=GetUser&Version=2010-05-08&UserName=xml-user', { method: 'GET' });
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /<UserName>xml-user<\/UserName>/);
  });

  it('words protocol errors as the query protocol does', async () => {
    const unsigned = await queryCall(server.url, 'Action=ListUsers&Version=2010-05-08', { credentials: null });
    assert.equal(unsigned.status, 403);
    assert.match(
      unsigned.text,
      /^<ErrorResponse xmlns="https:\/\/iam.amazonaws.com\/doc\/2010-05-08\/"><Error><Type>Sender<\/Type><Code>MissingAuthenticationToken<\/Code><Message>Request is missing Authentication Token<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
    );
    const unknownKey = await queryCall(server.url, 'Action=ListUsers&Version=2010-05-08', {
      credentials: { accessKeyId: 'AKIANOTAKNOWNKEY0000', secretAccessKey: 'x'.repeat(40) },
    });
    assert.equal(unknownKey.status, 403);
    assert.match(unknownKey.text, /<Code>InvalidClientTokenId<\/Code><Message>The security token included in the request is invalid.<\/Message>/);
    const badSecret = await queryCall(server.url, 'Action=ListUsers&Version=2010-05-08', {
      credentials: { accessKeyId: ROOT.accessKeyId, secretAccessKey: 'x'.repeat(40) },
    });
    assert.equal(badSecret.status, 403);
    assert.match(badSecret.text, /<Code>SignatureDoesNotMatch<\/Code>/);
    const unknownAction = await queryCall(server.url, 'Action=MakeCoffee&Version=2010-05-08');
    assert.equal(unknownAction.status, 400);
    assert.match(unknownAction.text, /<Code>InvalidAction<\/Code><Message>Could not find operation MakeCoffee for version 2010-05-08<\/Message>/);
    const invalid = await queryCall(server.url, 'Action=CreateUser&Version=2010-05-08&UserName=bad%20name');
    assert.equal(invalid.status, 400);
    assert.match(invalid.text, /<Code>ValidationError<\/Code><Message>1 validation error detected: Value at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: \[\\w\+=,\.@-\]\+<\/Message>/);
  });

  it('users: create, get, list with IsTruncated/Marker, duplicate and missing names in IAM’s words', async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) await iam.send(new CreateUserCommand({ UserName: name, Path: '/paged/' }));
    const first = await iam.send(new ListUsersCommand({ PathPrefix: '/paged/', MaxItems: 2 }));
    assert.deepEqual(first.Users?.map((u) => u.UserName), ['page-a', 'page-b']);
    assert.equal(first.IsTruncated, true);
    const second = await iam.send(new ListUsersCommand({ PathPrefix: '/paged/', MaxItems: 2, Marker: first.Marker }));
    assert.deepEqual(second.Users?.map((u) => u.UserName), ['page-c']);
    assert.equal(second.IsTruncated, false);
    assert.equal(second.Marker, undefined);
    // IAM names are unique regardless of case.
    await rejects(iam.send(new CreateUserCommand({ UserName: 'PAGE-A' })), 'EntityAlreadyExistsException', 'User with name PAGE-A already exists.');
    await rejects(iam.send(new GetUserCommand({ UserName: 'ghost' })), 'NoSuchEntityException', 'The user with name ghost cannot be found.');
    const got = await iam.send(new GetUserCommand({ UserName: 'Page-B' }));
    assert.equal(got.User?.Arn, 'arn:aws:iam::000000000000:user/paged/page-b');
  });

  it('access keys: at most two, status changes take effect, deletion, and DeleteUser conflicts', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'keyed' }));
    const k1 = (await iam.send(new CreateAccessKeyCommand({ UserName: 'keyed' }))).AccessKey!;
    const k2 = (await iam.send(new CreateAccessKeyCommand({ UserName: 'keyed' }))).AccessKey!;
    assert.match(k1.AccessKeyId!, /^AKIA[A-Z2-7]{16}$/);
    await rejects(iam.send(new CreateAccessKeyCommand({ UserName: 'keyed' })), 'LimitExceededException', 'Cannot exceed quota for AccessKeysPerUser: 2');
    const listed = await iam.send(new ListAccessKeysCommand({ UserName: 'keyed' }));
    assert.deepEqual(listed.AccessKeyMetadata?.map((k) => [k.AccessKeyId, k.Status]).sort(), [[k1.AccessKeyId, 'Active'], [k2.AccessKeyId, 'Active']].sort());
    // an inactive key stops working at once
    const asUser = iamClient(server.url, { accessKeyId: k1.AccessKeyId!, secretAccessKey: k1.SecretAccessKey! });
    await rejects(asUser.send(new GetUserCommand({})), 'AccessDenied');
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'keyed', AccessKeyId: k1.AccessKeyId!, Status: 'Inactive' }));
    await rejects(asUser.send(new GetUserCommand({})), 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    asUser.destroy();
    await rejects(iam.send(new DeleteUserCommand({ UserName: 'keyed' })), 'DeleteConflictException', 'Cannot delete entity, must delete access keys first.');
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'keyed', AccessKeyId: k1.AccessKeyId! }));
    await iam.send(new DeleteAccessKeyCommand({ UserName: 'keyed', AccessKeyId: k2.AccessKeyId! }));
    await rejects(
      iam.send(new DeleteAccessKeyCommand({ UserName: 'keyed', AccessKeyId: k2.AccessKeyId! })),
      'NoSuchEntityException',
      `The Access Key with id ${k2.AccessKeyId} cannot be found.`,
    );
    await iam.send(new DeleteUserCommand({ UserName: 'keyed' }));
  });

  it('roles: trust policies validated (principals must exist), URL-encoded documents, tags, boundary', async () => {
    await rejects(
      iam.send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: doc([{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:user/nobody' }, Action: 'sts:AssumeRole' }]) })),
      'MalformedPolicyDocumentException',
      'Invalid principal in policy: "AWS":"arn:aws:iam::000000000000:user/nobody"',
    );
    await rejects(
      iam.send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[' })),
      'MalformedPolicyDocumentException',
      'Syntax errors in policy.',
    );
    const created = await iam.send(new CreateRoleCommand({ RoleName: 'deployer', AssumeRolePolicyDocument: TRUST_ACCOUNT, Description: 'ci', Tags: [{ Key: 'team', Value: 'a' }] }));
    assert.equal(created.Role?.Arn, 'arn:aws:iam::000000000000:role/deployer');
    assert.match(created.Role!.RoleId!, /^AROA[A-Z2-7]{17}$/);
    const got = await iam.send(new GetRoleCommand({ RoleName: 'deployer' }));
    assert.equal(decodeURIComponent(got.Role!.AssumeRolePolicyDocument!), TRUST_ACCOUNT);
    assert.equal(got.Role?.MaxSessionDuration, 3600);
    assert.deepEqual(got.Role?.Tags, [{ Key: 'team', Value: 'a' }]);
    await iam.send(new TagRoleCommand({ RoleName: 'deployer', Tags: [{ Key: 'TEAM', Value: 'b' }] }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'describe', PolicyDocument: ECR_DESCRIBE }));
    assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: 'deployer' }))).PolicyNames, ['describe']);
    const inline = await iam.send(new GetRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'describe' }));
    assert.equal(decodeURIComponent(inline.PolicyDocument!), ECR_DESCRIBE);
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'deployer', PolicyArn: MANAGED.readOnly }));
    assert.deepEqual((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'deployer' }))).AttachedPolicies, [
      { PolicyName: 'AmazonEC2ContainerRegistryReadOnly', PolicyArn: MANAGED.readOnly },
    ]);
    await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: 'deployer', PermissionsBoundary: MANAGED.pullOnly }));
    assert.equal((await iam.send(new GetRoleCommand({ RoleName: 'deployer' }))).Role?.PermissionsBoundary?.PermissionsBoundaryArn, MANAGED.pullOnly);
    await rejects(iam.send(new DeleteRoleCommand({ RoleName: 'deployer' })), 'DeleteConflictException', 'Cannot delete entity, must delete policies first.');
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'deployer', PolicyDocument: TRUST_ACCOUNT }));
  });

  it('managed policies: AWS ones at their real ARNs; customer ones with versions', async () => {
    const aws = await iam.send(new GetPolicyCommand({ PolicyArn: MANAGED.readOnly }));
    assert.equal(aws.Policy?.PolicyName, 'AmazonEC2ContainerRegistryReadOnly');
    assert.equal(aws.Policy?.IsAttachable, true);
    const awsVersion = await iam.send(new GetPolicyVersionCommand({ PolicyArn: MANAGED.readOnly, VersionId: aws.Policy!.DefaultVersionId! }));
    assert.ok(JSON.parse(decodeURIComponent(awsVersion.PolicyVersion!.Document!)).Statement[0].Action.includes('ecr:BatchGetImage'));
    const listed = await iam.send(new ListPoliciesCommand({ Scope: 'AWS' }));
    for (const arn of Object.values(MANAGED)) assert.ok(listed.Policies?.some((p) => p.Arn === arn), arn);

    await rejects(
      iam.send(new CreatePolicyCommand({ PolicyName: 'bad', PolicyDocument: doc([{ Effect: 'Allow', Action: 'ecr:*' }]) })),
      'MalformedPolicyDocumentException',
      'Policy statement must contain resources.',
    );
    const created = await iam.send(new CreatePolicyCommand({ PolicyName: 'ecr-describe', Path: '/team/', PolicyDocument: ECR_DESCRIBE }));
    const arn = created.Policy!.Arn!;
    assert.equal(arn, 'arn:aws:iam::000000000000:policy/team/ecr-describe');
    await rejects(
      iam.send(new CreatePolicyCommand({ PolicyName: 'ecr-describe', PolicyDocument: ECR_DESCRIBE })),
      'EntityAlreadyExistsException',
      'A policy called ecr-describe already exists. Duplicate names are not allowed.',
    );
    const v2 = await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc([{ Effect: 'Allow', Action: 'ecr:*', Resource: '*' }]), SetAsDefault: true }));
    assert.equal(v2.PolicyVersion?.VersionId, 'v2');
    assert.equal(v2.PolicyVersion?.IsDefaultVersion, true);
    assert.deepEqual((await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions?.map((v) => [v.VersionId, v.IsDefaultVersion]), [
      ['v2', true],
      ['v1', false],
    ]);
    await rejects(iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' })), 'DeleteConflictException', 'Cannot delete the default version of a policy.');
    await iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
    assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.DefaultVersionId, 'v1');
    await iam.send(new CreateUserCommand({ UserName: 'attached' }));
    await iam.send(new AttachUserPolicyCommand({ UserName: 'attached', PolicyArn: arn }));
    assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.AttachmentCount, 1);
    assert.deepEqual((await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: arn }))).PolicyUsers?.map((u) => u.UserName), ['attached']);
    await rejects(iam.send(new DeletePolicyCommand({ PolicyArn: arn })), 'DeleteConflictException', 'Cannot delete a policy attached to entities.');
    await rejects(iam.send(new DeleteUserCommand({ UserName: 'attached' })), 'DeleteConflictException', 'Cannot delete entity, must detach all policies first.');
    await iam.send(new DetachUserPolicyCommand({ UserName: 'attached', PolicyArn: arn }));
    await rejects(iam.send(new DeletePolicyCommand({ PolicyArn: arn })), 'DeleteConflictException', /* has a v2 */ undefined);
    await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
    await rejects(iam.send(new GetPolicyCommand({ PolicyArn: arn })), 'NoSuchEntityException', `Policy ${arn} was not found.`);
    await rejects(
      iam.send(new AttachUserPolicyCommand({ UserName: 'attached', PolicyArn: arn })),
      'NoSuchEntityException',
      `Policy ${arn} does not exist or is not attachable.`,
    );
  });

  it('inline and group policies grant ECR permissions; changes apply to the next request', async () => {
    const user = await makeUser(server.url, 'grouped');
    const ecr = ecrClient(server.url, user);
    await rejects(ecr.send(new DescribeRepositoriesCommand({})), 'AccessDeniedException');
    await iam.send(new CreateGroupCommand({ GroupName: 'readers' }));
    await iam.send(new AttachGroupPolicyCommand({ GroupName: 'readers', PolicyArn: MANAGED.readOnly }));
    await iam.send(new AddUserToGroupCommand({ GroupName: 'readers', UserName: 'grouped' }));
    assert.deepEqual((await ecr.send(new DescribeRepositoriesCommand({}))).repositories, []);
    assert.deepEqual((await iam.send(new GetGroupCommand({ GroupName: 'readers' }))).Users?.map((u) => u.UserName), ['grouped']);
    await rejects(
      ecr.send(new CreateRepositoryCommand({ repositoryName: 'by-group' })),
      'AccessDeniedException',
      noIdentityAllow(user.arn, 'ecr:CreateRepository', 'arn:aws:ecr:us-east-1:000000000000:repository/by-group'),
    );
    await iam.send(new PutUserPolicyCommand({ UserName: 'grouped', PolicyName: 'create', PolicyDocument: doc([{ Effect: 'Allow', Action: 'ecr:CreateRepository', Resource: 'arn:aws:ecr:*:*:repository/${aws:username}-*' }]) }));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'grouped-app' }));
    await rejects(ecr.send(new CreateRepositoryCommand({ repositoryName: 'other-app' })), 'AccessDeniedException');
    const got = await iam.send(new GetUserPolicyCommand({ UserName: 'grouped', PolicyName: 'create' }));
    assert.match(decodeURIComponent(got.PolicyDocument!), /\$\{aws:username\}-\*/);
    assert.deepEqual((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'grouped' }))).AttachedPolicies, []);
    ecr.destroy();
  });

  it('IAM calls themselves are authorized: a user without IAM permissions gets AccessDenied (403)', async () => {
    const user = await makeUser(server.url, 'no-iam');
    const res = await queryCall(server.url, 'Action=CreateUser&Version=2010-05-08&UserName=sneaky', { credentials: user });
    assert.equal(res.status, 403);
    assert.match(
      res.text,
      new RegExp(
        `<Code>AccessDenied</Code><Message>${noIdentityAllow(user.arn, 'iam:CreateUser', 'arn:aws:iam::000000000000:user/sneaky').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}</Message>`,
      ),
    );
  });

  it('the AWS CLI and boto3 drive IAM end to end', async () => {
    const created = await awsCli(server.url, ['iam', 'create-user', '--user-name', 'cli-user', '--tags', 'Key=team,Value=x']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.json<{ User: { Arn: string } }>().User.Arn, 'arn:aws:iam::000000000000:user/cli-user');
    const put = await awsCli(server.url, ['iam', 'put-user-policy', '--user-name', 'cli-user', '--policy-name', 'p', '--policy-document', ECR_DESCRIBE]);
    assert.equal(put.code, 0, put.stderr);
    // botocore decodes the URL-encoded document back into JSON
    const got = await awsCli(server.url, ['iam', 'get-user-policy', '--user-name', 'cli-user', '--policy-name', 'p']);
    assert.deepEqual(got.json<{ PolicyDocument: unknown }>().PolicyDocument, JSON.parse(ECR_DESCRIBE));
    const missing = await awsCli(server.url, ['iam', 'get-role', '--role-name', 'ghost']);
    assert.equal(missing.stderr.trim(), 'An error occurred (NoSuchEntity) when calling the GetRole operation: The role with name ghost cannot be found.');
    const result = await boto3(
      server.url,
      'iam',
      `
client.create_role(RoleName="boto-role", AssumeRolePolicyDocument=${JSON.stringify(TRUST_ACCOUNT)})
client.attach_role_policy(RoleName="boto-role", PolicyArn="${MANAGED.readOnly}")
role = client.get_role(RoleName="boto-role")["Role"]
pages = [p["PolicyName"] for page in client.get_paginator("list_attached_role_policies").paginate(RoleName="boto-role") for p in page["AttachedPolicies"]]
try:
    client.delete_role(RoleName="boto-role")
    err = None
except ClientError as e:
    err = [e.response["Error"]["Code"], e.response["Error"]["Message"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
out({"trust": role["AssumeRolePolicyDocument"], "created": role["CreateDate"].isoformat(), "pages": pages, "err": err})`,
    );
    const r = result as { trust: unknown; created: string; pages: string[]; err: unknown[] };
    assert.deepEqual(r.trust, JSON.parse(TRUST_ACCOUNT));
    assert.match(r.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    assert.deepEqual(r.pages, ['AmazonEC2ContainerRegistryReadOnly']);
    assert.deepEqual(r.err, ['DeleteConflict', 'Cannot delete entity, must detach all policies first.', 409]);
  });
});

describe('IAM state persists with SIMFRA_DATA_DIR', () => {
  it('users, keys, attached policies, roles and repository policies survive a restart', async () => {
    const dir = tempDir();
    try {
      // given
      let server = await startServer({ dataDir: dir.path });
      const user = await makeUser(server.url, 'kept', { managed: [MANAGED.readOnly] });
      const ecr = ecrClient(server.url);
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'kept-repo' }));
      await ecr.send(new SetRepositoryPolicyCommand({ repositoryName: 'kept-repo', policyText: doc([{ Effect: 'Deny', Principal: { AWS: user.arn }, Action: 'ecr:DescribeRepositories' }]) }));
      ecr.destroy();
      let iam = iamClient(server.url);
      await iam.send(new CreateRoleCommand({ RoleName: 'kept-role', AssumeRolePolicyDocument: TRUST_ACCOUNT }));
      iam.destroy();
      await server.close();
      // when
      server = await startServer({ dataDir: dir.path });
      // then the key still signs, its policy still applies, the repository policy still denies
      const asUser = ecrClient(server.url, user);
      await asUser.send(new DescribeRepositoriesCommand({}));
      await rejects(asUser.send(new DescribeRepositoriesCommand({ repositoryNames: ['kept-repo'] })), 'AccessDeniedException');
      asUser.destroy();
      iam = iamClient(server.url);
      assert.equal((await iam.send(new GetRoleCommand({ RoleName: 'kept-role' }))).Role?.RoleName, 'kept-role');
      assert.equal((await iam.send(new GetUserCommand({ UserName: 'kept' }))).User?.Arn, user.arn);
      iam.destroy();
      await server.close();
    } finally {
      dir.remove();
    }
  });
});
