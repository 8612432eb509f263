/**
 * A full disk, for real: the blob directory is an 8 MiB tmpfs. Clients are told plainly that
 * storage is full (registry 507 STORAGE_FULL, ECR API ServerException), nothing half-written
 * becomes visible, and the same uploads succeed once space is freed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  InitiateLayerUploadCommand,
  UploadLayerPartCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { ecrClient } from '../support/clients.js';
import { loginPassword, Registry, sha256 } from '../support/registry.js';
import { startServer, tempDir, type TestServer } from '../support/server.js';

const MiB = 1024 * 1024;

/** Mounts an 8 MiB tmpfs at `dir`; undefined when this machine does not allow it (needs root / CAP_SYS_ADMIN). */
function mountTinyFs(dir: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return `cannot mount a tmpfs (needs root or CAP_SYS_ADMIN and the mount tool): ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`;
  }
}

describe('a full disk', () => {
  const dir = tempDir();
  const blobDir = join(dir.path, 'ecr');
  const filler = join(blobDir, 'filler');
  let unavailable: string | undefined;
  let server: TestServer | undefined;
  let ecr: ECRClient;
  let reg: Registry;
  const blob = Buffer.alloc(4 * MiB, 0x5a);

  before(async () => {
    mkdirSync(blobDir, { recursive: true });
    unavailable = mountTinyFs(blobDir);
    if (unavailable !== undefined) return;
    server = await startServer({ dataDir: dir.path });
    ecr = ecrClient(server.url);
    reg = new Registry(server.port, await loginPassword(server.url));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'full' }));
    // 6 of the 8 MiB taken: a 4 MiB layer cannot fit.
    writeFileSync(filler, Buffer.alloc(6 * MiB, 1));
  });

  after(async () => {
    ecr?.destroy();
    await server?.close();
    if (unavailable === undefined) execFileSync('umount', [blobDir]);
    dir.remove();
  });

  it('registry: a single-request upload is 507 STORAGE_FULL and leaves nothing behind', async (t) => {
    if (unavailable !== undefined) return t.skip(unavailable);
    // when
    const res = await reg.request('POST', `/v2/full/blobs/uploads/?digest=${sha256(blob)}`, { body: blob });
    // then
    assert.equal(res.status, 507, res.text);
    const [error] = res.json<{ errors: { code: string; message: string; detail: unknown }[] }>().errors;
    assert.equal(error?.code, 'STORAGE_FULL');
    assert.match(error?.message ?? '', /^storage is full: /);
    assert.deepEqual(error?.detail, { cause: 'ENOSPC' });
    assert.equal((await reg.request('HEAD', `/v2/full/blobs/${sha256(blob)}`)).status, 404);
    assert.deepEqual(readdirSync(join(blobDir, 'uploads')), []);
  });

  it('registry: a chunk that does not fit is refused, the session keeps what it had, and succeeds once space is freed', async (t) => {
    if (unavailable !== undefined) return t.skip(unavailable);
    // given a session with 1 KiB in it
    const started = await reg.request('POST', '/v2/full/blobs/uploads/');
    const first = Buffer.alloc(1024, 3);
    const one = await reg.request('PATCH', String(started.headers.location), { body: first });
    assert.equal(one.status, 202, one.text);
    // when the next chunk does not fit
    const full = await reg.request('PATCH', String(one.headers.location), { body: blob, headers: { 'content-range': `1024-${1024 + blob.length - 1}` } });
    // then
    assert.equal(full.status, 507, full.text);
    const status = await reg.request('GET', String(one.headers.location));
    assert.equal(status.headers.range, '0-1023');
    // when space is freed, the same chunk goes through
    rmSync(filler);
    try {
      const retry = await reg.request('PATCH', String(one.headers.location), { body: blob, headers: { 'content-range': `1024-${1024 + blob.length - 1}` } });
      assert.equal(retry.status, 202, retry.text);
      const whole = Buffer.concat([first, blob]);
      const put = await reg.request('PUT', `${String(retry.headers.location)}?digest=${sha256(whole)}`);
      assert.equal(put.status, 201, put.text);
      const got = await reg.request('GET', `/v2/full/blobs/${sha256(whole)}`);
      assert.equal(sha256(got.body), sha256(whole));
    } finally {
      writeFileSync(filler, Buffer.alloc(1 * MiB, 1));
    }
  });

  it('API: UploadLayerPart is a ServerException that says storage is full, and can be retried', async (t) => {
    if (unavailable !== undefined) return t.skip(unavailable);
    // given less room left than the part needs
    writeFileSync(join(blobDir, 'filler2'), Buffer.alloc(2 * MiB, 1));
    const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'full' }));
    const part = Buffer.alloc(3 * MiB, 0x42);
    const upload = () =>
      ecr.send(new UploadLayerPartCommand({ repositoryName: 'full', uploadId, partFirstByte: 0, partLastByte: part.length - 1, layerPartBlob: part }));
    // when / then
    await assert.rejects(upload(), (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(e.name, 'ServerException');
      assert.match(e.message, /^Storage is full \(ENOSPC\): .*nothing was stored/);
      return true;
    });
    // and after freeing space the same part and the completion succeed
    rmSync(join(blobDir, 'filler2'));
    rmSync(filler);
    const ok = await upload();
    assert.equal(ok.lastByteReceived, part.length - 1);
    const done = await ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'full', uploadId, layerDigests: [sha256(part)] }));
    assert.equal(done.layerDigest, sha256(part));
  });
});

describe('a full disk under the metadata database', () => {
  it('answers ServerException (SQLITE_FULL) and works again once space is freed', async (t) => {
    // given the whole data dir on a tmpfs, filled up after start
    const dir = tempDir();
    const unavailable = mountTinyFs(dir.path);
    if (unavailable !== undefined) {
      dir.remove();
      return t.skip(unavailable);
    }
    const server = await startServer({ dataDir: dir.path });
    const ecr = ecrClient(server.url);
    const filler = join(dir.path, 'filler');
    try {
      try {
        writeFileSync(filler, Buffer.alloc(8 * MiB, 1));
      } catch {
        // ENOSPC: the disk is now as full as it gets
      }
      // when repositories are created until the database cannot grow
      let refused: Error | undefined;
      for (let i = 0; i < 200 && refused === undefined; i++) {
        await ecr.send(new CreateRepositoryCommand({ repositoryName: `r${i}-${'x'.repeat(200)}` })).catch((e: Error) => (refused = e));
      }
      // then the client is told why
      assert.equal(refused?.name, 'ServerException');
      assert.match(refused?.message ?? '', /^Storage is full \(SQLITE_FULL\): /);
      // and once space is freed the same call succeeds
      rmSync(filler);
      const created = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'after-full' }));
      assert.equal(created.repository?.repositoryName, 'after-full');
    } finally {
      ecr.destroy();
      await server.close();
      execFileSync('umount', [dir.path]);
      dir.remove();
    }
  });
});
