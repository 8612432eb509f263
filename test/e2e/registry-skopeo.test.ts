import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { ecrClient } from '../support/clients.js';
import { buildImage, buildIndex, indexBlobs, writeOciLayout, type BuiltImage, type BuiltIndex } from '../support/oci-image.js';
import { loginPassword, Registry, sha256 } from '../support/registry.js';
import { hasTool, run } from '../support/tools.js';
import { startServer, tempDir, type TestServer } from '../support/server.js';

/** The manifest digests an OCI layout's index.json names, by ref name. */
async function layoutRefs(dir: string): Promise<Record<string, string>> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  return Object.fromEntries(index.manifests.map((m) => [m.annotations?.['org.opencontainers.image.ref.name'] ?? '', m.digest]));
}

async function layoutBlob(dir: string, digest: string): Promise<Buffer> {
  return readFile(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)));
}

// skopeo (Go) resolves *.localhost through /etc/hosts only, so these tests use the plain
// 127.0.0.1:PORT form, which reaches the default account and region.
describe('skopeo against the registry', async () => {
  const available = await hasTool('skopeo');
  let server: TestServer;
  let layout: ReturnType<typeof tempDir>;
  let out: ReturnType<typeof tempDir>;
  let password: string;
  let image: BuiltImage;
  let index: BuiltIndex;
  let registry: string;
  const skopeo = (...args: string[]) => run('skopeo', args, { maxBuffer: 16 << 20 });

  before(async () => {
    if (!available) return;
    server = await startServer();
    const ecr = ecrClient(server.url);
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'sk/app' }));
    ecr.destroy();
    password = await loginPassword(server.url);
    registry = `127.0.0.1:${server.port}`;
    layout = tempDir('simfra-skopeo-in-');
    out = tempDir('simfra-skopeo-out-');
    image = await buildImage({ layers: 4, layerSize: 256 * 1024, seed: 31 });
    index = buildIndex([
      await buildImage({ layers: 2, layerSize: 128 * 1024, seed: 32, platform: { os: 'linux', architecture: 'amd64' } }),
      await buildImage({ layers: 2, layerSize: 128 * 1024, seed: 33, platform: { os: 'linux', architecture: 'arm64' } }),
    ]);
    await writeOciLayout(layout.path, [
      { tag: 'single', manifest: image.manifest, mediaType: image.mediaType, blobs: image.blobs },
      { tag: 'multi', manifest: index.manifest, mediaType: index.mediaType, blobs: indexBlobs(index) },
    ]);
  });
  after(async () => {
    if (!available) return;
    await server.close();
    layout.remove();
    out.remove();
  });

  it('copies a multi-layer OCI image in and back out, digests intact', async (t) => {
    if (!available) return t.skip('skopeo not installed (apt-get install -y skopeo)');
    // when
    await skopeo('copy', '--dest-tls-verify=false', '--dest-creds', `AWS:${password}`, `oci:${layout.path}:single`, `docker://${registry}/sk/app:v1`);
    // then the registry holds the manifest byte for byte
    const reg = new Registry(server.port, password);
    const pulled = await reg.request('GET', '/v2/sk/app/manifests/v1', { headers: { accept: image.mediaType } });
    assert.equal(pulled.headers['docker-content-digest'], image.digest);
    assert.ok(pulled.body.equals(image.manifest));
    // and skopeo pulls the same image back out
    await skopeo('copy', '--src-tls-verify=false', '--src-creds', `AWS:${password}`, `docker://${registry}/sk/app:v1`, `oci:${out.path}:v1`);
    assert.equal((await layoutRefs(out.path)).v1, image.digest);
    for (const blob of [...image.blobs, image.manifest]) assert.ok((await layoutBlob(out.path, sha256(blob))).equals(blob));
  });

  it('copies a two-platform OCI index with --all, in and out', async (t) => {
    if (!available) return t.skip('skopeo not installed (apt-get install -y skopeo)');
    await skopeo('copy', '--all', '--dest-tls-verify=false', '--dest-creds', `AWS:${password}`, `oci:${layout.path}:multi`, `docker://${registry}/sk/app:multi`);
    const reg = new Registry(server.port, password);
    const pulled = await reg.request('GET', '/v2/sk/app/manifests/multi', { headers: { accept: index.mediaType } });
    assert.equal(pulled.headers['docker-content-digest'], index.digest);
    for (const child of index.images) assert.equal((await reg.request('HEAD', `/v2/sk/app/manifests/${child.digest}`)).status, 200);
    await skopeo('copy', '--all', '--src-tls-verify=false', '--src-creds', `AWS:${password}`, `docker://${registry}/sk/app:multi`, `oci:${out.path}:multi`);
    assert.equal((await layoutRefs(out.path)).multi, index.digest);
    for (const blob of [index.manifest, ...indexBlobs(index)]) assert.ok((await layoutBlob(out.path, sha256(blob))).equals(blob));
  });

  it('lists tags and deletes an image', async (t) => {
    if (!available) return t.skip('skopeo not installed (apt-get install -y skopeo)');
    const list = async () =>
      (JSON.parse((await skopeo('list-tags', '--tls-verify=false', '--creds', `AWS:${password}`, `docker://${registry}/sk/app`)).stdout) as { Tags: string[] }).Tags;
    assert.deepEqual(await list(), ['multi', 'v1']);
    await skopeo('delete', '--tls-verify=false', '--creds', `AWS:${password}`, `docker://${registry}/sk/app:v1`);
    assert.deepEqual(await list(), ['multi']);
    const reg = new Registry(server.port, password);
    assert.equal((await reg.request('GET', `/v2/sk/app/manifests/${image.digest}`)).status, 404);
    await assert.rejects(
      skopeo('inspect', '--tls-verify=false', '--creds', `AWS:${password}`, `docker://${registry}/sk/app:v1`),
      /manifest unknown: Requested image not found/,
    );
  });

  it('is refused with a wrong password', async (t) => {
    if (!available) return t.skip('skopeo not installed (apt-get install -y skopeo)');
    await assert.rejects(skopeo('list-tags', '--tls-verify=false', '--creds', 'AWS:wrong', `docker://${registry}/sk/app`), /401|unauthorized|authentication required/i);
  });
});
