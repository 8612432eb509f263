/**
 * A manifest's descriptors must state the true sizes of what they name, on both fronts: the
 * registry answers 400 MANIFEST_INVALID, PutImage answers InvalidParameterException, and the
 * image is not stored (so imageSizeInBytes can never be wrong).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateRepositoryCommand, DescribeImagesCommand, PutImageCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { ecrClient } from '../support/clients.js';
import { OCI_CONFIG, OCI_LAYER_GZIP, OCI_MANIFEST } from '../support/oci-image.js';
import { loginPassword, Registry, sha256 } from '../support/registry.js';
import { startServer, type TestServer } from '../support/server.js';

describe('descriptor sizes in manifests', () => {
  let server: TestServer;
  let ecr: ECRClient;
  let reg: Registry;
  const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
  const layer = Buffer.from('l'.repeat(40));
  const manifest = (layerSize: number): string =>
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha256(config), size: config.length },
      layers: [{ mediaType: OCI_LAYER_GZIP, digest: sha256(layer), size: layerSize }],
    });

  before(async () => {
    server = await startServer();
    ecr = ecrClient(server.url);
    reg = new Registry(server.port, await loginPassword(server.url));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'sizes' }));
    await reg.pushBlob('sizes', config);
    await reg.pushBlob('sizes', layer);
  });
  after(async () => {
    ecr.destroy();
    await server.close();
  });

  it('registry: PUT of a manifest declaring 999 bytes for a 40-byte layer is 400 MANIFEST_INVALID', async () => {
    // when
    const res = await reg.pushManifest('sizes', 'lie', manifest(999), OCI_MANIFEST);
    // then
    assert.equal(res.status, 400, res.text);
    const error = res.json<{ errors: { code: string; detail: Record<string, unknown> }[] }>().errors[0]!;
    assert.equal(error.code, 'MANIFEST_INVALID');
    assert.deepEqual({ digest: error.detail.digest, size: error.detail.size, actualSize: error.detail.actualSize }, { digest: sha256(layer), size: 999, actualSize: 40 });
    assert.equal((await reg.request('HEAD', '/v2/sizes/manifests/lie')).status, 404);
  });

  it('API: PutImage of the same manifest is InvalidParameterException and stores nothing', async () => {
    // when / then
    await assert.rejects(ecr.send(new PutImageCommand({ repositoryName: 'sizes', imageManifest: manifest(999), imageTag: 'lie' })), (e: Error) => {
      assert.equal(e.name, 'InvalidParameterException');
      assert.equal(
        e.message,
        `Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Size of ${sha256(layer)} is 999 in the manifest but 40 in the repository'`,
      );
      return true;
    });
    assert.deepEqual((await ecr.send(new DescribeImagesCommand({ repositoryName: 'sizes' }))).imageDetails, []);
  });

  it('accepts the true sizes, and imageSizeInBytes is their sum', async () => {
    // when
    const res = await reg.pushManifest('sizes', 'true', manifest(layer.length), OCI_MANIFEST);
    // then
    assert.equal(res.status, 201, res.text);
    const [detail] = (await ecr.send(new DescribeImagesCommand({ repositoryName: 'sizes' }))).imageDetails ?? [];
    assert.equal(detail?.imageSizeInBytes, config.length + layer.length);
  });
});
