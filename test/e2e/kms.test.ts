import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateRandomCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeyPoliciesCommand,
  ListKeyRotationsCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  ReEncryptCommand,
  RetireGrantCommand,
  RevokeGrantCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateKeyDescriptionCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { ManualClock } from '../../src/clock.js';
import { runJob } from '../support/admin.js';
import { assumeRole, doc, makeAccount, makeRole, makeUser, noIdentityAllow, noResourceAllow } from '../support/iam.js';
import { defaultKeyPolicyText, kmsClient } from '../support/kms.js';
import { ACCOUNT, REGION, startServer, type TestServer } from '../support/server.js';

async function rejects(p: Promise<unknown>, name: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.equal(e.name, name, e.message);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return true;
  });
}

const text = (s: string) => new TextEncoder().encode(s);
const utf8 = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('utf8');

describe('KMS (SDK v3)', () => {
  let server: TestServer;
  let kms: KMSClient;
  const clock = new ManualClock(new Date());

  before(async () => {
    // The clock moves by days here (deletion windows, rotation): signatures stay valid.
    server = await startServer({ maxClockSkewSeconds: 10 * 365 * 86_400 }, { clock });
    kms = kmsClient(server.url);
  });
  after(async () => {
    kms.destroy();
    await server.close();
  });

  const newKey = async (input: ConstructorParameters<typeof CreateKeyCommand>[0] = {}) =>
    (await kms.send(new CreateKeyCommand(input))).KeyMetadata!;

  describe('keys', () => {
    it('CreateKey makes an enabled symmetric key with the default key policy', async () => {
      // when
      const key = await newKey({ Description: 'app data', Tags: [{ TagKey: 'team', TagValue: 'a' }] });
      // then
      assert.match(key.KeyId!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(key.Arn, `arn:aws:kms:${REGION}:${ACCOUNT}:key/${key.KeyId}`);
      assert.deepEqual(
        {
          AWSAccountId: key.AWSAccountId,
          Enabled: key.Enabled,
          KeyState: key.KeyState,
          KeySpec: key.KeySpec,
          CustomerMasterKeySpec: key.CustomerMasterKeySpec,
          KeyUsage: key.KeyUsage,
          KeyManager: key.KeyManager,
          Origin: key.Origin,
          MultiRegion: key.MultiRegion,
          EncryptionAlgorithms: key.EncryptionAlgorithms,
          Description: key.Description,
        },
        {
          AWSAccountId: ACCOUNT,
          Enabled: true,
          KeyState: 'Enabled',
          KeySpec: 'SYMMETRIC_DEFAULT',
          CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
          KeyUsage: 'ENCRYPT_DECRYPT',
          KeyManager: 'CUSTOMER',
          Origin: 'AWS_KMS',
          MultiRegion: false,
          EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
          Description: 'app data',
        },
      );
      assert.equal(key.CreationDate?.toISOString(), clock.now().toISOString());
      const policy = await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: 'default' }));
      assert.equal(policy.Policy, defaultKeyPolicyText(ACCOUNT));
      assert.deepEqual((await kms.send(new ListKeyPoliciesCommand({ KeyId: key.KeyId }))).PolicyNames, ['default']);
      assert.deepEqual((await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }))).Tags, [{ TagKey: 'team', TagValue: 'a' }]);
    });

    it('CreateKey with KeySpec, KeyUsage and MultiRegion', async () => {
      const signing = await newKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
      assert.deepEqual([signing.KeySpec, signing.KeyUsage, signing.SigningAlgorithms], ['ECC_NIST_P256', 'SIGN_VERIFY', ['ECDSA_SHA_256']]);
      const hmac = await newKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
      assert.deepEqual(hmac.MacAlgorithms, ['HMAC_SHA_256']);
      const mrk = await newKey({ MultiRegion: true });
      assert.match(mrk.KeyId!, /^mrk-[0-9a-f]{32}$/);
      assert.equal(mrk.MultiRegion, true);
      assert.equal(mrk.MultiRegionConfiguration?.MultiRegionKeyType, 'PRIMARY');
      await rejects(newKey({ KeySpec: 'HMAC_256', KeyUsage: 'ENCRYPT_DECRYPT' }), 'ValidationException');
    });

    it('DescribeKey by key id, key ARN, alias name and alias ARN', async () => {
      // given
      const key = await newKey();
      await kms.send(new CreateAliasCommand({ AliasName: 'alias/describe-me', TargetKeyId: key.KeyId }));
      // when / then
      for (const ref of [key.KeyId!, key.Arn!, 'alias/describe-me', `arn:aws:kms:${REGION}:${ACCOUNT}:alias/describe-me`]) {
        assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: ref }))).KeyMetadata?.KeyId, key.KeyId, ref);
      }
    });

    it('DescribeKey of a missing key or alias is NotFoundException with KMS’s text', async () => {
      const id = '11111111-2222-3333-4444-555555555555';
      await rejects(kms.send(new DescribeKeyCommand({ KeyId: id })), 'NotFoundException', `Key 'arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}' does not exist`);
      await rejects(
        kms.send(new DescribeKeyCommand({ KeyId: 'alias/nope' })),
        'NotFoundException',
        `Alias arn:aws:kms:${REGION}:${ACCOUNT}:alias/nope is not found.`,
      );
    });

    it('a key of another region is not found', async () => {
      const key = await newKey();
      const west = kmsClient(server.url, undefined, 'us-west-2');
      try {
        await rejects(west.send(new DescribeKeyCommand({ KeyId: key.Arn })), 'NotFoundException', `Key '${key.Arn}' does not exist`);
      } finally {
        west.destroy();
      }
    });

    it('ListKeys pages through the keys of the account and region', async () => {
      const key = await newKey();
      const all: string[] = [];
      let marker: string | undefined;
      do {
        const page = await kms.send(new ListKeysCommand({ Limit: 2, ...(marker ? { Marker: marker } : {}) }));
        all.push(...page.Keys!.map((k) => k.KeyId!));
        assert.ok(page.Keys!.every((k) => k.KeyArn === `arn:aws:kms:${REGION}:${ACCOUNT}:key/${k.KeyId}`));
        marker = page.Truncated ? page.NextMarker : undefined;
      } while (marker);
      assert.ok(all.includes(key.KeyId!));
      assert.equal(new Set(all).size, all.length);
      await rejects(kms.send(new ListKeysCommand({ Marker: 'not-a-marker' })), 'InvalidMarkerException');
      await rejects(kms.send(new ListAliasesCommand({ Marker: 'not-a-marker' })), 'InvalidMarkerException');
    });

    it('DisableKey / EnableKey; a disabled key refuses cryptography with DisabledException', async () => {
      // given
      const key = await newKey();
      await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
      // then
      assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState, 'Disabled');
      await rejects(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text('x') })), 'DisabledException', `${key.Arn} is disabled.`);
      // when enabled again
      await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
      const out = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text('x') }));
      assert.equal(out.KeyId, key.Arn);
    });

    it('ScheduleKeyDeletion: PendingDeletion with its date; CancelKeyDeletion leaves it Disabled; the job deletes it when the date passes', async () => {
      // given
      const key = await newKey();
      const blob = (await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text('secret') }))).CiphertextBlob!;
      // when
      const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      // then
      assert.equal(scheduled.KeyId, key.Arn);
      assert.equal(scheduled.KeyState, 'PendingDeletion');
      assert.equal(scheduled.PendingWindowInDays, 7);
      assert.equal(scheduled.DeletionDate?.toISOString(), new Date(clock.now().getTime() + 7 * 86_400_000).toISOString());
      const described = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!;
      assert.deepEqual([described.KeyState, described.Enabled, described.PendingDeletionWindowInDays], ['PendingDeletion', false, 7]);
      await rejects(kms.send(new DecryptCommand({ CiphertextBlob: blob })), 'KMSInvalidStateException', `${key.Arn} is pending deletion.`);
      await rejects(kms.send(new EnableKeyCommand({ KeyId: key.KeyId })), 'KMSInvalidStateException', `${key.Arn} is pending deletion.`);
      // when cancelled
      await kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
      const cancelled = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!;
      assert.equal(cancelled.KeyState, 'Disabled');
      assert.equal(cancelled.DeletionDate, undefined);
      // when scheduled again (default 30 days) and the date passes
      const again = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId }));
      assert.equal(again.PendingWindowInDays, 30);
      clock.advance(29 * 86_400_000);
      await runJob(server.url, 'kms-key-deletion');
      assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState, 'PendingDeletion');
      clock.advance(86_400_000);
      await runJob(server.url, 'kms-key-deletion');
      // then
      await rejects(kms.send(new DescribeKeyCommand({ KeyId: key.KeyId })), 'NotFoundException', `Key '${key.Arn}' does not exist`);
      await rejects(kms.send(new DecryptCommand({ CiphertextBlob: blob })), 'InvalidCiphertextException');
    });

    it('PendingWindowInDays outside 7–30 is a ValidationException and changes nothing', async () => {
      const key = await newKey();
      await rejects(kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 6 })), 'ValidationException', 'PendingWindowInDays must be between 7 and 30');
      await rejects(kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 31 })), 'ValidationException');
      assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState, 'Enabled');
      await rejects(kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId })), 'KMSInvalidStateException');
    });

    it('UpdateKeyDescription changes what DescribeKey reports; GenerateRandom gives the bytes asked for', async () => {
      const key = await newKey({ Description: 'before' });
      await kms.send(new UpdateKeyDescriptionCommand({ KeyId: key.Arn, Description: 'after' }));
      assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.Description, 'after');
      assert.equal((await kms.send(new GenerateRandomCommand({ NumberOfBytes: 48 }))).Plaintext?.length, 48);
    });

    it('tags: TagResource, UntagResource, ListResourceTags', async () => {
      const key = await newKey();
      await kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'a', TagValue: '1' }, { TagKey: 'b', TagValue: '2' }] }));
      await kms.send(new TagResourceCommand({ KeyId: key.Arn, Tags: [{ TagKey: 'a', TagValue: '3' }] }));
      await kms.send(new UntagResourceCommand({ KeyId: key.KeyId, TagKeys: ['b'] }));
      assert.deepEqual((await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }))).Tags, [{ TagKey: 'a', TagValue: '3' }]);
      await rejects(kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'aws:x', TagValue: '1' }] })), 'TagException');
    });

    it('rotation: EnableKeyRotation / GetKeyRotationStatus / DisableKeyRotation; rotated keys still decrypt', async () => {
      // given
      const key = await newKey();
      assert.equal((await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }))).KeyRotationEnabled, false);
      const before = (await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text('old') }))).CiphertextBlob!;
      // when
      await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 90 }));
      const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
      // then
      assert.equal(status.KeyRotationEnabled, true);
      assert.equal(status.RotationPeriodInDays, 90);
      assert.equal(status.NextRotationDate?.toISOString(), new Date(clock.now().getTime() + 90 * 86_400_000).toISOString());
      clock.advance(91 * 86_400_000);
      const ran = await runJob(server.url, 'kms-key-deletion');
      assert.ok((ran.rotated as number) >= 1);
      assert.equal(utf8((await kms.send(new DecryptCommand({ CiphertextBlob: before }))).Plaintext), 'old');
      await kms.send(new DisableKeyRotationCommand({ KeyId: key.KeyId }));
      assert.equal((await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }))).KeyRotationEnabled, false);
      // on demand: a new current material, listed with the automatic one
      const materialBefore = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!.CurrentKeyMaterialId;
      assert.match(materialBefore ?? '', /^[0-9a-f]{64}$/);
      assert.equal((await kms.send(new RotateKeyOnDemandCommand({ KeyId: key.Arn }))).KeyId, key.KeyId);
      const materialAfter = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!.CurrentKeyMaterialId;
      assert.notEqual(materialAfter, materialBefore);
      const rotations = (await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId }))).Rotations!;
      assert.deepEqual(
        rotations.map((r) => [r.RotationType, r.KeyMaterialState, r.KeyMaterialId === materialAfter]),
        [
          ['AUTOMATIC', 'NON_CURRENT', false],
          ['ON_DEMAND', 'CURRENT', true],
        ],
      );
      assert.equal(utf8((await kms.send(new DecryptCommand({ CiphertextBlob: before }))).Plaintext), 'old');
    });
  });

  describe('aliases', () => {
    it('CreateAlias / ListAliases / UpdateAlias / DeleteAlias', async () => {
      // given
      const a = await newKey();
      const b = await newKey();
      // when
      await kms.send(new CreateAliasCommand({ AliasName: 'alias/app', TargetKeyId: a.Arn }));
      // then
      const listed = (await kms.send(new ListAliasesCommand({}))).Aliases!;
      const app = listed.find((x) => x.AliasName === 'alias/app')!;
      assert.equal(app.AliasArn, `arn:aws:kms:${REGION}:${ACCOUNT}:alias/app`);
      assert.equal(app.TargetKeyId, a.KeyId);
      assert.equal(app.CreationDate?.toISOString(), clock.now().toISOString());
      // AWS managed aliases are listed before their key exists, without a target
      const ecr = listed.find((x) => x.AliasName === 'alias/aws/ecr');
      assert.ok(ecr);
      assert.deepEqual((await kms.send(new ListAliasesCommand({ KeyId: a.KeyId }))).Aliases!.map((x) => x.AliasName), ['alias/app']);
      // when moved to b
      await kms.send(new UpdateAliasCommand({ AliasName: 'alias/app', TargetKeyId: b.KeyId }));
      assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/app' }))).KeyMetadata?.KeyId, b.KeyId);
      // when deleted
      await kms.send(new DeleteAliasCommand({ AliasName: 'alias/app' }));
      await rejects(kms.send(new DescribeKeyCommand({ KeyId: 'alias/app' })), 'NotFoundException');
      await rejects(kms.send(new DeleteAliasCommand({ AliasName: 'alias/app' })), 'NotFoundException', `Alias arn:aws:kms:${REGION}:${ACCOUNT}:alias/app is not found.`);
    });

    it('ListAliases pages with Limit and Marker', async () => {
      const key = await newKey();
      for (const n of ['p1', 'p2', 'p3']) await kms.send(new CreateAliasCommand({ AliasName: `alias/page-${n}`, TargetKeyId: key.KeyId }));
      const first = await kms.send(new ListAliasesCommand({ KeyId: key.KeyId, Limit: 2 }));
      assert.deepEqual([first.Aliases!.map((a) => a.AliasName), first.Truncated], [['alias/page-p1', 'alias/page-p2'], true]);
      const second = await kms.send(new ListAliasesCommand({ KeyId: key.KeyId, Limit: 2, Marker: first.NextMarker }));
      assert.deepEqual([second.Aliases!.map((a) => a.AliasName), second.Truncated], [['alias/page-p3'], false]);
    });

    it('refuses a taken name, a name without alias/, invalid characters and the reserved alias/aws/', async () => {
      const key = await newKey();
      await kms.send(new CreateAliasCommand({ AliasName: 'alias/taken', TargetKeyId: key.KeyId }));
      await rejects(
        kms.send(new CreateAliasCommand({ AliasName: 'alias/taken', TargetKeyId: key.KeyId })),
        'AlreadyExistsException',
        `An alias with the name arn:aws:kms:${REGION}:${ACCOUNT}:alias/taken already exists`,
      );
      await rejects(
        kms.send(new CreateAliasCommand({ AliasName: 'taken2', TargetKeyId: key.KeyId })),
        'ValidationException',
        'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
      );
      await rejects(
        kms.send(new CreateAliasCommand({ AliasName: 'alias/a:b', TargetKeyId: key.KeyId })),
        'ValidationException',
        'alias/a:b contains invalid characters for an alias',
      );
      await rejects(kms.send(new CreateAliasCommand({ AliasName: 'alias/aws/mine', TargetKeyId: key.KeyId })), 'InvalidAliasNameException');
      await rejects(kms.send(new CreateAliasCommand({ AliasName: 'alias/x', TargetKeyId: '11111111-2222-3333-4444-555555555555' })), 'NotFoundException');
    });

    it('the AWS managed key alias/aws/ecr is created on first reference, KeyManager AWS', async () => {
      const key = (await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/ecr' }))).KeyMetadata!;
      assert.equal(key.KeyManager, 'AWS');
      assert.equal(key.KeyState, 'Enabled');
      const listed = (await kms.send(new ListAliasesCommand({}))).Aliases!.find((x) => x.AliasName === 'alias/aws/ecr')!;
      assert.equal(listed.TargetKeyId, key.KeyId);
      assert.equal((await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }))).KeyRotationEnabled, true);
      const policy = JSON.parse((await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId }))).Policy!) as { Statement: { Condition?: unknown }[] };
      assert.deepEqual(policy.Statement[0]!.Condition, { StringEquals: { 'kms:CallerAccount': ACCOUNT, 'kms:ViaService': `ecr.${REGION}.amazonaws.com` } });
      // root may read it but not use it directly: only through ECR
      await rejects(kms.send(new EncryptCommand({ KeyId: 'alias/aws/ecr', Plaintext: text('x') })), 'AccessDeniedException');
      await rejects(kms.send(new DisableKeyCommand({ KeyId: key.KeyId })), 'AccessDeniedException');
      await rejects(kms.send(new DeleteAliasCommand({ AliasName: 'alias/aws/ecr' })), 'AccessDeniedException');
    });
  });

  describe('cryptography', () => {
    it('Encrypt / Decrypt round trip with encryption context; Decrypt needs no KeyId', async () => {
      // given
      const key = await newKey();
      const context = { repo: 'app', tenant: 't1' };
      // when
      const enc = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text('hello kms'), EncryptionContext: context }));
      const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { tenant: 't1', repo: 'app' } }));
      // then
      assert.equal(enc.KeyId, key.Arn);
      assert.equal(enc.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
      assert.notEqual(utf8(enc.CiphertextBlob), 'hello kms');
      assert.equal(utf8(dec.Plaintext), 'hello kms');
      assert.equal(dec.KeyId, key.Arn);
      const withKeyId = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: context, KeyId: key.KeyId }));
      assert.equal(withKeyId.KeyId, key.Arn);
    });

    it('a wrong or missing context, or tampered bytes, are InvalidCiphertextException', async () => {
      const key = await newKey();
      const enc = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text('x'), EncryptionContext: { a: '1' } }));
      await rejects(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { a: '2' } })), 'InvalidCiphertextException');
      await rejects(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })), 'InvalidCiphertextException');
      const tampered = Buffer.from(enc.CiphertextBlob!);
      tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 1;
      await rejects(kms.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: { a: '1' } })), 'InvalidCiphertextException');
      await rejects(kms.send(new DecryptCommand({ CiphertextBlob: text('not a ciphertext of ours at all, no no') })), 'InvalidCiphertextException');
    });

    it('Decrypt with another KeyId is IncorrectKeyException', async () => {
      const a = await newKey();
      const b = await newKey();
      const enc = await kms.send(new EncryptCommand({ KeyId: a.KeyId, Plaintext: text('x') }));
      await rejects(
        kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, KeyId: b.KeyId })),
        'IncorrectKeyException',
        'The key ID in the request does not identify a KMS key that can perform this operation.',
      );
    });

    it('GenerateDataKey (AES_256, AES_128, NumberOfBytes) and GenerateDataKeyWithoutPlaintext decrypt to their data key', async () => {
      const key = await newKey();
      const ctx = { purpose: 'blob' };
      const k256 = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: 'AES_256', EncryptionContext: ctx }));
      assert.equal(k256.Plaintext?.length, 32);
      assert.equal(k256.KeyId, key.Arn);
      const back = await kms.send(new DecryptCommand({ CiphertextBlob: k256.CiphertextBlob, EncryptionContext: ctx }));
      assert.deepEqual(Buffer.from(back.Plaintext!), Buffer.from(k256.Plaintext!));
      assert.equal((await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: 'AES_128' }))).Plaintext?.length, 16);
      assert.equal((await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, NumberOfBytes: 64 }))).Plaintext?.length, 64);
      await rejects(kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId })), 'ValidationException');
      const without = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.KeyId, KeySpec: 'AES_256' }));
      assert.equal((without as { Plaintext?: unknown }).Plaintext, undefined);
      assert.equal((await kms.send(new DecryptCommand({ CiphertextBlob: without.CiphertextBlob }))).Plaintext?.length, 32);
    });

    it('ReEncrypt moves a ciphertext to another key and context', async () => {
      const a = await newKey();
      const b = await newKey();
      const enc = await kms.send(new EncryptCommand({ KeyId: a.KeyId, Plaintext: text('move me'), EncryptionContext: { v: '1' } }));
      const re = await kms.send(
        new ReEncryptCommand({ CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: { v: '1' }, DestinationKeyId: b.Arn, DestinationEncryptionContext: { v: '2' } }),
      );
      assert.equal(re.SourceKeyId, a.Arn);
      assert.equal(re.KeyId, b.Arn);
      const dec = await kms.send(new DecryptCommand({ CiphertextBlob: re.CiphertextBlob, EncryptionContext: { v: '2' } }));
      assert.equal(utf8(dec.Plaintext), 'move me');
      assert.equal(dec.KeyId, b.Arn);
    });

    it('a signing key refuses Encrypt with InvalidKeyUsageException', async () => {
      const key = await newKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
      await rejects(
        kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text('x') })),
        'InvalidKeyUsageException',
        `${key.Arn} key usage is SIGN_VERIFY which is not valid for Encrypt.`,
      );
    });
  });

  describe('key policies with IAM', () => {
    it('the default key policy lets IAM policies decide for users of the account', async () => {
      // given
      const key = await newKey();
      const user = await makeUser(server.url, 'kms-nobody');
      const allowed = await makeUser(server.url, 'kms-user', {
        inline: { use: doc([{ Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'], Resource: key.Arn! }]) },
      });
      const asNobody = kmsClient(server.url, user);
      const asUser = kmsClient(server.url, allowed);
      try {
        // then
        await rejects(asNobody.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text('x') })), 'AccessDeniedException', noIdentityAllow(user.arn, 'kms:Encrypt', key.Arn!));
        const enc = await asUser.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text('x') }));
        assert.equal(utf8((await asUser.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).Plaintext), 'x');
      } finally {
        asNobody.destroy();
        asUser.destroy();
      }
    });

    it('a key policy that does not grant the account leaves IAM policies powerless; one naming a user grants it directly', async () => {
      // given an admin user and a user named by the key policy
      const admin = await makeUser(server.url, 'kms-admin', { managed: ['arn:aws:iam::aws:policy/AdministratorAccess'] });
      const named = await makeUser(server.url, 'kms-named');
      const key = await newKey();
      const policy = doc([
        { Sid: 'admin', Effect: 'Allow', Principal: { AWS: admin.arn }, Action: ['kms:PutKeyPolicy', 'kms:GetKeyPolicy', 'kms:DescribeKey'], Resource: '*' },
        { Sid: 'named', Effect: 'Allow', Principal: { AWS: named.arn }, Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: '*' },
      ]);
      // when the root puts a policy that no longer grants the account (bypassing the lock-out check)
      await kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: policy, BypassPolicyLockoutSafetyCheck: true }));
      const asAdmin = kmsClient(server.url, admin);
      const asNamed = kmsClient(server.url, named);
      try {
        // then the admin's AdministratorAccess does not let it encrypt, and root is locked out too
        await rejects(asAdmin.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text('x') })), 'AccessDeniedException', noResourceAllow(admin.arn, 'kms:Encrypt', key.Arn!));
        await rejects(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text('x') })), 'AccessDeniedException', noResourceAllow(`arn:aws:iam::${ACCOUNT}:root`, 'kms:Encrypt', key.Arn!));
        await rejects(kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId })), 'AccessDeniedException');
        // the named user, without any identity policy, may
        const enc = await asNamed.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text('y') }));
        assert.equal(utf8((await asNamed.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).Plaintext), 'y');
        assert.equal((await asAdmin.send(new GetKeyPolicyCommand({ KeyId: key.KeyId }))).Policy, policy);
      } finally {
        asAdmin.destroy();
        asNamed.destroy();
      }
    });

    it('a key policy naming a role grants its sessions without any identity policy', async () => {
      // given a role with no policies, named by the key policy
      const roleArn = await makeRole(server.url, 'kms-decrypter', `arn:aws:iam::${ACCOUNT}:root`);
      const key = await newKey({
        Policy: doc([
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
          { Effect: 'Allow', Principal: { AWS: roleArn }, Action: 'kms:Decrypt', Resource: '*' },
        ]),
      });
      const enc = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text('for the role') }));
      const runner = await makeUser(server.url, 'kms-runner', { inline: { assume: doc([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn }]) } });
      const session = await assumeRole(server.url, runner, roleArn, 'job');
      const asRole = kmsClient(server.url, session);
      try {
        // then
        assert.equal(utf8((await asRole.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).Plaintext), 'for the role');
        await rejects(asRole.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text('x') })), 'AccessDeniedException', noIdentityAllow(session.arn, 'kms:Encrypt', key.Arn!));
      } finally {
        asRole.destroy();
      }
    });

    it('PutKeyPolicy and CreateKey refuse a policy that would lock the caller out, unless bypassed', async () => {
      // given
      const key = await newKey();
      const other = await makeUser(server.url, 'kms-other');
      const lockOut = doc([{ Effect: 'Allow', Principal: { AWS: other.arn }, Action: 'kms:*', Resource: '*' }]);
      // then
      await rejects(
        kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: 'default', Policy: lockOut })),
        'MalformedPolicyDocumentException',
        'The new key policy will not allow you to update the key policy in the future.',
      );
      assert.equal((await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId }))).Policy, defaultKeyPolicyText(ACCOUNT));
      await rejects(newKey({ Policy: lockOut }), 'MalformedPolicyDocumentException', 'The new key policy will not allow you to update the key policy in the future.');
      const bypassed = await newKey({ Policy: lockOut, BypassPolicyLockoutSafetyCheck: true });
      assert.equal(bypassed.KeyState, 'Enabled');
      await rejects(
        kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: doc([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/ghost` }, Action: 'kms:*', Resource: '*' }]) })),
        'MalformedPolicyDocumentException',
      );
      await rejects(kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: '{not json' })), 'MalformedPolicyDocumentException');
    });

    it('grants allow their grantee its operations within their constraints; RevokeGrant and RetireGrant end them', async () => {
      // given a user with no policies and a key with the default policy
      const grantee = await makeUser(server.url, 'kms-grantee');
      const key = await newKey();
      const ctxOk = { app: 'web' };
      const enc = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text('granted'), EncryptionContext: ctxOk }));
      const other = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text('other'), EncryptionContext: { app: 'api' } }));
      const asGrantee = kmsClient(server.url, grantee);
      try {
        await rejects(asGrantee.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ctxOk })), 'AccessDeniedException');
        // when a grant is made
        const grant = await kms.send(
          new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: grantee.arn, RetiringPrincipal: grantee.arn, Operations: ['Decrypt'], Constraints: { EncryptionContextSubset: ctxOk }, Name: 'web' }),
        );
        assert.match(grant.GrantId!, /^[0-9a-f]{64}$/);
        // then
        assert.equal(utf8((await asGrantee.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ctxOk }))).Plaintext), 'granted');
        await rejects(asGrantee.send(new DecryptCommand({ CiphertextBlob: other.CiphertextBlob, EncryptionContext: { app: 'api' } })), 'AccessDeniedException');
        await rejects(asGrantee.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text('x'), EncryptionContext: ctxOk })), 'AccessDeniedException');
        const listed = (await kms.send(new ListGrantsCommand({ KeyId: key.KeyId }))).Grants!;
        assert.deepEqual(
          listed.map((g) => [g.GrantId, g.Name, g.GranteePrincipal, g.Operations, g.Constraints, g.IssuingAccount, g.KeyId]),
          [[grant.GrantId, 'web', grantee.arn, ['Decrypt'], { EncryptionContextSubset: ctxOk }, `arn:aws:iam::${ACCOUNT}:root`, key.Arn]],
        );
        // the same name and parameters give the same grant
        const again = await kms.send(
          new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: grantee.arn, RetiringPrincipal: grantee.arn, Operations: ['Decrypt'], Constraints: { EncryptionContextSubset: ctxOk }, Name: 'web' }),
        );
        assert.equal(again.GrantId, grant.GrantId);
        // when the retiring principal retires it by token
        await asGrantee.send(new RetireGrantCommand({ GrantToken: grant.GrantToken }));
        await rejects(asGrantee.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ctxOk })), 'AccessDeniedException');
        // and a revoked grant is gone too
        const second = await kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: grantee.arn, Operations: ['Decrypt', 'DescribeKey'] }));
        assert.equal((await asGrantee.send(new DescribeKeyCommand({ KeyId: key.Arn }))).KeyMetadata?.KeyId, key.KeyId);
        await kms.send(new RevokeGrantCommand({ KeyId: key.KeyId, GrantId: second.GrantId }));
        assert.deepEqual((await kms.send(new ListGrantsCommand({ KeyId: key.KeyId }))).Grants, []);
        await rejects(asGrantee.send(new DescribeKeyCommand({ KeyId: key.Arn })), 'AccessDeniedException');
        await rejects(kms.send(new RevokeGrantCommand({ KeyId: key.KeyId, GrantId: second.GrantId })), 'NotFoundException');
      } finally {
        asGrantee.destroy();
      }
    });

    it('cross account: the key policy must grant the other account and its IAM policies must allow', async () => {
      // given account B with a user allowed kms:* by IAM
      const b = '222233334444';
      const bRoot = await makeAccount(server.url, b);
      const bUser = await makeUser(server.url, 'partner', { admin: bRoot, inline: { kms: doc([{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }]) } });
      const key = await newKey();
      const enc = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text('shared') }));
      const asB = kmsClient(server.url, bUser);
      try {
        // then with the default policy B cannot use the key
        await rejects(asB.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })), 'AccessDeniedException', noResourceAllow(bUser.arn, 'kms:Decrypt', key.Arn!));
        // when the key policy grants account B
        await kms.send(
          new PutKeyPolicyCommand({
            KeyId: key.KeyId,
            Policy: doc([
              { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
              { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${b}:root` }, Action: ['kms:Decrypt', 'kms:DescribeKey'], Resource: '*' },
            ]),
          }),
        );
        // then
        assert.equal(utf8((await asB.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).Plaintext), 'shared');
        assert.equal((await asB.send(new DescribeKeyCommand({ KeyId: key.Arn }))).KeyMetadata?.KeyId, key.KeyId);
        await rejects(asB.send(new DisableKeyCommand({ KeyId: key.Arn })), 'NotFoundException');
      } finally {
        asB.destroy();
      }
    });
  });
});
