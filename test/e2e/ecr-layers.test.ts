/**
 * The ECR layer API (SDK v3): uploads through InitiateLayerUpload / UploadLayerPart /
 * CompleteLayerUpload land in the registry's blob store (and registry pushes are available
 * here); GetDownloadUrlForLayer hands out a time-limited URL that plain curl downloads.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  BatchCheckLayerAvailabilityCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  GetDownloadUrlForLayerCommand,
  InitiateLayerUploadCommand,
  PutImageCommand,
  UpdateImageStorageClassCommand,
  UploadLayerPartCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { ManualClock } from '../../src/clock.js';
import { ecrClient } from '../support/clients.js';
import { followClock, rejects } from '../support/ecr-images.js';
import { hasTool, run } from '../support/tools.js';
import { buildImage, OCI_MANIFEST } from '../support/oci-image.js';
import { loginPassword, randomBytes, Registry, sha256 } from '../support/registry.js';
import { ACCOUNT, startServer, type TestServer } from '../support/server.js';

const MiB = 1024 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('ECR layer API on the registry’s blob store (SDK v3, curl)', async () => {
  const curl = await hasTool('curl');
  const clock = new ManualClock(new Date());
  let server: TestServer;
  let ecr: ECRClient;
  let reg: Registry;

  /** Uploads `data` in parts of `partSize` through the API; returns the upload id and the digest. */
  async function upload(repositoryName: string, data: Buffer, partSize: number): Promise<{ uploadId: string; digest: string }> {
    const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
    for (let first = 0; first < data.length; first += partSize) {
      const part = data.subarray(first, Math.min(first + partSize, data.length));
      const res = await ecr.send(
        new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: first, partLastByte: first + part.length - 1, layerPartBlob: part }),
      );
      assert.equal(res.lastByteReceived, first + part.length - 1);
    }
    return { uploadId: uploadId!, digest: sha256(data) };
  }

  before(async () => {
    server = await startServer({}, { clock });
    ecr = ecrClient(server.url);
    followClock(ecr, clock);
    reg = new Registry(server.port, await loginPassword(server.url));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'layers/app' }));
  });
  after(async () => {
    ecr.destroy();
    await server.close();
  });

  it('uploads a layer in parts; the registry serves it, and an image made of it is pullable', async () => {
    // given
    const data = await randomBytes(12 * MiB + 321, 7);
    const init = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'layers/app' }));
    assert.match(init.uploadId!, UUID);
    assert.equal(init.partSize, 10 * MiB);
    // when: two 5 MiB parts and the rest
    const { uploadId, digest } = await upload('layers/app', data, 5 * MiB);
    const done = await ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'layers/app', uploadId, layerDigests: [digest] }));
    // then
    assert.deepEqual(
      { ...done, $metadata: undefined },
      { $metadata: undefined, registryId: ACCOUNT, repositoryName: 'layers/app', uploadId, layerDigest: digest },
    );
    const head = await reg.request('HEAD', `/v2/layers/app/blobs/${digest}`);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(data.length));
    const blob = await reg.request('GET', `/v2/layers/app/blobs/${digest}`);
    assert.equal(sha256(blob.body), digest);
    const check = await ecr.send(new BatchCheckLayerAvailabilityCommand({ repositoryName: 'layers/app', layerDigests: [digest] }));
    assert.deepEqual(check.layers, [{ layerDigest: digest, layerAvailability: 'AVAILABLE', layerSize: data.length }]);
    // and an image of that layer, put through the API, is pulled through the registry
    const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    await reg.pushBlob('layers/app', config);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: data.length }],
    });
    await ecr.send(new PutImageCommand({ repositoryName: 'layers/app', imageTag: 'big', imageManifest: manifest }));
    const pulled = await reg.request('GET', '/v2/layers/app/manifests/big', { headers: { accept: OCI_MANIFEST } });
    assert.equal(pulled.text, manifest);
    const withType = await ecr.send(new BatchCheckLayerAvailabilityCommand({ repositoryName: 'layers/app', layerDigests: [digest] }));
    assert.equal(withType.layers![0]!.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
  });

  it('reports registry-pushed layers available, unknown ones unavailable, bad digests as failures', async () => {
    const pushed = await reg.pushBlob('layers/app', Buffer.from('pushed through the registry'));
    const unknown = sha256('never pushed');
    const res = await ecr.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName: 'layers/app', layerDigests: [pushed, unknown, 'sha256:xyz', ''] }),
    );
    assert.deepEqual(res.layers, [
      { layerDigest: pushed, layerAvailability: 'AVAILABLE', layerSize: 27 },
      { layerDigest: unknown, layerAvailability: 'UNAVAILABLE' },
    ]);
    assert.deepEqual(res.failures, [
      { layerDigest: 'sha256:xyz', failureCode: 'InvalidLayerDigest', failureReason: "Invalid layer digest: 'sha256:xyz'" },
      { layerDigest: '', failureCode: 'MissingLayerDigest', failureReason: 'Layer digest cannot be empty' },
    ]);
    await rejects(
      ecr.send(new BatchCheckLayerAvailabilityCommand({ repositoryName: 'layers/none', layerDigests: [pushed] })),
      'RepositoryNotFoundException',
      `The repository with name 'layers/none' does not exist in the registry with id '${ACCOUNT}'`,
    );
  });

  it('hands out a download URL that curl fetches without credentials, ranges included, until it expires', async (t) => {
    if (!curl) return t.skip('curl not installed (apt-get install -y curl)');
    // given an image pushed through the registry
    const img = await buildImage({ layers: 2, layerSize: 300_000, seed: 77 });
    await reg.pushImage('layers/app', 'dl', img);
    const layer = img.layers[1]!;
    const digest = sha256(layer);

    // when
    const res = await ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: 'layers/app', layerDigest: digest }));
    // then
    assert.equal(res.layerDigest, digest);
    const url = res.downloadUrl!;
    assert.ok(url.startsWith(`http://localhost:${server.port}/ecr-layers/${ACCOUNT}/us-east-1/layers/app/${digest}?`), url);
    const whole = await run('curl', ['-sS', '--fail', url], { encoding: 'buffer', maxBuffer: 16 * MiB });
    assert.equal(createHash('sha256').update(whole.stdout).digest('hex'), digest.slice(7));
    const part = await run('curl', ['-sS', '--fail', '-r', '100-199', url], { encoding: 'buffer' });
    assert.ok(part.stdout.equals(layer.subarray(100, 200)));
    // the config blob too (docker fetches it the same way)
    const configUrl = (await ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: 'layers/app', layerDigest: sha256(img.config) }))).downloadUrl!;
    assert.equal((await run('curl', ['-sS', '--fail', configUrl])).stdout, img.config.toString());
    // a tampered URL is refused as S3 refuses it
    const tampered = url.replace(/X-Simfra-Signature=[0-9a-f]/, (m) => `${m.slice(0, -1)}${m.endsWith('0') ? '1' : '0'}`);
    const bad = await run('curl', ['-sS', '-w', '\n%{http_code}', tampered]);
    assert.match(bad.stdout, /<Code>SignatureDoesNotMatch<\/Code>/);
    assert.match(bad.stdout, /\n403$/);
    // and an hour later the URL has expired
    clock.advance(3600 * 1000);
    const expired = await run('curl', ['-sS', '-w', '\n%{http_code}', url]);
    assert.match(expired.stdout, /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
    assert.match(expired.stdout, /\n403$/);

  });

  it('refuses a download URL for a missing layer, one no image uses, and one only archived images use', async () => {

    const missing = sha256('missing');
    await rejects(
      ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: 'layers/app', layerDigest: missing })),
      'LayersNotFoundException',
      `The layer with digest ${missing} does not exist within the repository with name 'layers/app' in the registry with id '${ACCOUNT}'`,
    );
    const loose = await reg.pushBlob('layers/app', Buffer.from('a blob no image uses'));
    await rejects(
      ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: 'layers/app', layerDigest: loose })),
      'LayerInaccessibleException',
      'The specified layer is not available because it is not associated with an image. Unassociated image layers may be cleaned up at any time.',
    );
    // an image whose layer no other image shares, archived
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'layers/archive' }));
    const img = await buildImage({ layers: 1, layerSize: 1_000, seed: 78 });
    await reg.pushImage('layers/archive', 'v1', img);
    await ecr.send(new UpdateImageStorageClassCommand({ repositoryName: 'layers/archive', imageId: { imageTag: 'v1' }, targetStorageClass: 'ARCHIVE' }));
    const layer = sha256(img.layers[0]!);
    const check = await ecr.send(new BatchCheckLayerAvailabilityCommand({ repositoryName: 'layers/archive', layerDigests: [layer] }));
    assert.equal(check.layers![0]!.layerAvailability, 'ARCHIVED');
    await rejects(
      ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: 'layers/archive', layerDigest: layer })),
      'LayerInaccessibleException',
      'The specified layer is not available because the images that use it are archived.',
    );
  });

  describe('upload errors', () => {
    it('refuses a part that does not start where the upload ends: InvalidLayerPartException with lastValidByteReceived', async () => {
      const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'layers/app' }));
      await ecr.send(new UploadLayerPartCommand({ repositoryName: 'layers/app', uploadId, partFirstByte: 0, partLastByte: 9, layerPartBlob: Buffer.alloc(10) }));
      const gap = await rejects(
        ecr.send(new UploadLayerPartCommand({ repositoryName: 'layers/app', uploadId, partFirstByte: 20, partLastByte: 29, layerPartBlob: Buffer.alloc(10) })),
        'InvalidLayerPartException',
        'The layer part size is not valid, or the first byte specified is not consecutive to the last byte of a previous layer part upload.',
      );
      assert.deepEqual(
        { ...(gap as unknown as Record<string, unknown>) },
        { ...(gap as unknown as Record<string, unknown>), registryId: ACCOUNT, repositoryName: 'layers/app', uploadId, lastValidByteReceived: 9 },
      );
      const short = await rejects(
        ecr.send(new UploadLayerPartCommand({ repositoryName: 'layers/app', uploadId, partFirstByte: 10, partLastByte: 29, layerPartBlob: Buffer.alloc(10) })),
        'InvalidLayerPartException',
      );
      assert.equal((short as unknown as { lastValidByteReceived: number }).lastValidByteReceived, 9);
    });

    it('refuses a part but the last under 5 MiB when the upload completes: LayerPartTooSmallException', async () => {
      const data = await randomBytes(3 * MiB, 8);
      const { uploadId, digest } = await upload('layers/app', data, MiB);
      await rejects(
        ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'layers/app', uploadId, layerDigests: [digest] })),
        'LayerPartTooSmallException',
        'All layer parts except the last part should be at least 5MB',
      );
      // the upload is gone
      await rejects(
        ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'layers/app', uploadId, layerDigests: [digest] })),
        'UploadNotFoundException',
        `Upload with id '${uploadId}' does not exist in the repository with name 'layers/app' in the registry with id '${ACCOUNT}'`,
      );
      // a single small part is fine
      const one = await upload('layers/app', data, data.length);
      const done = await ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'layers/app', uploadId: one.uploadId, layerDigests: [sha256('x'), one.digest] }));
      assert.equal(done.layerDigest, one.digest);
    });

    it('refuses an empty upload, a digest that does not match, and a layer the repository has', async () => {
      const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'layers/app' }));
      await rejects(
        ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'layers/app', uploadId, layerDigests: [sha256('')] })),
        'EmptyUploadException',
        'The specified layer upload does not contain any layer parts.',
      );
      const data = Buffer.from('a small layer');
      const wrong = await upload('layers/app', data, data.length);
      await rejects(
        ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'layers/app', uploadId: wrong.uploadId, layerDigests: [sha256('other')] })),
        'InvalidLayerException',
        'None of the provided layer digests match the calculated layer digest',
      );
      const first = await upload('layers/app', data, data.length);
      await ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'layers/app', uploadId: first.uploadId, layerDigests: [first.digest] }));
      const again = await upload('layers/app', data, data.length);
      await rejects(
        ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'layers/app', uploadId: again.uploadId, layerDigests: [again.digest] })),
        'LayerAlreadyExistsException',
        `The layer with digest ${again.digest} already exists in the repository with name 'layers/app' in the registry with id '${ACCOUNT}'`,
      );
    });

    it('refuses unknown uploads, uploads of another repository, and parts over 20 MiB', async () => {
      const unknown = '00000000-0000-4000-8000-000000000000';
      await rejects(
        ecr.send(new UploadLayerPartCommand({ repositoryName: 'layers/app', uploadId: unknown, partFirstByte: 0, partLastByte: 0, layerPartBlob: Buffer.alloc(1) })),
        'UploadNotFoundException',
        `Upload with id '${unknown}' does not exist in the repository with name 'layers/app' in the registry with id '${ACCOUNT}'`,
      );
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'layers/other' }));
      const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'layers/other' }));
      await rejects(
        ecr.send(new UploadLayerPartCommand({ repositoryName: 'layers/app', uploadId, partFirstByte: 0, partLastByte: 0, layerPartBlob: Buffer.alloc(1) })),
        'UploadNotFoundException',
      );
      const tooBig = Buffer.alloc(20 * MiB + 1);
      await rejects(
        ecr.send(new UploadLayerPartCommand({ repositoryName: 'layers/other', uploadId, partFirstByte: 0, partLastByte: tooBig.length - 1, layerPartBlob: tooBig })),
        'InvalidParameterException',
      );
    });
  });
});
