import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateRepositoryCommand, DescribeImagesCommand, PutImageTagMutabilityCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { awsCli, ecrClient } from '../support/clients.js';
import { dockerUnavailable, ensureHostsEntry, startDocker, type Docker } from '../support/docker.js';
import { startServer, type TestServer } from '../support/server.js';

const unavailable = dockerUnavailable();

describe('a real Docker engine against the registry', { skip: unavailable ? `skipped: ${unavailable}` : false }, () => {
  let server: TestServer;
  let docker: Docker;
  let ecr: ECRClient;
  let registry: string;

  before(async () => {
    ensureHostsEntry('000000000000.dkr.ecr.us-east-1.localhost');
    server = await startServer();
    registry = `000000000000.dkr.ecr.us-east-1.localhost:${server.port}`;
    ecr = ecrClient(server.url);
    docker = await startDocker();
    // aws ecr get-login-password | docker login -u AWS --password-stdin <registry>
    const password = await awsCli(server.url, ['ecr', 'get-login-password']);
    assert.equal(password.code, 0, password.stderr);
    const login = await docker.cli(['login', '-u', 'AWS', '--password-stdin', registry], password.stdout);
    assert.match(login.stdout, /Login Succeeded/);
  });

  after(async () => {
    await docker?.stop();
    ecr?.destroy();
    await server?.close();
  });

  it('pushes, pulls and runs an image', async () => {
    // given
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'hello' }));
    await docker.importBusybox('local/hello:1', 'hello-from-simfra');
    await docker.cli(['tag', 'local/hello:1', `${registry}/hello:v1`]);
    // when
    await docker.cli(['push', `${registry}/hello:v1`]);
    // then the ECR API sees the push at once
    const described = await ecr.send(new DescribeImagesCommand({ repositoryName: 'hello' }));
    assert.deepEqual(described.imageDetails?.map((d) => d.imageTags), [['v1']]);
    assert.equal(described.imageDetails?.[0]?.imageManifestMediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    // and a clean engine pulls and runs it
    await docker.cli(['rmi', `${registry}/hello:v1`, 'local/hello:1']);
    await docker.cli(['pull', `${registry}/hello:v1`]);
    const out = await docker.cli(['run', '--rm', '--network', 'none', `${registry}/hello:v1`]);
    assert.equal(out.stdout.trim(), 'hello-from-simfra');
  });

  it('refuses to overwrite an immutable tag with ECR’s message', async () => {
    // given
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'frozen', imageTagMutability: 'IMMUTABLE' }));
    await docker.importBusybox('local/frozen:a', 'first');
    await docker.importBusybox('local/frozen:b', 'second');
    await docker.cli(['tag', 'local/frozen:a', `${registry}/frozen:latest`]);
    await docker.cli(['push', `${registry}/frozen:latest`]);
    // when
    await docker.cli(['tag', 'local/frozen:b', `${registry}/frozen:latest`]);
    const second = await docker.attempt(['push', `${registry}/frozen:latest`]);
    // then
    assert.notEqual(second.code, 0);
    assert.match(
      second.stderr + second.stdout,
      /tag invalid: The image tag 'latest' already exists in the 'frozen' repository and cannot be overwritten because the repository is immutable\./,
    );
    // pushing the identical image again is allowed
    await docker.cli(['tag', 'local/frozen:a', `${registry}/frozen:latest`]);
    await docker.cli(['push', `${registry}/frozen:latest`]);
    await ecr.send(new PutImageTagMutabilityCommand({ repositoryName: 'frozen', imageTagMutability: 'MUTABLE' }));
  });

  it('pushes a two-platform manifest list with docker manifest', async () => {
    // given two single-platform images
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'multi' }));
    await docker.importBusybox('local/multi:amd64', 'amd64');
    await docker.importBusybox('local/multi:arm64', 'arm64');
    for (const arch of ['amd64', 'arm64']) {
      await docker.cli(['tag', `local/multi:${arch}`, `${registry}/multi:${arch}`]);
      await docker.cli(['push', `${registry}/multi:${arch}`]);
    }
    // when
    await docker.cli(['manifest', 'create', '--insecure', `${registry}/multi:latest`, `${registry}/multi:amd64`, `${registry}/multi:arm64`]);
    await docker.cli(['manifest', 'annotate', '--arch', 'arm64', '--os', 'linux', `${registry}/multi:latest`, `${registry}/multi:arm64`]);
    await docker.cli(['manifest', 'annotate', '--arch', 'amd64', '--os', 'linux', `${registry}/multi:latest`, `${registry}/multi:amd64`]);
    const pushed = await docker.cli(['manifest', 'push', '--insecure', `${registry}/multi:latest`]);
    // then the list is one image whose children are images of the same repository
    const digest = pushed.stdout.trim().split('\n').pop() ?? '';
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    const inspect = await docker.cli(['manifest', 'inspect', '--insecure', `${registry}/multi:latest`]);
    const list = JSON.parse(inspect.stdout) as { mediaType: string; manifests: { platform: { architecture: string } }[] };
    assert.equal(list.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
    assert.deepEqual(list.manifests.map((m) => m.platform.architecture).sort(), ['amd64', 'arm64']);
    const described = await ecr.send(new DescribeImagesCommand({ repositoryName: 'multi', imageIds: [{ imageTag: 'latest' }] }));
    assert.equal(described.imageDetails?.[0]?.imageDigest, digest);
    assert.equal(described.imageDetails?.[0]?.imageManifestMediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
    // and pulling the list by tag resolves this platform's image
    await docker.cli(['pull', `${registry}/multi:latest`]);
    const out = await docker.cli(['run', '--rm', '--network', 'none', `${registry}/multi:latest`]);
    assert.equal(out.stdout.trim(), 'amd64');
  });
});
