import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BatchDeleteImageCommand, CreateRepositoryCommand, DeleteRepositoryCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { adminFetch, runJob } from '../support/admin.js';
import { ecrClient } from '../support/clients.js';
import { buildImage, buildIndex, OCI_MANIFEST, type BuiltImage } from '../support/oci-image.js';
import { loginPassword, Registry, sha256 } from '../support/registry.js';
import { startServer, tempDir, type TestServer } from '../support/server.js';

/** Names (hex) of the committed blob files under the data dir. */
async function blobFiles(dataDir: string): Promise<Set<string>> {
  const root = join(dataDir, 'ecr', 'blobs', 'sha256');
  const names = new Set<string>();
  for (const prefix of await readdir(root).catch(() => [])) for (const name of await readdir(join(root, prefix))) names.add(name);
  return names;
}

const hex = (b: Buffer): string => sha256(b).slice('sha256:'.length);

/** An image sharing `base` as its first layer with every other image built from it. */
async function imageOn(base: Buffer, seed: number): Promise<BuiltImage> {
  const own = await buildImage({ layers: 1, layerSize: 2000, seed });
  const manifest = JSON.parse(own.manifest.toString()) as { layers: { mediaType: string; digest: string; size: number }[] };
  manifest.layers.unshift({ mediaType: manifest.layers[0]!.mediaType, digest: sha256(base), size: base.length });
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { ...own, manifest: bytes, digest: sha256(bytes), layers: [base, ...own.layers], blobs: [own.config, base, ...own.layers] };
}

describe('blob garbage collection (POST /_simfra/jobs/blob-gc)', () => {
  let dir: { path: string; remove(): void };
  let server: TestServer;
  let ecr: ECRClient;
  let reg: Registry;
  let base: Buffer;

  before(async () => {
    dir = tempDir();
    server = await startServer({ dataDir: dir.path });
    ecr = ecrClient(server.url);
    reg = new Registry(server.port, await loginPassword(server.url));
    base = (await buildImage({ layers: 1, layerSize: 5000, seed: 900 })).layers[0]!;
    for (const name of ['one', 'two', 'idx']) await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
  });

  after(async () => {
    ecr.destroy();
    await server.close();
    dir.remove();
  });

  async function push(repo: string, tag: string, image: BuiltImage): Promise<void> {
    await reg.pushImage(repo, tag, { manifest: image.manifest, mediaType: OCI_MANIFEST, blobs: image.blobs });
  }

  async function assertPullable(repo: string, image: BuiltImage): Promise<void> {
    const m = await reg.request('GET', `/v2/${repo}/manifests/${image.digest}`, { headers: { accept: OCI_MANIFEST } });
    assert.equal(m.status, 200);
    assert.ok(m.body.equals(image.manifest));
    for (const blob of image.blobs) {
      const res = await reg.request('GET', `/v2/${repo}/blobs/${sha256(blob)}`);
      assert.equal(res.status, 200);
      assert.ok(res.body.equals(blob), `blob ${sha256(blob)} of ${repo}`);
    }
  }

  it('frees what BatchDeleteImage orphaned, keeps shared layers, and the rest stays pullable', async () => {
    // given two images sharing a base layer in repository one, and a third in repository two
    const [a, b, c] = await Promise.all([imageOn(base, 1), imageOn(base, 2), imageOn(base, 3)]);
    await push('one', 'a', a);
    await push('one', 'b', b);
    await push('two', 'c', c);
    // when image a is deleted through the API and a sweep runs with no grace
    await ecr.send(new BatchDeleteImageCommand({ repositoryName: 'one', imageIds: [{ imageDigest: a.digest }] }));
    const result = await runJob(server.url, 'blob-gc', { graceSeconds: 0 });
    // then exactly a's config and own layer are freed, from disk too
    assert.equal(result.blobsDeleted, 2);
    assert.equal(result.bytesFreed, a.config.length + a.layers[1]!.length);
    assert.equal(typeof result.ms, 'number');
    const files = await blobFiles(dir.path);
    assert.equal(files.has(hex(a.config)), false);
    assert.equal(files.has(hex(a.layers[1]!)), false);
    assert.equal(files.has(hex(base)), true);
    // and b and c are still pullable byte for byte
    await assertPullable('one', b);
    await assertPullable('two', c);
  });

  it('frees the blobs of a repository deleted with force, except those another repository uses', async () => {
    // given repository two holds image c (sharing the base layer with repository one's b)
    const c = await imageOn(base, 3);
    // when repository two is deleted with its images and a sweep runs
    await ecr.send(new DeleteRepositoryCommand({ repositoryName: 'two', force: true }));
    const result = await runJob(server.url, 'blob-gc', { graceSeconds: 0 });
    // then c's own blobs are gone and the base layer stays for b
    assert.equal(result.blobsDeleted, 2);
    const files = await blobFiles(dir.path);
    assert.equal(files.has(hex(c.config)), false);
    assert.equal(files.has(hex(c.layers[1]!)), false);
    await assertPullable('one', await imageOn(base, 2));
  });

  it('frees the children of an index once the index and the children are deleted', async () => {
    // given an index of two images
    const [x, y] = await Promise.all([buildImage({ layers: 2, layerSize: 1000, seed: 41 }), buildImage({ layers: 2, layerSize: 1000, seed: 42 })]);
    await push('idx', x.digest, x);
    await push('idx', y.digest, y);
    const index = buildIndex([x, y]);
    assert.equal((await reg.pushManifest('idx', 'multi', index.manifest, index.mediaType)).status, 201);
    // when the index is deleted, a sweep keeps the children's blobs (they are still images)
    await ecr.send(new BatchDeleteImageCommand({ repositoryName: 'idx', imageIds: [{ imageTag: 'multi' }] }));
    assert.equal((await runJob(server.url, 'blob-gc', { graceSeconds: 0 })).blobsDeleted, 0);
    await assertPullable('idx', x);
    // when the children go too
    await ecr.send(new BatchDeleteImageCommand({ repositoryName: 'idx', imageIds: [{ imageDigest: x.digest }, { imageDigest: y.digest }] }));
    const result = await runJob(server.url, 'blob-gc', { graceSeconds: 0 });
    // then all six of their blobs are freed
    assert.equal(result.blobsDeleted, 6);
    const files = await blobFiles(dir.path);
    for (const blob of [...x.blobs, ...y.blobs]) assert.equal(files.has(hex(blob)), false);
  });

  it('keeps a blob just pushed without its manifest under the default grace period', async () => {
    // given a blob pushed, its manifest not yet put, and an upload in flight
    const image = await buildImage({ layers: 1, layerSize: 1000, seed: 77 });
    for (const blob of image.blobs) await reg.pushBlob('one', blob);
    const session = await reg.request('POST', '/v2/one/blobs/uploads/');
    const location = String(session.headers.location);
    const pending = Buffer.from('part of a layer in flight');
    await reg.request('PATCH', location, { body: pending.subarray(0, 10), headers: { 'content-range': '0-9' } });
    // when a sweep runs with the default grace
    const result = await runJob(server.url, 'blob-gc');
    // then nothing of it goes: the manifest can still be put and the upload completed
    assert.equal(result.blobsDeleted, 0);
    assert.equal((await reg.pushManifest('one', 'late', image.manifest, OCI_MANIFEST)).status, 201);
    const done = await reg.request('PUT', `${location}${location.includes('?') ? '&' : '?'}digest=${sha256(pending)}`, {
      body: pending.subarray(10),
      headers: { 'content-range': `10-${pending.length - 1}` },
    });
    assert.equal(done.status, 201);
    await assertPullable('one', image);
  });

  it('refuses options it cannot take', async () => {
    // given / when / then
    for (const body of ['{"graceSeconds":-1}', '{"graceSeconds":"0"}', '{"grace":0}']) {
      const res = await adminFetch(server.url, '/jobs/blob-gc', { method: 'POST', body });
      assert.equal(res.status, 400, body);
      assert.match(await res.text(), /grace/);
    }
  });
});

