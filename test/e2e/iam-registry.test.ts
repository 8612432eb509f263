import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateRepositoryCommand, SetRepositoryPolicyCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { ecrClient, type Credentials } from '../support/clients.js';
import { doc, explicitDeny, makeAccount, makeUser, MANAGED, noIdentityAllow, noResourceAllow } from '../support/iam.js';
import { buildImage, type BuiltImage } from '../support/oci-image.js';
import { loginPassword, Registry, sha256 } from '../support/registry.js';
import { hasTool, run } from '../support/tools.js';
import { ACCOUNT, startServer, type TestServer } from '../support/server.js';

const B = '777788889999';
const repoArn = (name: string) => `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/${name}`;

/** The registry's error body for a denial: docker prints it as `denied: <message>`. */
function assertDenied(res: { status: number; json<T>(): T }, message: string): void {
  assert.equal(res.status, 403);
  assert.deepEqual(res.json<{ errors: { code: string; message: string }[] }>().errors.map((e) => [e.code, e.message]), [['DENIED', message]]);
}

/**
 * Issue 5: registry requests are authorized for the principal inside the token, with ECR's
 * actions (pull = BatchGetImage + GetDownloadUrlForLayer, push = InitiateLayerUpload,
 * UploadLayerPart, CompleteLayerUpload, BatchCheckLayerAvailability, PutImage) and the
 * repository policy for other accounts.
 */
