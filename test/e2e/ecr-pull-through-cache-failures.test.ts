/**
 * Pull-through cache failures (issue 14): an upstream whose blob does not match its digest, and
 * one that cuts a blob short, leave no image behind (the pull answers 404) and break nothing (the
 * next pull, from a healthy upstream, imports the image whole); ECR-to-ECR from another account
 * through a customRoleArn, refused until the upstream repository's policy lets the role read.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  CreatePullThroughCacheRuleCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  SetRepositoryPolicyCommand,
  ValidatePullThroughCacheRuleCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { adminFetch } from '../support/admin.js';
import { ecrClient, type Credentials } from '../support/clients.js';
import { doc, iamClient } from '../support/iam.js';
import { buildImage, type BuiltImage } from '../support/oci-image.js';
import { loginPassword, Registry } from '../support/registry.js';
import { ACCOUNT, startServer, type TestServer } from '../support/server.js';

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('pull-through cache: a misbehaving upstream leaves no image behind', () => {
  let fake: Server;
  let mode: 'lie' | 'cut' | 'good' = 'lie';
  let server: TestServer;
  let ecr: ECRClient;
  let reg: Registry;
  let image: BuiltImage;

  before(async () => {
    image = await buildImage({ layers: 1, layerSize: 300_000, seed: 171 });
    const layer = image.layers[0]!;
    fake = createServer((req, res) => {
      const path = req.url ?? '';
      if (path === '/v2/') return void res.writeHead(200).end('{}');
      if (path === '/v2/org/app/manifests/v1') return void res.writeHead(200, { 'content-type': image.mediaType }).end(image.manifest);
      if (path === `/v2/org/app/blobs/${digestOf(image.config)}`) return void res.writeHead(200).end(image.config);
      if (path === `/v2/org/app/blobs/${digestOf(layer)}`) {
        if (mode === 'good') return void res.writeHead(200, { 'content-length': layer.length }).end(layer);
        if (mode === 'lie') return void res.writeHead(200, { 'content-length': layer.length }).end(Buffer.alloc(layer.length, 7));
        res.writeHead(200, { 'content-length': layer.length });
        res.write(layer.subarray(0, 100_000));
        return void setTimeout(() => res.destroy(), 20);
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    server = await startServer({ ecrUpstreams: { QUAY: `http://127.0.0.1:${(fake.address() as AddressInfo).port}` } });
    ecr = ecrClient(server.url);
    reg = new Registry(server.port, await loginPassword(server.url));
    await ecr.send(new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'quay', upstreamRegistryUrl: 'quay.io' }));
  });
  after(async () => {
    ecr.destroy();
    await server.close();
    fake.close();
  });

  it('breaks the blob answer for a blob that is not its digest or is cut short, stores no image; then imports it whole', async () => {
    const layerPath = `/v2/quay/org/app/blobs/${digestOf(image.layers[0]!)}`;
    for (const m of ['lie', 'cut'] as const) {
      // given
      mode = m;
      // when: the manifest is answered at once, the layer streams from the upstream
      const manifest = await reg.request('GET', '/v2/quay/org/app/manifests/v1');
      const blob = await reg.request('GET', layerPath).then(
        (r) => r,
        (e: Error) => e,
      );
      // then: the client never gets the layer whole, and no image is stored
      assert.equal(manifest.status, 200, manifest.text);
      assert.ok(blob instanceof Error || blob.status !== 200 || !blob.body.equals(image.layers[0]!), `${m}: a broken layer was answered whole`);
      await settled();
      const none = await ecr.send(new DescribeImagesCommand({ repositoryName: 'quay/org/app' }));
      assert.deepEqual(none.imageDetails, [], m);
    }
    // when: the upstream is healthy again
    mode = 'good';
    const good = await reg.request('GET', '/v2/quay/org/app/manifests/v1');
    const blob = await reg.request('GET', layerPath);
    // then
    assert.equal(good.status, 200, good.text);
    assert.equal(good.headers['docker-content-digest'], image.digest);
    assert.deepEqual(blob.body, image.layers[0]);
  });
});

/**
 * A failed import lets go of its manifest once its background half has given up: that half
 * gives the client 1 s to ask for the blobs itself (CLIENT_GRACE_MS), then fetches the rest.
 */
const settled = () => new Promise((r) => setTimeout(r, 1_500));

describe('pull-through cache: ECR to ECR from another account with a customRoleArn', () => {
  const OTHER = '111122223333';
  let server: TestServer;
  let ecr: ECRClient;
  let other: Credentials;
  let image: BuiltImage;
  const roleArn = `arn:aws:iam::${ACCOUNT}:role/ecr-ptc`;

  before(async () => {
    server = await startServer();
    ecr = ecrClient(server.url);
    const res = await adminFetch(server.url, '/accounts', { body: JSON.stringify({ accountId: OTHER, name: 'upstream' }) });
    const made = (await res.json()) as { accessKeyId: string; secretAccessKey: string };
    other = { accessKeyId: made.accessKeyId, secretAccessKey: made.secretAccessKey };
    const otherEcr = ecrClient(server.url, other);
    await otherEcr.send(new CreateRepositoryCommand({ repositoryName: 'shared/app' }));
    otherEcr.destroy();
    image = await buildImage({ layers: 1, layerSize: 20_000, seed: 172 });
    await new Registry(server.port, await loginPassword(server.url, other), `${OTHER}.dkr.ecr.us-east-1.localhost:${server.port}`).pushImage('shared/app', 'v1', image);
    // The role ECR assumes: trusted by the pull-through cache service, allowed to read the upstream.
    const iam = iamClient(server.url);
    const { CreateRoleCommand } = await import('@aws-sdk/client-iam');
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'ecr-ptc',
        AssumeRolePolicyDocument: doc([{ Effect: 'Allow', Principal: { Service: 'pullthroughcache.ecr.amazonaws.com' }, Action: 'sts:AssumeRole' }]),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'ecr-ptc',
        PolicyName: 'read',
        PolicyDocument: doc([{ Effect: 'Allow', Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], Resource: '*' }]),
      }),
    );
    iam.destroy();
    await ecr.send(
      new CreatePullThroughCacheRuleCommand({
        ecrRepositoryPrefix: 'shared',
        upstreamRegistryUrl: `${OTHER}.dkr.ecr.us-east-1.amazonaws.com`,
        upstreamRepositoryPrefix: 'shared',
        customRoleArn: roleArn,
      }),
    );
  });
  after(async () => {
    ecr.destroy();
    await server.close();
  });

  it('is refused until the upstream repository’s policy lets the role read, then pulls', async () => {
    // given
    const reg = new Registry(server.port, await loginPassword(server.url));
    // when: the other account's repository has no policy for the role
    const refused = await reg.request('GET', '/v2/shared/app/manifests/v1');
    // then
    assert.equal(refused.status, 404, refused.text);
    // when: it lets the role read
    const otherEcr = ecrClient(server.url, other);
    await otherEcr.send(
      new SetRepositoryPolicyCommand({
        repositoryName: 'shared/app',
        policyText: doc([{ Sid: 'ptc', Effect: 'Allow', Principal: { AWS: roleArn }, Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] }]),
      }),
    );
    otherEcr.destroy();
    const pulled = await reg.request('GET', '/v2/shared/app/manifests/v1', { headers: { accept: image.mediaType } });
    const valid = await ecr.send(new ValidatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'shared' }));
    // then
    assert.equal(pulled.status, 200, pulled.text);
    assert.equal(pulled.headers['docker-content-digest'], image.digest);
    assert.equal(valid.isValid, true, valid.failure);
  });
});
