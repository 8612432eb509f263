/**
 * Pull-through cache with credentials (issue 14): a Docker Hub rule whose credentialArn names a
 * Secrets Manager secret `ecr-pullthroughcache/…` holding {username, accessToken}; a local
 * docker-registry behind htpasswd stands in for Docker Hub (SIMFRA_ECR_UPSTREAM_DOCKER_HUB).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  BatchGetImageCommand,
  CreatePullThroughCacheRuleCommand,
  UpdatePullThroughCacheRuleCommand,
  ValidatePullThroughCacheRuleCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ecrClient } from '../support/clients.js';
import { dockerRegistryUnavailable, startUpstreamRegistry, type UpstreamRegistry } from '../support/docker-registry.js';
import { rejects } from '../support/ecr-images.js';
import { buildImage, type BuiltImage } from '../support/oci-image.js';
import { loginPassword, Registry } from '../support/registry.js';
import { ACCOUNT, REGION, ROOT, startServer, type TestServer } from '../support/server.js';

const skip = dockerRegistryUnavailable();

describe('pull-through cache: an upstream that needs credentials (Docker Hub role, Secrets Manager)', { skip: skip ?? false }, () => {
  let upstream: UpstreamRegistry;
  let server: TestServer;
  let ecr: ECRClient;
  let sm: SecretsManagerClient;
  let reg: Registry;
  let image: BuiltImage;
  let secretArn: string;

  before(async () => {
    upstream = await startUpstreamRegistry({ username: 'hubuser', password: 'hub-token-1' });
    server = await startServer({ ecrUpstreams: { DOCKER_HUB: upstream.url } });
    ecr = ecrClient(server.url);
    sm = new SecretsManagerClient({ endpoint: server.url, region: REGION, credentials: ROOT });
    reg = new Registry(server.port, await loginPassword(server.url));
    image = await buildImage({ layers: 2, layerSize: 30_000, seed: 161, format: 'docker' });
    await upstream.pushImage('library/alpine', 'latest', image);
    const created = await sm.send(
      new CreateSecretCommand({ Name: 'ecr-pullthroughcache/hub', SecretString: JSON.stringify({ username: 'hubuser', accessToken: 'hub-token-1' }) }),
    );
    secretArn = created.ARN!;
  });
  after(async () => {
    sm?.destroy();
    ecr?.destroy();
    await server?.close();
    await upstream?.close();
  });

  it('refuses a secret that does not exist, is elsewhere, or does not hold username and accessToken', async () => {
    // given
    const bad = await sm.send(new CreateSecretCommand({ Name: 'ecr-pullthroughcache/bad', SecretString: 'not json' }));
    // when / then
    await rejects(
      ecr.send(
        new CreatePullThroughCacheRuleCommand({
          ecrRepositoryPrefix: 'hub',
          upstreamRegistryUrl: 'registry-1.docker.io',
          credentialArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ecr-pullthroughcache/none-AbCdEf`,
        }),
      ),
      'SecretNotFoundException',
    );
    await rejects(
      ecr.send(
        new CreatePullThroughCacheRuleCommand({
          ecrRepositoryPrefix: 'hub',
          upstreamRegistryUrl: 'registry-1.docker.io',
          credentialArn: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:ecr-pullthroughcache/hub-AbCdEf`,
        }),
      ),
      'InvalidParameterException',
    );
    await rejects(
      ecr.send(new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'hub', upstreamRegistryUrl: 'registry-1.docker.io', credentialArn: bad.ARN! })),
      'UnableToAccessSecretException',
      `The secret ${bad.ARN!} could not be used: it must hold a JSON object with the keys username and accessToken`,
    );
  });

  it('pulls Docker Hub’s library/alpine through the rule with the secret’s credentials', async () => {
    // given
    const rule = await ecr.send(
      new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'hub', upstreamRegistryUrl: 'registry-1.docker.io', credentialArn: secretArn }),
    );
    // when
    const valid = await ecr.send(new ValidatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'hub' }));
    const got = await reg.request('GET', '/v2/hub/library/alpine/manifests/latest', { headers: { accept: image.mediaType } });
    // then
    assert.equal(rule.upstreamRegistry, 'docker-hub');
    assert.equal(rule.credentialArn, secretArn);
    assert.equal(valid.isValid, true, valid.failure);
    assert.equal(got.status, 200, got.text);
    assert.equal(got.headers['docker-content-digest'], image.digest);
  });

  it('says a rule is not valid once its credentials stop working, and valid again after UpdatePullThroughCacheRule', async () => {
    // given
    await sm.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: JSON.stringify({ username: 'hubuser', accessToken: 'wrong' }) }));
    // when
    const invalid = await ecr.send(new ValidatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'hub' }));
    const notImported = await reg.request('GET', '/v2/hub/library/alpine/manifests/other');
    const apiRefused = ecr.send(new BatchGetImageCommand({ repositoryName: 'hub/library/busybox', imageIds: [{ imageTag: 'latest' }] }));
    await rejects(
      apiRefused,
      'UnableToGetUpstreamImageException',
      'The image or images were unable to be pulled using the pull through cache rule for the upstream registry registry-1.docker.io; check the credentials in its Secrets Manager secret',
    );
    const fixed = await sm.send(
      new CreateSecretCommand({ Name: 'ecr-pullthroughcache/hub2', SecretString: JSON.stringify({ username: 'hubuser', accessToken: 'hub-token-1' }) }),
    );
    const updated = await ecr.send(new UpdatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'hub', credentialArn: fixed.ARN! }));
    const valid = await ecr.send(new ValidatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'hub' }));
    // then
    assert.equal(invalid.isValid, false);
    assert.match(invalid.failure!, /^Unable to authenticate with the upstream registry: /);
    assert.equal(notImported.status, 404);
    assert.equal(updated.credentialArn, fixed.ARN);
    assert.equal(valid.isValid, true, valid.failure);
  });
});
