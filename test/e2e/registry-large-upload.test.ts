import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { describe, it } from 'node:test';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { ecrClient } from '../support/clients.js';
import { loginPassword, randomStream, Registry } from '../support/registry.js';
import { spawnServer, tempDir } from '../support/server.js';

/** Peak resident set of a process, from /proc (Linux). */
async function peakRssMiB(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const kb = status && /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : undefined;
}

describe('a 1 GiB layer to the filesystem store', () => {
  it('streams through (peak RSS under 105 MiB) and reads back with the same digest', { timeout: 300_000 }, async (t) => {
    if (process.platform !== 'linux') return t.skip('peak RSS is read from /proc (Linux only)');
    const dir = tempDir();
    // The bundle, as `npm start` runs it: the bound is on what users run, not on tsx's compiler.
    const server = await spawnServer({ SIMFRA_DATA_DIR: dir.path, SIMFRA_LOG_LEVEL: 'info' }, { bundle: true });
    try {
      // given
      const ecr = ecrClient(server.url);
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'big' }));
      ecr.destroy();
      const reg = new Registry(server.port, await loginPassword(server.url));
      const size = 1 << 30;
      const hash = createHash('sha256');
      const hashing = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      });
      // when one chunked PATCH (no Content-Length) carries the whole layer
      const location = String((await reg.request('POST', '/v2/big/blobs/uploads/')).headers.location);
      const patch = await reg.request('PATCH', location, { body: randomStream(size, 42).pipe(hashing) });
      assert.equal(patch.status, 202, patch.text);
      assert.equal(patch.headers.range, `0-${size - 1}`);
      const digest = `sha256:${hash.digest('hex')}`;
      const put = await reg.request('PUT', `${String(patch.headers.location)}?digest=${digest}`);
      assert.equal(put.status, 201, put.text);
      // then
      const peak = await peakRssMiB(server.child.pid!);
      assert.ok(peak !== undefined && peak < 105, `peak RSS ${peak} MiB`);
      t.diagnostic(`peak RSS while pushing 1 GiB: ${peak?.toFixed(1)} MiB`);
      const head = await reg.request('HEAD', `/v2/big/blobs/${digest}`);
      assert.equal(head.headers['content-length'], String(size));
      const tail = await reg.request('GET', `/v2/big/blobs/${digest}`, { headers: { range: `bytes=${size - 16}-` } });
      assert.equal(tail.status, 206);
      assert.equal(tail.body.length, 16);
    } finally {
      await server.stop();
      dir.remove();
    }
  });
});
