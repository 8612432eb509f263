/**
 * `docker pull` through the pull-through cache: an image pushed by docker to a local
 * docker-registry (standing in for Quay) is pulled by a clean engine from simfra's
 * `<prefix>/<repo>` and runs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreatePullThroughCacheRuleCommand, DescribeImagesCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { awsCli, ecrClient } from '../support/clients.js';
import { dockerRegistryUnavailable, startUpstreamRegistry, type UpstreamRegistry } from '../support/docker-registry.js';
import { dockerUnavailable, ensureHostsEntry, startDocker, type Docker } from '../support/docker.js';
import { startServer, type TestServer } from '../support/server.js';

const unavailable = dockerUnavailable() ?? dockerRegistryUnavailable();

describe('docker pull through the pull-through cache', { skip: unavailable ? `skipped: ${unavailable}` : false }, () => {
  let upstream: UpstreamRegistry;
  let server: TestServer;
  let docker: Docker;
  let ecr: ECRClient;
  let registry: string;

  before(async () => {
    ensureHostsEntry('000000000000.dkr.ecr.us-east-1.localhost');
    upstream = await startUpstreamRegistry();
    server = await startServer({ ecrUpstreams: { QUAY: upstream.url } });
    registry = `000000000000.dkr.ecr.us-east-1.localhost:${server.port}`;
    ecr = ecrClient(server.url);
    await ecr.send(new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'quay', upstreamRegistryUrl: 'quay.io' }));
    docker = await startDocker();
    const password = await awsCli(server.url, ['ecr', 'get-login-password']);
    assert.equal(password.code, 0, password.stderr);
    await docker.cli(['login', '-u', 'AWS', '--password-stdin', registry], password.stdout);
  });
  after(async () => {
    await docker?.stop();
    ecr?.destroy();
    await server?.close();
    await upstream?.close();
  });

  it('pulls and runs an upstream image through simfra, then again from the cache with the upstream stopped', async () => {
    // given: the image is upstream only
    await docker.importBusybox('local/ptc:1', 'hello-through-the-cache');
    await docker.cli(['tag', 'local/ptc:1', `127.0.0.1:${upstream.port}/org/hello:1`]);
    await docker.cli(['push', `127.0.0.1:${upstream.port}/org/hello:1`]);
    await docker.cli(['rmi', 'local/ptc:1', `127.0.0.1:${upstream.port}/org/hello:1`]);
    // when
    await docker.cli(['pull', `${registry}/quay/org/hello:1`]);
    const out = await docker.cli(['run', '--rm', '--network', 'none', `${registry}/quay/org/hello:1`]);
    // then
    assert.equal(out.stdout.trim(), 'hello-through-the-cache');
    const images = await ecr.send(new DescribeImagesCommand({ repositoryName: 'quay/org/hello' }));
    assert.deepEqual(images.imageDetails?.map((d) => d.imageTags), [['1']]);
    // when the upstream is gone, a clean engine still pulls it
    await upstream.stop();
    await docker.cli(['rmi', `${registry}/quay/org/hello:1`]);
    await docker.cli(['pull', `${registry}/quay/org/hello:1`]);
    await upstream.start();
  });
});
