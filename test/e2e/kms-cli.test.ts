import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { awsCli, boto3 } from '../support/clients.js';
import { hasTool } from '../support/tools.js';
import { defaultKeyPolicyText } from '../support/kms.js';
import { ACCOUNT, REGION, startServer, tempDir, type TestServer } from '../support/server.js';
import { doc, makeUser } from '../support/iam.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const errorOf = (stderr: string): string => /An error occurred \((\w+)\)/.exec(stderr)?.[1] ?? stderr;
const messageOf = (stderr: string): string => /operation: (.*)$/m.exec(stderr)?.[1]?.trim() ?? stderr;

describe('KMS through the aws CLI', async () => {
  const noCli = (await hasTool('aws', '--version')) ? undefined : 'aws CLI not installed';
  let server: TestServer;
  let dir: ReturnType<typeof tempDir>;
  before(async () => {
    server = await startServer();
    dir = tempDir('simfra-kms-cli-');
  });
  after(async () => {
    dir.remove();
    await server.close();
  });

  it('create-key, aliases, encrypt/decrypt with context, data keys, states and policies', { skip: noCli }, async () => {
    // given
    const created = await awsCli(server.url, ['kms', 'create-key', '--description', 'cli key', '--tags', 'TagKey=env,TagValue=dev']);
    assert.equal(created.code, 0, created.stderr);
    const key = created.json<{ KeyMetadata: { KeyId: string; Arn: string; KeyState: string } }>().KeyMetadata;
    assert.equal(key.KeyState, 'Enabled');
    assert.equal((await awsCli(server.url, ['kms', 'create-alias', '--alias-name', 'alias/cli', '--target-key-id', key.KeyId])).code, 0);
    // when: encrypt a file with a context, decrypt without naming the key
    const plainFile = join(dir.path, 'plain.txt');
    writeFileSync(plainFile, 'from the cli');
    const enc = await awsCli(server.url, ['kms', 'encrypt', '--key-id', 'alias/cli', '--plaintext', `fileb://${plainFile}`, '--encryption-context', 'app=web']);
    assert.equal(enc.code, 0, enc.stderr);
    const blob = enc.json<{ CiphertextBlob: string; KeyId: string }>();
    assert.equal(blob.KeyId, key.Arn);
    const blobFile = join(dir.path, 'blob.bin');
    writeFileSync(blobFile, Buffer.from(blob.CiphertextBlob, 'base64'));
    const dec = await awsCli(server.url, ['kms', 'decrypt', '--ciphertext-blob', `fileb://${blobFile}`, '--encryption-context', 'app=web']);
    // then
    assert.equal(dec.code, 0, dec.stderr);
    assert.equal(Buffer.from(dec.json<{ Plaintext: string }>().Plaintext, 'base64').toString(), 'from the cli');
    const wrong = await awsCli(server.url, ['kms', 'decrypt', '--ciphertext-blob', `fileb://${blobFile}`, '--encryption-context', 'app=api']);
    assert.equal(errorOf(wrong.stderr), 'InvalidCiphertextException');
    // data keys
    const dk = await awsCli(server.url, ['kms', 'generate-data-key', '--key-id', key.Arn, '--key-spec', 'AES_256']);
    assert.equal(Buffer.from(dk.json<{ Plaintext: string }>().Plaintext, 'base64').length, 32);
    const dkw = await awsCli(server.url, ['kms', 'generate-data-key-without-plaintext', '--key-id', key.KeyId, '--number-of-bytes', '16']);
    assert.equal(dkw.code, 0, dkw.stderr);
    assert.equal(dkw.json<{ Plaintext?: string }>().Plaintext, undefined);
    // describe, list, policy, rotation, tags
    assert.equal((await awsCli(server.url, ['kms', 'describe-key', '--key-id', `arn:aws:kms:${REGION}:${ACCOUNT}:alias/cli`])).json<{ KeyMetadata: { KeyId: string } }>().KeyMetadata.KeyId, key.KeyId);
    const listed = (await awsCli(server.url, ['kms', 'list-keys'])).json<{ Keys: { KeyId: string }[] }>().Keys;
    assert.ok(listed.some((k) => k.KeyId === key.KeyId));
    const aliases = (await awsCli(server.url, ['kms', 'list-aliases', '--key-id', key.KeyId])).json<{ Aliases: { AliasName: string }[] }>().Aliases;
    assert.deepEqual(aliases.map((a) => a.AliasName), ['alias/cli']);
    const policy = await awsCli(server.url, ['kms', 'get-key-policy', '--key-id', key.KeyId, '--policy-name', 'default', '--output', 'text', '--query', 'Policy']);
    assert.equal(policy.stdout.trim(), defaultKeyPolicyText(ACCOUNT));
    assert.equal((await awsCli(server.url, ['kms', 'enable-key-rotation', '--key-id', key.KeyId])).code, 0);
    assert.equal((await awsCli(server.url, ['kms', 'get-key-rotation-status', '--key-id', key.KeyId])).json<{ KeyRotationEnabled: boolean }>().KeyRotationEnabled, true);
    const tags = (await awsCli(server.url, ['kms', 'list-resource-tags', '--key-id', key.KeyId])).json<{ Tags: unknown[] }>().Tags;
    assert.deepEqual(tags, [{ TagKey: 'env', TagValue: 'dev' }]);
    // disabled, then pending deletion
    assert.equal((await awsCli(server.url, ['kms', 'disable-key', '--key-id', key.KeyId])).code, 0);
    const disabled = await awsCli(server.url, ['kms', 'encrypt', '--key-id', key.KeyId, '--plaintext', `fileb://${plainFile}`]);
    assert.equal(errorOf(disabled.stderr), 'DisabledException');
    assert.equal(messageOf(disabled.stderr), `${key.Arn} is disabled.`);
    const scheduled = await awsCli(server.url, ['kms', 'schedule-key-deletion', '--key-id', key.KeyId, '--pending-window-in-days', '7']);
    assert.equal(scheduled.json<{ KeyState: string }>().KeyState, 'PendingDeletion');
    const pending = await awsCli(server.url, ['kms', 'decrypt', '--ciphertext-blob', `fileb://${blobFile}`, '--encryption-context', 'app=web']);
    assert.equal(errorOf(pending.stderr), 'KMSInvalidStateException');
    assert.equal(messageOf(pending.stderr), `${key.Arn} is pending deletion.`);
    assert.equal((await awsCli(server.url, ['kms', 'cancel-key-deletion', '--key-id', key.KeyId])).code, 0);
    assert.equal((await awsCli(server.url, ['kms', 'describe-key', '--key-id', key.KeyId])).json<{ KeyMetadata: { KeyState: string } }>().KeyMetadata.KeyState, 'Disabled');
    // errors
    const missing = await awsCli(server.url, ['kms', 'describe-key', '--key-id', 'alias/none']);
    assert.equal(errorOf(missing.stderr), 'NotFoundException');
    assert.equal(messageOf(missing.stderr), `Alias arn:aws:kms:${REGION}:${ACCOUNT}:alias/none is not found.`);
    const dup = await awsCli(server.url, ['kms', 'create-alias', '--alias-name', 'alias/cli', '--target-key-id', key.KeyId]);
    assert.equal(errorOf(dup.stderr), 'AlreadyExistsException');
    const lock = await awsCli(server.url, ['kms', 'put-key-policy', '--key-id', key.KeyId, '--policy-name', 'default', '--policy', doc([{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*' }])]);
    assert.equal(errorOf(lock.stderr), 'MalformedPolicyDocumentException');
    assert.equal(messageOf(lock.stderr), 'The new key policy will not allow you to update the key policy in the future.');
    assert.equal((await awsCli(server.url, ['kms', 'update-alias', '--alias-name', 'alias/cli', '--target-key-id', key.KeyId])).code, 0);
    assert.equal((await awsCli(server.url, ['kms', 'delete-alias', '--alias-name', 'alias/cli'])).code, 0);
  });
});

describe('KMS through boto3', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.close();
  });

  it('round trips, re-encrypts and reports AWS errors; a key policy grants an IAM user', async () => {
    // given a user that no identity policy lets use KMS
    const user = await makeUser(server.url, 'py');
    const result = (await boto3(
      server.url,
      'kms',
      `
key = client.create_key(Description='py')['KeyMetadata']
other = client.create_key()['KeyMetadata']
ct = client.encrypt(KeyId=key['KeyId'], Plaintext=b'boto', EncryptionContext={'k': 'v'})['CiphertextBlob']
pt = client.decrypt(CiphertextBlob=ct, EncryptionContext={'k': 'v'})['Plaintext'].decode()
re = client.re_encrypt(CiphertextBlob=ct, SourceEncryptionContext={'k': 'v'}, DestinationKeyId=other['Arn'])
back = client.decrypt(CiphertextBlob=re['CiphertextBlob'])['Plaintext'].decode()
errors = {}
def err(name, f):
    try:
        f()
        errors[name] = 'no error'
    except ClientError as e:
        errors[name] = [e.response['Error']['Code'], e.response['Error'].get('Message', '')]
err('context', lambda: client.decrypt(CiphertextBlob=ct, EncryptionContext={'k': 'x'}))
err('incorrect', lambda: client.decrypt(CiphertextBlob=ct, EncryptionContext={'k': 'v'}, KeyId=other['KeyId']))
err('missing', lambda: client.describe_key(KeyId='11111111-2222-3333-4444-555555555555'))
err('window', lambda: client.schedule_key_deletion(KeyId=key['KeyId'], PendingWindowInDays=3))
err('prefix', lambda: client.create_alias(AliasName='nope', TargetKeyId=key['KeyId']))
client.put_key_policy(KeyId=key['KeyId'], PolicyName='default', Policy=json.dumps({'Version': '2012-10-17', 'Statement': [
  {'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::${ACCOUNT}:root'}, 'Action': 'kms:*', 'Resource': '*'},
  {'Effect': 'Allow', 'Principal': {'AWS': '${user.arn}'}, 'Action': ['kms:Encrypt', 'kms:Decrypt'], 'Resource': '*'}]}))
out({'pt': pt, 'back': back, 'source': re['SourceKeyId'], 'dest': re['KeyId'], 'other': other['Arn'], 'key': key['Arn'], 'errors': errors})
`,
    )) as { pt: string; back: string; source: string; dest: string; other: string; key: string; errors: Record<string, [string, string]> };
    // then
    assert.equal(result.pt, 'boto');
    assert.equal(result.back, 'boto');
    assert.equal(result.source, result.key);
    assert.equal(result.dest, result.other);
    assert.deepEqual(result.errors.context, ['InvalidCiphertextException', '']);
    assert.equal(result.errors.incorrect?.[0], 'IncorrectKeyException');
    assert.deepEqual(result.errors.missing, [
      'NotFoundException',
      `Key 'arn:aws:kms:${REGION}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555' does not exist`,
    ]);
    assert.equal(result.errors.window?.[0], 'ValidationException');
    assert.equal(result.errors.prefix?.[0], 'ValidationException');
    // and the user named by the key policy may use the key, without any identity policy
    const asUser = (await boto3(
      server.url,
      'kms',
      `
ct = client.encrypt(KeyId='${result.key}', Plaintext=b'by user')['CiphertextBlob']
out(client.decrypt(CiphertextBlob=ct)['Plaintext'].decode())
`,
      user,
    )) as string;
    assert.equal(asUser, 'by user');
  });
});
