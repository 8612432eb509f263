/**
 * A single-request upload (POST ?digest=) cut off by a crash leaves a session no client knows
 * of; the next start removes it, bytes and record, while a chunked session survives to be
 * resumed.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { ecrClient } from '../support/clients.js';
import { basic, loginPassword, Registry, sha256 } from '../support/registry.js';
import { spawnServer, tempDir } from '../support/server.js';

const uploadDirs = (dataDir: string): Promise<string[]> => readdir(join(dataDir, 'ecr', 'uploads')).catch(() => []);

function uploadRows(dataDir: string): string[] {
  const db = new Database(join(dataDir, 'simfra.db'), { readonly: true });
  try {
    return db
      .prepare<[], { id: string }>('SELECT id FROM uploads')
      .all()
      .map((r) => r.id)
      .sort();
  } finally {
    db.close();
  }
}

describe('upload sessions across a crash (SIMFRA_DATA_DIR)', () => {
  it('removes a single-request upload cut off by SIGKILL at the next start, and keeps a chunked session', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    let server = await spawnServer({ SIMFRA_DATA_DIR: dir.path });
    try {
      // given a chunked session with bytes in it
      const ecr = ecrClient(server.url);
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'crash' }));
      ecr.destroy();
      const password = await loginPassword(server.url);
      const reg = new Registry(server.port, password);
      const started = await reg.request('POST', '/v2/crash/blobs/uploads/');
      const chunkedId = String(started.headers['docker-upload-uuid']);
      const patched = await reg.request('PATCH', String(started.headers.location), { body: Buffer.alloc(4096, 1) });
      assert.equal(patched.status, 202, patched.text);
      // and a single-request upload half sent when the process is killed
      const whole = Buffer.alloc(2 << 20, 2);
      const mono = request({
        host: '127.0.0.1',
        port: server.port,
        method: 'POST',
        path: `/v2/crash/blobs/uploads/?digest=${sha256(whole)}`,
        headers: { authorization: basic(password), 'content-length': whole.length },
      });
      mono.on('error', () => undefined);
      mono.write(whole.subarray(0, 1 << 20));
      let dirs: string[] = [];
      for (let i = 0; i < 100 && dirs.length < 2; i++) {
        await sleep(50);
        dirs = await uploadDirs(dir.path);
      }
      assert.equal(dirs.length, 2, `both sessions on disk: ${dirs.join(', ')}`);
      const monoId = dirs.find((d) => d !== chunkedId)!;
      // when the process dies mid-body (both sessions recorded: the database can be read once
      // the server has let go of it) and starts again
      await server.stop('SIGKILL');
      mono.destroy();
      assert.deepEqual(uploadRows(dir.path), [chunkedId, monoId].sort());
      server = await spawnServer({ SIMFRA_DATA_DIR: dir.path });
      // then the single-request session is gone, bytes and record
      assert.deepEqual(await uploadDirs(dir.path), [chunkedId]);
      // and the chunked one can be resumed and completed
      const reg2 = new Registry(server.port, await loginPassword(server.url));
      const status = await reg2.request('GET', `/v2/crash/blobs/uploads/${chunkedId}`);
      assert.equal(status.status, 204, status.text);
      assert.equal(status.headers.range, '0-4095');
      await server.stop();
      assert.deepEqual(uploadRows(dir.path), [chunkedId]);
    } finally {
      await server.stop('SIGKILL');
      dir.remove();
    }
  });
});
