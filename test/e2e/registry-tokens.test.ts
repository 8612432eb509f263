/**
 * Registry tokens are bound to who they were issued to and where (issue 8, item 3): the
 * principal's unique identity (a user's AIDA id, an account's creation) and the region, as ECR's
 * are. A namesake created later does not inherit an old token; another region's token is refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateRepositoryCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { DeleteAccessKeyCommand, DeleteRoleCommand, DeleteUserCommand, DetachRolePolicyCommand, DetachUserPolicyCommand } from '@aws-sdk/client-iam';
import { adminFetch } from '../support/admin.js';
import { ecrClient, type Credentials } from '../support/clients.js';
import { assumeRole, doc, iamClient, makeAccount, makeRole, makeUser, MANAGED } from '../support/iam.js';
import { basic, httpRequest, loginPassword } from '../support/registry.js';
import { ACCOUNT, startServer, type TestServer } from '../support/server.js';
import { hasTool, run } from '../support/tools.js';

async function createRepository(url: string, name: string, credentials?: Credentials): Promise<void> {
  const ecr = ecrClient(url, credentials);
  try {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
  } finally {
    ecr.destroy();
  }
}

async function deleteUser(url: string, userName: string, accessKeyId: string): Promise<void> {
  const iam = iamClient(url);
  try {
    await iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId }));
    await iam.send(new DetachUserPolicyCommand({ UserName: userName, PolicyArn: MANAGED.readOnly }));
    await iam.send(new DeleteUserCommand({ UserName: userName }));
  } finally {
    iam.destroy();
  }
}

describe('registry tokens are bound to the principal’s identity and the region', () => {
  let server: TestServer;
  const registryHost = (account: string, region: string) => `${account}.dkr.ecr.${region}.localhost:${server.port}`;
  const tagsList = (account: string, region: string, repo: string, password: string) =>
    httpRequest(server.port, 'GET', `/v2/${repo}/tags/list`, { host: registryHost(account, region), auth: basic(password) });

  before(async () => {
    server = await startServer();
    await createRepository(server.url, 'app');
  });
  after(() => server.close());

  it('refuses the token of a deleted user to a new user of the same name', async () => {
    // given: u's token works, then u is deleted and a new u with the same policies is created
    const u = await makeUser(server.url, 'u', { managed: [MANAGED.readOnly] });
    const password = await loginPassword(server.url, u);
    assert.equal((await tagsList(ACCOUNT, 'us-east-1', 'app', password)).status, 200);
    await deleteUser(server.url, 'u', u.accessKeyId);
    const again = await makeUser(server.url, 'u', { managed: [MANAGED.readOnly] });
    assert.notEqual(again.userId, u.userId);
    // when
    const res = await tagsList(ACCOUNT, 'us-east-1', 'app', password);
    // then
    assert.equal(res.status, 401);
    assert.deepEqual(res.json(), { errors: [{ code: 'UNAUTHORIZED', message: 'Not Authorized' }] });
    assert.equal((await tagsList(ACCOUNT, 'us-east-1', 'app', await loginPassword(server.url, again))).status, 200);
  });

  it('refuses a role session’s token once the role is deleted and created again', async () => {
    // given: a session of role r and its token, then r is deleted and re-created as it was
    const assumer = await makeUser(server.url, 'assumer', { inline: { assume: doc([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }]) } });
    const roleArn = await makeRole(server.url, 'r', ACCOUNT, { managed: [MANAGED.readOnly] });
    const session = await assumeRole(server.url, assumer, roleArn, 'pull');
    const password = await loginPassword(server.url, session);
    assert.equal((await tagsList(ACCOUNT, 'us-east-1', 'app', password)).status, 200);
    const iam = iamClient(server.url);
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'r', PolicyArn: MANAGED.readOnly }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'r' }));
    iam.destroy();
    await makeRole(server.url, 'r', ACCOUNT, { managed: [MANAGED.readOnly] });
    // when
    const res = await tagsList(ACCOUNT, 'us-east-1', 'app', password);
    // then
    assert.equal(res.status, 401);
  });

  it('refuses a deleted account’s root token on an account re-created with the same id', async () => {
    // given
    const first = await makeAccount(server.url, '222233334444');
    await createRepository(server.url, 'theirs', first);
    const password = await loginPassword(server.url, first);
    assert.equal((await tagsList('222233334444', 'us-east-1', 'theirs', password)).status, 200);
    assert.equal((await adminFetch(server.url, '/accounts/222233334444', { method: 'DELETE' })).status, 204);
    const second = await makeAccount(server.url, '222233334444');
    await createRepository(server.url, 'theirs', second);
    // when
    const res = await tagsList('222233334444', 'us-east-1', 'theirs', password);
    // then
    assert.equal(res.status, 401);
    assert.equal((await tagsList('222233334444', 'us-east-1', 'theirs', await loginPassword(server.url, second))).status, 200);
  });

  it('refuses a token issued in another region with 400, as ECR does, and accepts it in its own', async () => {
    // given: a token from GetAuthorizationToken in eu-west-1
    const ecr = ecrClient(server.url, undefined, 'eu-west-1');
    const out = await ecr.send(new GetAuthorizationTokenCommand({}));
    ecr.destroy();
    const password = Buffer.from(out.authorizationData![0]!.authorizationToken!, 'base64').toString('utf8').slice('AWS:'.length);
    // when
    const east = await httpRequest(server.port, 'GET', '/v2/', { host: registryHost(ACCOUNT, 'us-east-1'), auth: basic(password) });
    const plain = await httpRequest(server.port, 'GET', '/v2/', { host: `localhost:${server.port}`, auth: basic(password) });
    const west = await httpRequest(server.port, 'GET', '/v2/', { host: registryHost(ACCOUNT, 'eu-west-1'), auth: basic(password) });
    // then
    assert.equal(east.status, 400);
    assert.deepEqual(east.json(), {
      errors: [{ code: 'TOKEN_REGION', message: 'Your authorization token was issued for another region. Get one in the region of this registry and try again.' }],
    });
    assert.equal(plain.status, 400, 'plain localhost serves the default region, us-east-1');
    assert.equal(west.status, 200);
  });

  it('skopeo: a re-created user’s namesake cannot use the old login', async (t) => {
    if (!(await hasTool('skopeo'))) return t.skip('skopeo not installed (apt-get install -y skopeo)');
    // given
    const v = await makeUser(server.url, 'v', { managed: [MANAGED.readOnly] });
    const password = await loginPassword(server.url, v);
    const listTags = () => run('skopeo', ['list-tags', '--tls-verify=false', '--creds', `AWS:${password}`, `docker://127.0.0.1:${server.port}/app`]);
    assert.deepEqual(JSON.parse((await listTags()).stdout).Tags, []);
    await deleteUser(server.url, 'v', v.accessKeyId);
    await makeUser(server.url, 'v', { managed: [MANAGED.readOnly] });
    // when / then
    await assert.rejects(listTags(), (e: Error & { stderr?: string }) => {
      assert.match(String(e.stderr), /unauthorized|401/i);
      return true;
    });
  });
});