describe('blob garbage collection across a restart (SIMFRA_DATA_DIR)', () => {
  it('still knows which blobs are referenced after a restart, and frees the rest', async () => {
    const dir = tempDir();
    try {
      // given a server that pushed two images, deleted one and stopped
      const [keep, drop] = await Promise.all([buildImage({ layers: 2, layerSize: 1500, seed: 61 }), buildImage({ layers: 2, layerSize: 1500, seed: 62 })]);
      const first = await startServer({ dataDir: dir.path });
      const ecr = ecrClient(first.url);
      try {
        await ecr.send(new CreateRepositoryCommand({ repositoryName: 'rr' }));
        const reg = new Registry(first.port, await loginPassword(first.url));
        await reg.pushImage('rr', 'keep', { manifest: keep.manifest, mediaType: OCI_MANIFEST, blobs: keep.blobs });
        await reg.pushImage('rr', 'drop', { manifest: drop.manifest, mediaType: OCI_MANIFEST, blobs: drop.blobs });
        await ecr.send(new BatchDeleteImageCommand({ repositoryName: 'rr', imageIds: [{ imageTag: 'drop' }] }));
      } finally {
        ecr.destroy();
        await first.close();
      }
      // when a new server on the same data dir sweeps
      const second = await startServer({ dataDir: dir.path });
      try {
        const result = await runJob(second.url, 'blob-gc', { graceSeconds: 0 });
        // then the deleted image's three blobs are gone and the kept image pulls byte for byte
        assert.equal(result.blobsDeleted, 3);
        assert.equal(result.blobsKept, 3);
        const files = await blobFiles(dir.path);
        for (const blob of drop.blobs) assert.equal(files.has(hex(blob)), false);
        const reg = new Registry(second.port, await loginPassword(second.url));
        for (const blob of keep.blobs) assert.ok((await reg.request('GET', `/v2/rr/blobs/${sha256(blob)}`)).body.equals(blob));
      } finally {
        await second.close();
      }
    } finally {
      dir.remove();
    }
  });
});
