import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetKeyPolicyCommand,
  ListAliasesCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { kmsClient } from '../support/kms.js';
import { startServer, tempDir } from '../support/server.js';

describe('KMS state across a restart (SIMFRA_DATA_DIR)', () => {
  it('keys, aliases, states, policies and key material survive; the material is sealed in the database', async () => {
    const dir = tempDir();
    try {
      // given a server with keys, an alias and ciphertexts
      const first = await startServer({ dataDir: dir.path });
      let kms = kmsClient(first.url);
      const key = (await kms.send(new CreateKeyCommand({ Description: 'kept' }))).KeyMetadata!;
      const disabled = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
      const doomed = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
      await kms.send(new CreateAliasCommand({ AliasName: 'alias/kept', TargetKeyId: key.KeyId }));
      await kms.send(new DisableKeyCommand({ KeyId: disabled.KeyId }));
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: doomed.KeyId, PendingWindowInDays: 10 }));
      const enc = await kms.send(new EncryptCommand({ KeyId: 'alias/kept', Plaintext: Buffer.from('durable'), EncryptionContext: { a: 'b' } }));
      const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: 'AES_256' }));
      const managed = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/ecr' }))).KeyMetadata!;
      const policy = (await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId }))).Policy;
      kms.destroy();
      await first.close();

      // then nothing in the database holds key material in the clear
      const db = new Database(join(dir.path, 'simfra.db'), { readonly: true });
      const rows = db.prepare<[], { material: string }>('SELECT material FROM kms_keys').all();
      db.close();
      assert.equal(rows.length, 4);
      assert.ok(rows.every((r) => r.material.startsWith('v1.') && !r.material.includes('"key"')));

      // when restarted on the same data dir
      const second = await startServer({ dataDir: dir.path });
      kms = kmsClient(second.url);
      try {
        // then
        const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { a: 'b' } }));
        assert.equal(Buffer.from(dec.Plaintext!).toString(), 'durable');
        const dk = await kms.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob }));
        assert.deepEqual(Buffer.from(dk.Plaintext!), Buffer.from(dataKey.Plaintext!));
        assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/kept' }))).KeyMetadata?.Description, 'kept');
        assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: disabled.KeyId }))).KeyMetadata?.KeyState, 'Disabled');
        const pending = (await kms.send(new DescribeKeyCommand({ KeyId: doomed.KeyId }))).KeyMetadata!;
        assert.equal(pending.KeyState, 'PendingDeletion');
        assert.equal(pending.PendingDeletionWindowInDays, 10);
        assert.ok(pending.DeletionDate instanceof Date);
        assert.equal((await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId }))).Policy, policy);
        assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/ecr' }))).KeyMetadata?.KeyId, managed.KeyId);
        const aliases = (await kms.send(new ListAliasesCommand({}))).Aliases!;
        assert.equal(aliases.find((a) => a.AliasName === 'alias/kept')?.TargetKeyId, key.KeyId);
      } finally {
        kms.destroy();
        await second.close();
      }
    } finally {
      dir.remove();
    }
  });
});
