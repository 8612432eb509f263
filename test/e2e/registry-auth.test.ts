import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { ManualClock } from '../../src/clock.js';
import { ecrClient, type Credentials } from '../support/clients.js';
import { MANAGED, makeUser } from '../support/iam.js';
import { basic, httpRequest, loginPassword, Registry } from '../support/registry.js';
import { startServer, type TestServer } from '../support/server.js';
import { adminFetch } from '../support/admin.js';

const OTHER = '111122223333';
const host = (account: string, port: number) => `${account}.dkr.ecr.us-east-1.localhost:${port}`;

describe('registry authentication and addressing', () => {
  let server: TestServer;
  let clock: ManualClock;
  let password: string;
  let other: Credentials;
  let otherPassword: string;

  before(async () => {
    clock = new ManualClock();
    server = await startServer({}, { clock });
    password = await loginPassword(server.url);
    other = (await (
      await adminFetch(server.url, '/accounts', { method: 'POST', body: JSON.stringify({ accountId: OTHER }) })
    ).json()) as Credentials;
    otherPassword = await loginPassword(server.url, other);
    const ecr = ecrClient(server.url);
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'app' }));
    ecr.destroy();
    const ecrOther = ecrClient(server.url, other);
    await ecrOther.send(new CreateRepositoryCommand({ repositoryName: 'theirs' }));
    ecrOther.destroy();
  });
  after(() => server.close());

  it('challenges an unauthenticated GET /v2/ with ECR Basic realm and the API version header', async () => {
    // when
    const res = await httpRequest(server.port, 'GET', '/v2/', { host: host('000000000000', server.port) });
    // then
    assert.equal(res.status, 401);
    assert.equal(res.headers['www-authenticate'], `Basic realm="http://${host('000000000000', server.port)}/",service="ecr.amazonaws.com"`);
    assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0');
    assert.deepEqual(res.json(), { errors: [{ code: 'UNAUTHORIZED', message: 'Not Authorized' }] });
  });

  it('answers 200 to a valid token, on the account host and on plain localhost', async () => {
    for (const h of [host('000000000000', server.port), `localhost:${server.port}`]) {
      const res = await httpRequest(server.port, 'GET', '/v2/', { host: h, auth: basic(password) });
      assert.equal(res.status, 200, h);
      assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0');
    }
  });

  it('refuses malformed and forged tokens and other users with 401', async () => {
    const decoded = JSON.parse(Buffer.from(password, 'base64').toString('utf8')) as { payload: string };
    const payload = JSON.parse(Buffer.from(decoded.payload, 'base64url').toString('utf8')) as { p: { accountId: string } };
    payload.p.accountId = OTHER;
    const forged = Buffer.from(
      JSON.stringify({ ...decoded, payload: Buffer.from(JSON.stringify(payload)).toString('base64url') }),
    ).toString('base64');
    const cases: [string, string][] = [
      ['malformed', basic('not-a-token')],
      ['forged', basic(forged)],
      ['wrong user', basic(password, 'admin')],
      ['bearer', `Bearer ${password}`],
    ];
    for (const [what, auth] of cases) {
      const res = await httpRequest(server.port, 'GET', '/v2/app/tags/list', { auth });
      assert.equal(res.status, 401, what);
      assert.equal(res.json<{ errors: { code: string }[] }>().errors[0]?.code, 'UNAUTHORIZED', what);
      assert.ok(res.headers['www-authenticate'], what);
    }
  });

  it('refuses an expired token with ECR DENIED text', async () => {
    // given a token issued now
    const fresh = await loginPassword(server.url);
    // when 12 hours and a second pass
    clock.advance(12 * 3600_000 + 1000);
    try {
      const res = await httpRequest(server.port, 'GET', '/v2/', { auth: basic(fresh) });
      // then
      assert.equal(res.status, 403);
      assert.deepEqual(res.json(), {
        errors: [{ code: 'DENIED', message: 'Your authorization token has expired. Reauthenticate and try again.' }],
      });
      assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0');
    } finally {
      clock.advance(-(12 * 3600_000 + 1000));
    }
  });

  it('sends a token of another account through the authorizer (cross-account is denied without a policy)', async () => {
    const reg = new Registry(server.port, otherPassword, host('000000000000', server.port));
    const res = await reg.request('GET', '/v2/app/manifests/latest');
    assert.equal(res.status, 403);
    const err = res.json<{ errors: { code: string; message: string }[] }>().errors[0]!;
    assert.equal(err.code, 'DENIED');
    assert.match(
      err.message,
      /^User: arn:aws:iam::111122223333:root is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:000000000000:repository\/app/,
    );
    // the same token works on its own registry's host
    const own = new Registry(server.port, otherPassword, host(OTHER, server.port));
    assert.equal((await own.request('GET', '/v2/theirs/tags/list')).status, 200);
    // plain localhost is the default account: theirs is not there, and app is not theirs
    assert.equal((await own.request('GET', '/v2/app/tags/list', { host: `localhost:${server.port}` })).status, 403);
  });

  it('asks IAM for each route\'s ECR action: a read-only user pulls and lists, but cannot push or delete', async () => {
    // given a user with AmazonEC2ContainerRegistryReadOnly and an image pushed by root
    const root = new Registry(server.port, password);
    const digest = await root.pushBlob('app', 'read-only layer');
    const reader = await makeUser(server.url, 'reader', { managed: [MANAGED.readOnly] });
    const reg = new Registry(server.port, await loginPassword(server.url, reader));
    // then
    assert.equal((await reg.request('GET', `/v2/app/blobs/${digest}`)).status, 200);
    assert.equal((await reg.request('HEAD', `/v2/app/blobs/${digest}`)).status, 200);
    assert.equal((await reg.request('GET', '/v2/app/tags/list')).status, 200);
    assert.equal((await reg.request('GET', '/v2/app/manifests/latest')).status, 404, 'allowed to look, nothing there');
    const push = await reg.request('POST', '/v2/app/blobs/uploads/');
    assert.equal(push.status, 403);
    assert.match(
      push.json<{ errors: { message: string }[] }>().errors[0]!.message,
      new RegExp(`^User: ${reader.arn} is not authorized to perform: ecr:InitiateLayerUpload on resource: arn:aws:ecr:us-east-1:000000000000:repository/app`),
    );
    assert.equal((await reg.request('PUT', '/v2/app/manifests/v1', { body: '{}' })).status, 403);
    assert.equal((await reg.request('DELETE', `/v2/app/manifests/${digest}`)).status, 403);
  });

  it('answers unknown paths with 404 text, wrong methods with UNSUPPORTED, bad names with NAME_INVALID', async () => {
    const reg = new Registry(server.port, password);
    const notFound = await reg.request('GET', '/v2/app/whatever');
    assert.equal(notFound.status, 404);
    assert.equal(notFound.text, '404 page not found\n');
    assert.equal(notFound.headers['docker-distribution-api-version'], 'registry/2.0');
    const wrongMethod = await reg.request('PATCH', '/v2/app/manifests/latest');
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.json<{ errors: { code: string }[] }>().errors[0]?.code, 'UNSUPPORTED');
    const badName = await reg.request('GET', '/v2/App/tags/list');
    assert.equal(badName.status, 400);
    assert.equal(badName.json<{ errors: { code: string }[] }>().errors[0]?.code, 'NAME_INVALID');
  });

  it('answers NAME_UNKNOWN with ECR text for a repository that does not exist', async () => {
    const res = await new Registry(server.port, password).request('GET', '/v2/nope/tags/list');
    assert.equal(res.status, 404);
    assert.deepEqual(res.json(), {
      errors: [{ code: 'NAME_UNKNOWN', message: "The repository with name 'nope' does not exist in the registry with id '000000000000'" }],
    });
  });
});
