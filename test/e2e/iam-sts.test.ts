import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateRepositoryCommand, DescribeRepositoriesCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { GetUserCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ManualClock } from '../../src/clock.js';
import { awsCli, boto3, ecrClient } from '../support/clients.js';
import { assumeRole, doc, iamClient, makeAccount, makeRole, makeUser, MANAGED, noIdentityAllow, stsClient } from '../support/iam.js';
import { ACCOUNT, ROOT, startServer, type TestServer } from '../support/server.js';

const B = '444455556666';
const ASSUME_ANY = doc([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }]);

async function rejects(p: Promise<unknown>, name: string, message?: string): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.equal(e.name, name, e.message);
    if (message !== undefined) assert.equal(e.message, message);
    return true;
  });
}

describe('STS: GetCallerIdentity and AssumeRole', () => {
  let server: TestServer;
  // Clients sign with the real time and SigV4 allows 15 minutes of skew: starting the server's
  // clock 14 minutes back leaves room to move it past a 15-minute session's expiry.
  const clock = new ManualClock(new Date(Date.now() - 14 * 60_000));

  before(async () => {
    server = await startServer({}, { clock });
  });
  after(() => server.close());

  it('GetCallerIdentity names root, users and role sessions (SDK, CLI, boto3)', async () => {
    const sts = stsClient(server.url);
    assert.deepEqual(
      { ...(await sts.send(new GetCallerIdentityCommand({}))), $metadata: undefined },
      { UserId: ACCOUNT, Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:root`, $metadata: undefined },
    );
    sts.destroy();

    // A user, even one whose policies deny everything: GetCallerIdentity needs no permission.
    const user = await makeUser(server.url, 'whoami', { inline: { none: doc([{ Effect: 'Deny', Action: '*', Resource: '*' }]) } });
    const cli = await awsCli(server.url, ['sts', 'get-caller-identity'], user);
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual(cli.json(), { UserId: user.userId, Account: ACCOUNT, Arn: user.arn });

    const roleArn = await makeRole(server.url, 'viewer', `arn:aws:iam::${ACCOUNT}:root`);
    const caller = await makeUser(server.url, 'caller', { inline: { assume: ASSUME_ANY } });
    const session = await assumeRole(server.url, caller, roleArn, 'my-session');
    const seen = (await boto3(server.url, 'sts', 'out(client.get_caller_identity())', session)) as Record<string, unknown>;
    assert.equal(seen.Account, ACCOUNT);
    assert.equal(seen.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/viewer/my-session`);
    assert.match(String(seen.UserId), /^AROA[A-Z2-7]{17}:my-session$/);
  });

  it('AssumeRole issues ASIA credentials with a session token and an expiration; they carry the role’s permissions', async () => {
    const roleArn = await makeRole(server.url, 'pusher', `arn:aws:iam::${ACCOUNT}:root`, { managed: [MANAGED.full] });
    const caller = await makeUser(server.url, 'ci', { inline: { assume: ASSUME_ANY } });
    const sts = stsClient(server.url, caller);
    const issuedAt = Math.floor(clock.now().getTime() / 1000) * 1000;
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'build-42', DurationSeconds: 900 }));
    sts.destroy();
    assert.match(out.Credentials!.AccessKeyId!, /^ASIA[A-Z2-7]{16}$/);
    assert.ok(out.Credentials!.SessionToken!.length > 100);
    assert.equal(out.Credentials!.Expiration!.getTime(), issuedAt + 900_000);
    assert.equal(out.AssumedRoleUser?.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/pusher/build-42`);
    const ecr = ecrClient(server.url, {
      accessKeyId: out.Credentials!.AccessKeyId!,
      secretAccessKey: out.Credentials!.SecretAccessKey!,
      sessionToken: out.Credentials!.SessionToken!,
    });
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'from-session' }));
    // the caller itself has no ECR permissions
    const direct = ecrClient(server.url, caller);
    await rejects(
      direct.send(new CreateRepositoryCommand({ repositoryName: 'direct' })),
      'AccessDeniedException',
      noIdentityAllow(caller.arn, 'ecr:CreateRepository', `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/direct`),
    );
    direct.destroy();
    ecr.destroy();
  });

  it('expired temporary credentials answer ExpiredToken (query) and ExpiredTokenException (JSON)', async () => {
    const roleArn = await makeRole(server.url, 'short', `arn:aws:iam::${ACCOUNT}:root`, { managed: [MANAGED.readOnly] });
    const caller = await makeUser(server.url, 'short-caller', { inline: { assume: ASSUME_ANY } });
    const session = await assumeRole(server.url, caller, roleArn, 'short-s', { DurationSeconds: 900 });
    const ecr = ecrClient(server.url, session);
    await ecr.send(new DescribeRepositoriesCommand({}));
    clock.advance(15 * 60_000 + 1000);
    await rejects(ecr.send(new DescribeRepositoriesCommand({})), 'ExpiredTokenException', 'The security token included in the request is expired');
    ecr.destroy();
    const sts = stsClient(server.url, session);
    await rejects(sts.send(new GetCallerIdentityCommand({})), 'ExpiredToken', 'The security token included in the request is expired');
    sts.destroy();
    const cli = await awsCli(server.url, ['sts', 'get-caller-identity'], session);
    assert.equal(cli.stderr.trim(), 'An error occurred (ExpiredToken) when calling the GetCallerIdentity operation: The security token included in the request is expired');
  });

  it('the trust policy decides, including sts:ExternalId; the denial is STS’s text', async () => {
    const roleArn = await makeRole(server.url, 'vendor', `arn:aws:iam::${ACCOUNT}:root`, {
      managed: [MANAGED.readOnly],
      condition: { StringEquals: { 'sts:ExternalId': 'ext-7f3a' } },
    });
    const caller = await makeUser(server.url, 'vendor-user', { inline: { assume: ASSUME_ANY } });
    const sts = stsClient(server.url, caller);
    const denied = `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`;
    await rejects(sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'xx' })), 'AccessDenied', denied);
    await rejects(sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'xx', ExternalId: 'wrong' })), 'AccessDenied', denied);
    const ok = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'xx', ExternalId: 'ext-7f3a' }));
    assert.ok(ok.Credentials?.AccessKeyId);
    // A role that does not exist is refused the same way.
    const ghost = `arn:aws:iam::${ACCOUNT}:role/ghost`;
    await rejects(
      sts.send(new AssumeRoleCommand({ RoleArn: ghost, RoleSessionName: 'xx' })),
      'AccessDenied',
      `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${ghost}`,
    );
    sts.destroy();
    // The CLI with --external-id
    const cli = await awsCli(server.url, ['sts', 'assume-role', '--role-arn', roleArn, '--role-session-name', 'cli', '--external-id', 'ext-7f3a'], caller);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.json<{ Credentials: { Expiration: string } }>().Credentials.Expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('same account: a trust policy naming the account delegates to the caller’s policies; naming the user suffices', async () => {
    const plain = await makeUser(server.url, 'no-assume');
    const byAccount = await makeRole(server.url, 'by-account', `arn:aws:iam::${ACCOUNT}:root`);
    const byUser = await makeRole(server.url, 'by-user', plain.arn);
    const sts = stsClient(server.url, plain);
    await rejects(
      sts.send(new AssumeRoleCommand({ RoleArn: byAccount, RoleSessionName: 'xx' })),
      'AccessDenied',
      `User: ${plain.arn} is not authorized to perform: sts:AssumeRole on resource: ${byAccount}`,
    );
    const ok = await sts.send(new AssumeRoleCommand({ RoleArn: byUser, RoleSessionName: 'xx' }));
    assert.equal(ok.AssumedRoleUser?.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/by-user/xx`);
    sts.destroy();
  });

  it('session policies narrow the role’s permissions; durations are checked against the role', async () => {
    const roleArn = await makeRole(server.url, 'wide', `arn:aws:iam::${ACCOUNT}:root`, { managed: [MANAGED.full] });
    const caller = await makeUser(server.url, 'narrower', { inline: { assume: ASSUME_ANY } });
    const sessionPolicy = doc([{ Effect: 'Allow', Action: 'ecr:DescribeRepositories', Resource: '*' }]);
    const narrow = await assumeRole(server.url, caller, roleArn, 'narrow', { Policy: sessionPolicy });
    const ecr = ecrClient(server.url, narrow);
    await ecr.send(new DescribeRepositoriesCommand({}));
    await rejects(
      ecr.send(new GetAuthorizationTokenCommand({})),
      'AccessDeniedException',
      `User: ${narrow.arn} is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no session policy allows the ecr:GetAuthorizationToken action`,
    );
    ecr.destroy();
    const sts = stsClient(server.url, caller);
    await rejects(
      sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'long', DurationSeconds: 7200 })),
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
    await rejects(
      sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'bad', Policy: '{"Statement":[' })),
      'MalformedPolicyDocumentException',
      'Syntax errors in policy.',
    );
    sts.destroy();
    const root = stsClient(server.url, ROOT);
    await rejects(root.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'root' })), 'AccessDenied', 'Roles may not be assumed by root accounts.');
    root.destroy();
  });

  it('cross-account: a user of B assumes a role of A that trusts B; B’s own policies must allow it too', async () => {
    const bRoot = await makeAccount(server.url, B);
    const roleArn = await makeRole(server.url, 'cross', B, { managed: [MANAGED.readOnly] });
    const withoutPolicy = await makeUser(server.url, 'b-plain', { admin: bRoot });
    const sts = stsClient(server.url, withoutPolicy);
    await rejects(
      sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'xx' })),
      'AccessDenied',
      `User: ${withoutPolicy.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    );
    sts.destroy();
    const allowed = await makeUser(server.url, 'b-allowed', { admin: bRoot, inline: { assume: ASSUME_ANY } });
    const session = await assumeRole(server.url, allowed, roleArn, 'b-session');
    assert.equal(session.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/cross/b-session`);
    const ecr = ecrClient(server.url, session);
    const token = await ecr.send(new GetAuthorizationTokenCommand({}));
    assert.match(token.authorizationData![0]!.proxyEndpoint!, new RegExp(`^http://${ACCOUNT}\\.dkr\\.ecr\\.us-east-1\\.`));
    ecr.destroy();
    // The session is a principal of A: IAM in A sees it as A's.
    const iam = iamClient(server.url, session);
    await rejects(iam.send(new GetUserCommand({ UserName: 'x' })), 'AccessDenied');
    iam.destroy();
  });
});
