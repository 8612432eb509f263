import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { describe, it } from 'node:test';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { ecrClient } from '../support/clients.js';
import { buildImage, OCI_MANIFEST } from '../support/oci-image.js';
import { loginPassword, randomBytes, randomStream, Registry, sha256 } from '../support/registry.js';
import { spawnServer, tempDir, type ChildServer } from '../support/server.js';

async function createRepository(server: ChildServer, name: string): Promise<void> {
  const ecr = ecrClient(server.url);
  try {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
  } finally {
    ecr.destroy();
  }
}

/** Every committed blob file under the data dir, with whether its bytes hash to its name. */
async function committedBlobs(dataDir: string): Promise<{ name: string; intact: boolean }[]> {
  const root = join(dataDir, 'ecr', 'blobs', 'sha256');
  const found: { name: string; intact: boolean }[] = [];
  for (const prefix of await readdir(root).catch(() => [])) {
    for (const name of await readdir(join(root, prefix))) {
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(join(root, prefix, name))) hash.update(chunk as Buffer);
      found.push({ name, intact: hash.digest('hex') === name });
    }
  }
  return found;
}

describe('registry state across restarts and crashes (SIMFRA_DATA_DIR)', () => {
  it('brings back pushed images, blobs and open upload sessions after a restart', async () => {
    const dir = tempDir();
    try {
      // given a server with a pushed image and a half-done upload
      const first = await spawnServer({ SIMFRA_DATA_DIR: dir.path });
      await createRepository(first, 'keep');
      const password = await loginPassword(first.url);
      const image = await buildImage({ layers: 3, layerSize: 200_000, seed: 5 });
      await new Registry(first.port, password).pushImage('keep', 'v1', { manifest: image.manifest, mediaType: OCI_MANIFEST, blobs: image.blobs });
      const pending = await randomBytes(3000, 6);
      const session = await new Registry(first.port, password).request('POST', '/v2/keep/blobs/uploads/');
      const location = String(session.headers.location);
      await new Registry(first.port, password).request('PATCH', location, { body: pending.subarray(0, 1000), headers: { 'content-range': '0-999' } });
      // when it stops and starts again
      assert.equal(await first.stop('SIGTERM'), 0);
      const second = await spawnServer({ SIMFRA_DATA_DIR: dir.path });
      try {
        // then the same token still works, and everything pushed is there, byte for byte
        const reg = new Registry(second.port, password);
        const manifest = await reg.request('GET', '/v2/keep/manifests/v1');
        assert.equal(manifest.status, 200);
        assert.ok(manifest.body.equals(image.manifest));
        for (const blob of image.blobs) assert.ok((await reg.request('GET', `/v2/keep/blobs/${sha256(blob)}`)).body.equals(blob));
        // and the upload resumes where it was
        const status = await reg.request('GET', location);
        assert.equal(status.status, 204);
        assert.equal(status.headers.range, '0-999');
        await reg.request('PATCH', location, { body: pending.subarray(1000), headers: { 'content-range': `1000-${pending.length - 1}` } });
        assert.equal((await reg.request('PUT', `${location}?digest=${sha256(pending)}`)).status, 201);
        assert.ok((await reg.request('GET', `/v2/keep/blobs/${sha256(pending)}`)).body.equals(pending));
      } finally {
        await second.stop();
      }
    } finally {
      dir.remove();
    }
  });

  it('leaves no partial blob visible and loses nothing acknowledged when killed during a large upload', async () => {
    const dir = tempDir();
    try {
      // given a pushed image and an upload with one acknowledged chunk
      const first = await spawnServer({ SIMFRA_DATA_DIR: dir.path });
      await createRepository(first, 'crash');
      const password = await loginPassword(first.url);
      const reg = new Registry(first.port, password);
      const image = await buildImage({ layers: 2, layerSize: 100_000, seed: 7 });
      await reg.pushImage('crash', 'v1', { manifest: image.manifest, mediaType: OCI_MANIFEST, blobs: image.blobs });
      const acknowledged = await randomBytes(1 << 20, 8);
      const location = String((await reg.request('POST', '/v2/crash/blobs/uploads/')).headers.location);
      const ack = await reg.request('PATCH', location, { body: acknowledged, headers: { 'content-range': `0-${acknowledged.length - 1}` } });
      assert.equal(ack.status, 202);
      // when the process is SIGKILLed while a big chunk streams in (and a monolithic push too)
      let sent = 0;
      const killAfter = 64 << 20;
      let killed: Promise<number | null> | undefined;
      const counting = () =>
        new Transform({
          transform(chunk: Buffer, _enc, done) {
            sent += chunk.length;
            if (sent >= killAfter && killed === undefined) killed = first.stop('SIGKILL');
            done(null, chunk);
          },
        });
      const big = 1 << 30;
      const chunk = reg.request('PATCH', location, { body: randomStream(big, 9).pipe(counting()) }).catch((e: unknown) => e);
      const mono = reg
        .request('POST', `/v2/crash/blobs/uploads/?digest=${sha256('x')}`, { body: randomStream(big, 10) })
        .catch((e: unknown) => e);
      const outcomes = await Promise.all([chunk, mono]);
      assert.ok(killed, 'the server was killed mid-upload');
      assert.equal(await killed, null);
      for (const o of outcomes) assert.ok(o instanceof Error, 'the in-flight requests never got an answer');
      // then no partial blob is visible on disk
      const blobs = await committedBlobs(dir.path);
      assert.ok(blobs.every((b) => b.intact), JSON.stringify(blobs.filter((b) => !b.intact)));
      assert.deepEqual(blobs.map((b) => `sha256:${b.name}`).sort(), image.blobs.map((b) => sha256(b)).sort());
      // and after a restart everything acknowledged is intact
      const second = await spawnServer({ SIMFRA_DATA_DIR: dir.path });
      try {
        const again = new Registry(second.port, password);
        const manifest = await again.request('GET', '/v2/crash/manifests/v1');
        assert.ok(manifest.body.equals(image.manifest));
        for (const blob of image.blobs) assert.ok((await again.request('GET', `/v2/crash/blobs/${sha256(blob)}`)).body.equals(blob));
        const status = await again.request('GET', location);
        assert.equal(status.status, 204);
        assert.equal(status.headers.range, `0-${acknowledged.length - 1}`, 'the unacknowledged chunk was cut off');
        const done = await again.request('PUT', `${location}?digest=${sha256(acknowledged)}`);
        assert.equal(done.status, 201);
        assert.ok((await again.request('GET', `/v2/crash/blobs/${sha256(acknowledged)}`)).body.equals(acknowledged));
      } finally {
        await second.stop();
      }
    } finally {
      dir.remove();
    }
  });
});
