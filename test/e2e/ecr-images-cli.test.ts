/**
 * The ECR image and layer API through the `aws` CLI and boto3, on images skopeo pushed through
 * the registry: the classic retag recipe, deletes that skopeo sees at once, pagination as the
 * CLI and boto3 paginators drive it, the scan waiter, and a CLI layer upload that curl downloads.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { awsCli, boto3 } from '../support/clients.js';
import { hasTool, run } from '../support/tools.js';
import { buildImage, OCI_MANIFEST, writeOciLayout, type BuiltImage } from '../support/oci-image.js';
import { loginPassword, randomBytes, Registry, sha256 } from '../support/registry.js';
import { ACCOUNT, startServer, tempDir, type TestServer } from '../support/server.js';

interface Detail {
  imageDigest: string;
  imageTags?: string[];
  imageSizeInBytes: number;
  imageManifestMediaType: string;
  imageStatus: string;
}

describe('ECR image API through the aws CLI, boto3 and skopeo', async () => {
  const skopeoAvailable = await hasTool('skopeo');
  const curlAvailable = await hasTool('curl');
  let server: TestServer;
  let reg: Registry;
  let password: string;
  let layout: ReturnType<typeof tempDir>;
  let image: BuiltImage;
  const cli = (...args: string[]) => awsCli(server.url, args);
  const skopeo = (...args: string[]) => run('skopeo', args, { maxBuffer: 16 << 20 });
  const registryRef = (ref: string) => `docker://127.0.0.1:${server.port}/${ref}`;

  before(async () => {
    server = await startServer();
    password = await loginPassword(server.url);
    reg = new Registry(server.port, password);
    layout = tempDir('simfra-ecr-cli-');
    image = await buildImage({ layers: 2, layerSize: 64 * 1024, seed: 501 });
    await writeOciLayout(layout.path, [{ tag: 'v1', manifest: image.manifest, mediaType: image.mediaType, blobs: image.blobs }]);
    assert.equal((await cli('ecr', 'create-repository', '--repository-name', 'cli/app')).code, 0);
  });
  after(async () => {
    layout.remove();
    await server.close();
  });

  it('describes an image skopeo pushed, and the retag recipe makes a tag skopeo pulls', async (t) => {
    if (!skopeoAvailable) return t.skip('skopeo not installed (apt-get install -y skopeo)');
    // given
    await skopeo('copy', '--dest-tls-verify=false', '--dest-creds', `AWS:${password}`, `oci:${layout.path}:v1`, registryRef('cli/app:v1'));
    // then the CLI describes it at once
    const described = await cli('ecr', 'describe-images', '--repository-name', 'cli/app');
    assert.equal(described.code, 0, described.stderr);
    const details = described.json<{ imageDetails: Detail[] }>().imageDetails;
    assert.equal(details.length, 1);
    assert.deepEqual(
      { digest: details[0]!.imageDigest, tags: details[0]!.imageTags, size: details[0]!.imageSizeInBytes, status: details[0]!.imageStatus },
      { digest: image.digest, tags: ['v1'], size: image.size, status: 'ACTIVE' },
    );
    // when: the recipe of the ECR user guide ("Retagging an image")
    const manifest = await cli('ecr', 'batch-get-image', '--repository-name', 'cli/app', '--image-ids', 'imageTag=v1', '--output', 'text', '--query', 'images[].imageManifest');
    assert.equal(manifest.code, 0, manifest.stderr);
    const put = await cli('ecr', 'put-image', '--repository-name', 'cli/app', '--image-tag', 'v2', '--image-manifest', manifest.stdout.replace(/\n$/, ''));
    assert.equal(put.code, 0, put.stderr);
    assert.deepEqual(put.json<{ image: { imageId: unknown } }>().image.imageId, { imageDigest: image.digest, imageTag: 'v2' });
    // then skopeo and the registry see the new tag at once, same digest
    const inspected = JSON.parse(
      (await skopeo('inspect', '--tls-verify=false', '--creds', `AWS:${password}`, registryRef('cli/app:v2'))).stdout,
    ) as { Digest: string };
    assert.equal(inspected.Digest, image.digest);
    const pulled = await reg.request('GET', '/v2/cli/app/manifests/v2', { headers: { accept: OCI_MANIFEST } });
    assert.ok(pulled.body.equals(image.manifest));
    // and the same put again is refused, as the CLI prints it
    const again = await cli('ecr', 'put-image', '--repository-name', 'cli/app', '--image-tag', 'v2', '--image-manifest', manifest.stdout.replace(/\n$/, ''));
    assert.notEqual(again.code, 0);
    assert.equal(
      again.stderr.trim(),
      `An error occurred (ImageAlreadyExistsException) when calling the PutImage operation: Image with digest '${image.digest}' and tag 'v2' already exists in the repository with name 'cli/app' in registry with id '${ACCOUNT}'`,
    );
  });

  it('batch-delete-image makes skopeo’s pull fail at once', async (t) => {
    if (!skopeoAvailable) return t.skip('skopeo not installed (apt-get install -y skopeo)');
    const deleted = await cli('ecr', 'batch-delete-image', '--repository-name', 'cli/app', '--image-ids', 'imageTag=v1', 'imageTag=nope');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.deepEqual(deleted.json(), {
      imageIds: [{ imageDigest: image.digest, imageTag: 'v1' }],
      failures: [{ imageId: { imageTag: 'nope' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }],
    });
    await assert.rejects(
      skopeo('inspect', '--tls-verify=false', '--creds', `AWS:${password}`, registryRef('cli/app:v1')),
      /manifest unknown: Requested image not found/,
    );
    // the image stays under its other tag
    const tags = JSON.parse((await skopeo('list-tags', '--tls-verify=false', '--creds', `AWS:${password}`, registryRef('cli/app'))).stdout) as { Tags: string[] };
    assert.deepEqual(tags.Tags, ['v2']);
  });

  it('pages 130 images through the CLI’s and boto3’s paginators', async () => {
    // given 130 images put with boto3 (one config and layer, 130 manifests)
    assert.equal((await cli('ecr', 'create-repository', '--repository-name', 'cli/many')).code, 0);
    const config = await reg.pushBlob('cli/many', Buffer.from('{"architecture":"amd64","os":"linux"}'));
    const layer = await reg.pushBlob('cli/many', await randomBytes(1000, 9));
    const seeded = await boto3(
      server.url,
      'ecr',
      `
digests = []
for i in range(130):
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "${OCI_MANIFEST}",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "${config}", "size": 37},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "${layer}", "size": 1000}],
        "annotations": {"n": str(i)}})
    r = client.put_image(repositoryName="cli/many", imageManifest=manifest, imageTag=f"t{i:03d}")
    digests.append(r["image"]["imageId"]["imageDigest"])
pages = [len(p["imageDetails"]) for p in client.get_paginator("describe_images").paginate(repositoryName="cli/many", PaginationConfig={"PageSize": 50})]
out({"digests": len(set(digests)), "pages": pages})
`,
    );
    assert.deepEqual(seeded, { digests: 130, pages: [50, 50, 30] });
    // when the CLI lists (it follows nextToken itself, 100 a page by default)
    const listed = await cli('ecr', 'list-images', '--repository-name', 'cli/many');
    assert.equal(listed.code, 0, listed.stderr);
    const ids = listed.json<{ imageIds: { imageTag: string }[] }>().imageIds;
    assert.equal(ids.length, 130);
    assert.deepEqual(ids.map((i) => i.imageTag).sort(), Array.from({ length: 130 }, (_, i) => `t${String(i).padStart(3, '0')}`));
    const tagged = await cli('ecr', 'describe-images', '--repository-name', 'cli/many', '--filter', 'tagStatus=UNTAGGED');
    assert.deepEqual(tagged.json(), { imageDetails: [] });
  });

  it('scans with boto3 and its image_scan_complete waiter; errors as boto3 raises them', async () => {
    const result = await boto3(
      server.url,
      'ecr',
      `
client.start_image_scan(repositoryName="cli/many", imageId={"imageTag": "t000"})
client.get_waiter("image_scan_complete").wait(repositoryName="cli/many", imageId={"imageTag": "t000"}, WaiterConfig={"Delay": 1, "MaxAttempts": 3})
f = client.describe_image_scan_findings(repositoryName="cli/many", imageId={"imageTag": "t000"})
try:
    client.describe_images(repositoryName="cli/many", imageIds=[{"imageTag": "nope"}])
    err = None
except ClientError as e:
    err = [e.response["Error"]["Code"], e.response["Error"]["Message"]]
out({"status": f["imageScanStatus"]["status"], "findings": f["imageScanFindings"]["findings"], "counts": f["imageScanFindings"]["findingSeverityCounts"], "err": err})
`,
    );
    assert.deepEqual(result, {
      status: 'COMPLETE',
      findings: [],
      counts: {},
      err: [
        'ImageNotFoundException',
        `The image with imageId {imageDigest:'null', imageTag:'nope'} does not exist within the repository with name 'cli/many' in the registry with id '${ACCOUNT}'`,
      ],
    });
  });

  it('uploads a layer with the CLI (fileb:// parts) and curl downloads it from get-download-url-for-layer', async (t) => {
    if (!curlAvailable) return t.skip('curl not installed (apt-get install -y curl)');
    // given
    const dir = tempDir('simfra-ecr-cli-layer-');
    try {
      const data = await randomBytes(6 * 1024 * 1024 + 17, 10);
      const parts = [data.subarray(0, 5 * 1024 * 1024), data.subarray(5 * 1024 * 1024)];
      const init = await cli('ecr', 'initiate-layer-upload', '--repository-name', 'cli/app');
      assert.equal(init.code, 0, init.stderr);
      const { uploadId, partSize } = init.json<{ uploadId: string; partSize: number }>();
      assert.equal(partSize, 10 * 1024 * 1024);
      let first = 0;
      for (const [i, part] of parts.entries()) {
        const file = join(dir.path, `part${i}`);
        await writeFile(file, part);
        const res = await cli('ecr', 'upload-layer-part', '--repository-name', 'cli/app', '--upload-id', uploadId,
          '--part-first-byte', String(first), '--part-last-byte', String(first + part.length - 1), '--layer-part-blob', `fileb://${file}`);
        assert.equal(res.code, 0, res.stderr);
        first += part.length;
      }
      const digest = sha256(data);
      const done = await cli('ecr', 'complete-layer-upload', '--repository-name', 'cli/app', '--upload-id', uploadId, '--layer-digests', digest);
      assert.equal(done.code, 0, done.stderr);
      assert.equal(done.json<{ layerDigest: string }>().layerDigest, digest);
      // an image uses it, so it may be downloaded
      const config = await reg.pushBlob('cli/app', Buffer.from('{"architecture":"amd64","os":"linux"}'));
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 37 },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: data.length }],
      });
      assert.equal((await cli('ecr', 'put-image', '--repository-name', 'cli/app', '--image-tag', 'layered', '--image-manifest', manifest)).code, 0);
      // when
      const url = await cli('ecr', 'get-download-url-for-layer', '--repository-name', 'cli/app', '--layer-digest', digest);
      assert.equal(url.code, 0, url.stderr);
      const out = join(dir.path, 'layer');
      await run('curl', ['-sS', '--fail', '-o', out, url.json<{ downloadUrl: string }>().downloadUrl]);
      // then
      const { stdout } = await run('sha256sum', [out]);
      assert.equal(`sha256:${stdout.split(' ')[0]}`, digest);
    } finally {
      dir.remove();
    }
  });
});
