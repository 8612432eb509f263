import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { REGION, ROOT, startServer, tempDir } from '../support/server.js';

const smClient = (url: string) => new SecretsManagerClient({ endpoint: url, region: REGION, credentials: ROOT, maxAttempts: 1 });

/** Every file under `dir`, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

describe('Secrets Manager state across a restart (SIMFRA_DATA_DIR)', () => {
  it('secrets, versions, tags and scheduled deletions survive; no value is on disk in the clear', async () => {
    const dir = tempDir();
    const VALUE = 'pt-Very-Secret-Token-8d1f3a';
    const BINARY = Buffer.from('bin-Secret-Bytes-77c2e0');
    try {
      // given a server with secrets
      const first = await startServer({ dataDir: dir.path });
      let sm = smClient(first.url);
      const hub = await sm.send(new CreateSecretCommand({ Name: 'ecr-pullthroughcache/hub', SecretString: `${VALUE}-old`, Tags: [{ Key: 'k', Value: 'v' }] }));
      const put = await sm.send(new PutSecretValueCommand({ SecretId: hub.ARN, SecretString: VALUE }));
      await sm.send(new CreateSecretCommand({ Name: 'bin', SecretBinary: BINARY }));
      await sm.send(new CreateSecretCommand({ Name: 'doomed', SecretString: `${VALUE}-doomed` }));
      const deletion = await sm.send(new DeleteSecretCommand({ SecretId: 'doomed', RecoveryWindowInDays: 10 }));
      sm.destroy();
      await first.close();

      // then no file under the data dir holds a value in the clear (while the metadata is there to see)
      const all = files(dir.path);
      assert.ok(all.some((file) => readFileSync(file).indexOf('ecr-pullthroughcache/hub') >= 0), 'the scan sees the stored secrets');
      for (const file of all) {
        const bytes = readFileSync(file);
        assert.equal(bytes.indexOf('Very-Secret-Token'), -1, `${file} holds a secret string`);
        assert.equal(bytes.indexOf('Secret-Bytes'), -1, `${file} holds secret bytes`);
      }

      // when restarted on the same data dir
      const second = await startServer({ dataDir: dir.path });
      sm = smClient(second.url);
      try {
        // then
        const v = await sm.send(new GetSecretValueCommand({ SecretId: 'ecr-pullthroughcache/hub' }));
        assert.equal(v.SecretString, VALUE);
        assert.equal(v.VersionId, put.VersionId);
        assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: hub.ARN, VersionStage: 'AWSPREVIOUS' }))).SecretString, `${VALUE}-old`);
        assert.deepEqual(Buffer.from((await sm.send(new GetSecretValueCommand({ SecretId: 'bin' }))).SecretBinary!), BINARY);
        const d = await sm.send(new DescribeSecretCommand({ SecretId: hub.ARN }));
        assert.deepEqual(d.Tags, [{ Key: 'k', Value: 'v' }]);
        const doomed = await sm.send(new DescribeSecretCommand({ SecretId: 'doomed' }));
        assert.ok(doomed.DeletedDate instanceof Date);
        await assert.rejects(sm.send(new GetSecretValueCommand({ SecretId: 'doomed' })), { name: 'InvalidRequestException' });
        assert.ok(deletion.DeletionDate);
      } finally {
        sm.destroy();
        await second.close();
      }
    } finally {
      dir.remove();
    }
  });
});
