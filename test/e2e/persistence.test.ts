import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
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
      const first = await spawnServer({ SIMFRA_DATA_DIR: dir.path, SIMFRA_PERSISTENCE_KEY: 'right key' });
      await first.stop();
      await assert.rejects(spawnServer({ SIMFRA_DATA_DIR: dir.path, SIMFRA_PERSISTENCE_KEY: 'wrong key' }), /master key/);
    } finally {
      dir.remove();
    }
  });
});
