import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  GetAccountSettingCommand,
  ListTagsForResourceCommand,
  PutAccountSettingCommand,
} from '@aws-sdk/client-ecr';
import { ecrClient } from '../support/clients.js';
import { loginPassword, Registry } from '../support/registry.js';
import { spawnServer, tempDir } from '../support/server.js';
import { adminFetch } from '../support/admin.js';

describe('persistence with SIMFRA_DATA_DIR and process lifecycle', () => {
  it('logs its endpoint, stops on SIGTERM and SIGINT, and brings everything back after a restart', async () => {
    const dir = tempDir();
    try {
      // given a server with a data dir and some state
      const first = await spawnServer({ SIMFRA_DATA_DIR: dir.path });
      assert.match(first.output(), /simfra listening on http:\/\/127\.0\.0\.1:\d+ \(account 000000000000, region us-east-1, state in /);
      const created = (await (
        await adminFetch(first.url, '/accounts', { method: 'POST', body: JSON.stringify({ accountId: '444455556666' }) })
      ).json()) as { accessKeyId: string; secretAccessKey: string };
      let ecr = ecrClient(first.url);
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'kept', tags: [{ Key: 'k', Value: 'v' }] }));
      await ecr.send(new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value: 'ENABLED' }));
      ecr.destroy();
      const token1 = (await (await adminFetch(first.url, '/accounts')).json()) as unknown;
      // when it stops and starts again on the same data dir
      assert.equal(await first.stop('SIGTERM'), 0);
      const second = await spawnServer({ SIMFRA_DATA_DIR: dir.path });
      // then
      ecr = ecrClient(second.url);
      const repos = await ecr.send(new DescribeRepositoriesCommand({}));
      assert.deepEqual(repos.repositories?.map((r) => r.repositoryName), ['kept']);
      assert.equal(repos.repositories?.[0]?.repositoryUri, `000000000000.dkr.ecr.us-east-1.localhost:${second.port}/kept`);
      const tags = await ecr.send(new ListTagsForResourceCommand({ resourceArn: repos.repositories![0]!.repositoryArn! }));
      assert.deepEqual(tags.tags, [{ Key: 'k', Value: 'v' }]);
      assert.equal((await ecr.send(new GetAccountSettingCommand({ name: 'BLOB_MOUNTING' }))).value, 'ENABLED');
      ecr.destroy();
      const other = ecrClient(second.url, created);
      assert.deepEqual((await other.send(new DescribeRepositoriesCommand({}))).repositories, []);
      other.destroy();
      assert.deepEqual((await (await adminFetch(second.url, '/accounts')).json()) as unknown, token1);
      assert.equal(statSync(join(dir.path, '.master_key')).mode & 0o777, 0o600);
      assert.equal(await second.stop('SIGINT'), 0);
    } finally {
      dir.remove();
    }
  });

  it('keeps secrets sealed: a wrong SIMFRA_PERSISTENCE_KEY cannot read them', async () => {
    const dir = tempDir();
    try {
      const first = await spawnServer({ SIMFRA_DATA_DIR: dir.path, SIMFRA_PERSISTENCE_KEY: 'the right key, long enough' });
      await first.stop();
      await assert.rejects(spawnServer({ SIMFRA_DATA_DIR: dir.path, SIMFRA_PERSISTENCE_KEY: 'a wrong key, long enough too' }), /master key/);
    } finally {
      dir.remove();
    }
  });

  it('refuses a SIMFRA_PERSISTENCE_KEY shorter than 16 characters with one clear line', async () => {
    const dir = tempDir();
    try {
      // when / then
      await assert.rejects(
        spawnServer({ SIMFRA_DATA_DIR: dir.path, SIMFRA_PERSISTENCE_KEY: 'short' }),
        (e: Error) => {
          assert.match(e.message, /simfra exited with 2/);
          assert.match(e.message, /simfra: SIMFRA_PERSISTENCE_KEY must be at least 16 characters \(it was 5\)/);
          return true;
        },
      );
    } finally {
      dir.remove();
    }
  });

  it('refuses to start a second simfra on a data dir one is running on, with one clear line', { timeout: 30_000 }, async () => {
    const dir = tempDir();
    try {
      // given a server running on a data dir
      const first = await spawnServer({ SIMFRA_DATA_DIR: dir.path });
      try {
        // when a second starts on the same dir
        // then it stops (after SQLite's 5 s wait for the lock), saying why, and the first serves on
        await assert.rejects(spawnServer({ SIMFRA_DATA_DIR: dir.path }), (e: Error) => {
          assert.match(e.message, /simfra exited with 1/);
          assert.match(e.message, /simfra: failed to start: .*simfra\.db is in use by another process \(is another simfra running on this data directory\?\)\n/);
          assert.doesNotMatch(e.message, /\bat /, 'no stack trace');
          return true;
        });
        const ecr = ecrClient(first.url);
        await ecr.send(new CreateRepositoryCommand({ repositoryName: 'still-served' }));
        ecr.destroy();
      } finally {
        await first.stop();
      }
      // and once the first has stopped, a new one starts there
      const next = await spawnServer({ SIMFRA_DATA_DIR: dir.path });
      const ecr = ecrClient(next.url);
      const repos = await ecr.send(new DescribeRepositoriesCommand({}));
      ecr.destroy();
      await next.stop();
      assert.deepEqual(repos.repositories?.map((r) => r.repositoryName), ['still-served']);
    } finally {
      dir.remove();
    }
  });

  it('keeps the data dir private: 0700 directories, 0600 files (database, blobs, upload sessions)', async () => {
    const parent = tempDir();
    const data = join(parent.path, 'data');
    try {
      // given: a server on a new data dir, a pushed blob and an upload session left open
      const server = await spawnServer({ SIMFRA_DATA_DIR: data });
      const ecr = ecrClient(server.url);
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'private' }));
      ecr.destroy();
      const registry = new Registry(server.port, await loginPassword(server.url));
      await registry.pushBlob('private', 'a layer nobody else may read');
      const open = await registry.request('POST', '/v2/private/blobs/uploads/');
      assert.equal(open.status, 202);
      // when: we walk everything simfra made
      const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = join(e.parentPath ?? dir, e.name);
        return e.isDirectory() ? [p, ...walk(p)] : [p];
      });
      const entries = walk(data);
      await server.stop();
      // then
      assert.equal(statSync(data).mode & 0o777, 0o700, 'data dir');
      // (no simfra.db-shm: simfra holds the database's lock, so SQLite keeps its WAL index in memory)
      for (const name of ['simfra.db', 'simfra.db-wal']) {
        assert.ok(entries.includes(join(data, name)), `${name} exists`);
      }
      assert.ok(entries.some((p) => p.includes(join('ecr', 'blobs', 'sha256'))), 'a blob file');
      assert.ok(entries.some((p) => p.includes(join('ecr', 'uploads'))), 'an upload session');
      for (const p of entries) {
        const s = statSync(p, { throwIfNoEntry: false });
        if (s === undefined) continue; // -wal/-shm go when the database closes
        assert.equal(s.mode & 0o777, s.isDirectory() ? 0o700 : 0o600, p);
      }
    } finally {
      parent.remove();
    }
  });
});