describe('IAM enforcement on registry requests', () => {
  let server: TestServer;
  let root: ECRClient;
  let image: BuiltImage;
  let other: BuiltImage;
  let bRoot: Credentials;
  const registryFor = async (credentials: Credentials, host?: string) => new Registry(server.port, await loginPassword(server.url, credentials), host);

  before(async () => {
    server = await startServer();
    root = ecrClient(server.url);
    for (const name of ['app', 'shared', 'guarded']) await root.send(new CreateRepositoryCommand({ repositoryName: name }));
    image = await buildImage({ layers: 2, layerSize: 64 * 1024, seed: 501 });
    other = await buildImage({ layers: 1, layerSize: 32 * 1024, seed: 502 });
    const reg = new Registry(server.port, await loginPassword(server.url));
    for (const name of ['app', 'shared', 'guarded']) await reg.pushImage(name, 'v1', image);
    bRoot = await makeAccount(server.url, B);
  });
  after(async () => {
    root.destroy();
    await server.close();
  });

  it('PullOnly pulls (manifest and blobs) but cannot push: DENIED with IAM’s text', async () => {
    const user = await makeUser(server.url, 'puller', { managed: [MANAGED.pullOnly] });
    const reg = await registryFor(user);
    const manifest = await reg.request('GET', '/v2/app/manifests/v1', { headers: { accept: image.mediaType } });
    assert.equal(manifest.status, 200);
    assert.equal(manifest.headers['docker-content-digest'], image.digest);
    const layer = sha256(image.layers[0]!);
    const blob = await reg.request('GET', `/v2/app/blobs/${layer}`);
    assert.equal(blob.status, 200);
    assertDenied(
      await reg.request('POST', '/v2/app/blobs/uploads/'),
      noIdentityAllow(user.arn, 'ecr:InitiateLayerUpload', repoArn('app')),
    );
    assertDenied(
      await reg.pushManifest('app', 'v2', image.manifest, image.mediaType),
      noIdentityAllow(user.arn, 'ecr:PutImage', repoArn('app')),
    );
    // HEAD on a blob is BatchCheckLayerAvailability, which PullOnly lacks.
    const head = await reg.request('HEAD', `/v2/app/blobs/${layer}`);
    assert.equal(head.status, 403);
  });

  it('a user whose only permission is the login gets a token but is DENIED the pull', async () => {
    const user = await makeUser(server.url, 'login-only', { inline: { login: doc([{ Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' }]) } });
    const reg = await registryFor(user);
    assert.equal((await reg.request('GET', '/v2/')).status, 200);
    assertDenied(await reg.request('GET', '/v2/app/manifests/v1'), noIdentityAllow(user.arn, 'ecr:BatchGetImage', repoArn('app')));
  });

  it('PowerUser pushes a new image through the whole upload flow', async () => {
    const user = await makeUser(server.url, 'pusher', { managed: [MANAGED.powerUser] });
    const reg = await registryFor(user);
    const digest = await reg.pushImage('app', 'v2', other);
    assert.equal(digest, other.digest);
    assert.equal((await reg.request('GET', '/v2/app/manifests/v2', { headers: { accept: other.mediaType } })).status, 200);
  });

  it('an explicit deny in the repository policy stops a user with FullAccess', async () => {
    const user = await makeUser(server.url, 'guarded-user', { managed: [MANAGED.full] });
    await root.send(
      new SetRepositoryPolicyCommand({
        repositoryName: 'guarded',
        policyText: doc([{ Sid: 'NoPull', Effect: 'Deny', Principal: { AWS: user.arn }, Action: 'ecr:BatchGetImage' }]),
      }),
    );
    const reg = await registryFor(user);
    assertDenied(
      await reg.request('GET', '/v2/guarded/manifests/v1'),
      explicitDeny(user.arn, 'ecr:BatchGetImage', repoArn('guarded'), 'a resource-based policy'),
    );
    assert.equal((await reg.request('GET', '/v2/app/manifests/v1')).status, 200);
  });

  it('cross-account: a user of B pulls from A’s registry host only once the repository policy allows it', async () => {
    const user = await makeUser(server.url, 'b-puller', { admin: bRoot, managed: [MANAGED.readOnly] });
    const reg = await registryFor(user, `${ACCOUNT}.dkr.ecr.us-east-1.localhost:${server.port}`);
    assertDenied(await reg.request('GET', '/v2/shared/manifests/v1'), noResourceAllow(user.arn, 'ecr:BatchGetImage', repoArn('shared')));
    await root.send(
      new SetRepositoryPolicyCommand({
        repositoryName: 'shared',
        policyText: doc([
          { Sid: 'PullByB', Effect: 'Allow', Principal: { AWS: B }, Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'] },
        ]),
      }),
    );
    const res = await reg.request('GET', '/v2/shared/manifests/v1', { headers: { accept: image.mediaType } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['docker-content-digest'], image.digest);
    // Across accounts both sides must allow: ReadOnly (identity) has no push actions.
    assertDenied(await reg.request('POST', '/v2/shared/blobs/uploads/'), noIdentityAllow(user.arn, 'ecr:InitiateLayerUpload', repoArn('shared')));
    // And a B user with FullAccess is still refused the push by the repository policy (resource side).
    const pusher = await makeUser(server.url, 'b-pusher', { admin: bRoot, managed: [MANAGED.full] });
    const pushReg = await registryFor(pusher, `${ACCOUNT}.dkr.ecr.us-east-1.localhost:${server.port}`);
    assertDenied(await pushReg.request('POST', '/v2/shared/blobs/uploads/'), noResourceAllow(pusher.arn, 'ecr:InitiateLayerUpload', repoArn('shared')));
  });

  it('skopeo: inspect succeeds with a ReadOnly token and fails with a login-only one', async (t) => {
    if (!(await hasTool('skopeo'))) {
      t.skip('skopeo not installed');
      return;
    }
    const reader = await makeUser(server.url, 'sk-reader', { managed: [MANAGED.readOnly] });
    const loginOnly = await makeUser(server.url, 'sk-login', { inline: { login: doc([{ Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' }]) } });
    const ref = `docker://127.0.0.1:${server.port}/app:v1`;
    const inspect = async (credentials: Credentials) =>
      run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', `AWS:${await loginPassword(server.url, credentials)}`, ref]);
    const ok = await inspect(reader);
    assert.equal(ok.stdout, image.manifest.toString());
    await assert.rejects(inspect(loginOnly), (e: Error & { stderr?: string }) => {
      assert.match(String(e.stderr), /denied: User: arn:aws:iam::000000000000:user\/sk-login is not authorized to perform: ecr:BatchGetImage/);
      return true;
    });
  });
});
