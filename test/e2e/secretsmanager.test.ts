import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand, EnableKeyCommand } from '@aws-sdk/client-kms';
import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { ManualClock } from '../../src/clock.js';
import { runJob } from '../support/admin.js';
import type { Credentials } from '../support/clients.js';
import { doc, makeUser, noIdentityAllow } from '../support/iam.js';
import { kmsClient } from '../support/kms.js';
import { ACCOUNT, REGION, ROOT, startServer, type TestServer } from '../support/server.js';

const DAY = 86_400_000;

function smClient(url: string, credentials: Credentials = ROOT): SecretsManagerClient {
  return new SecretsManagerClient({ endpoint: url, region: REGION, credentials, maxAttempts: 1 });
}

async function rejects(p: Promise<unknown>, name: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.equal(e.name, name, e.message);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return true;
  });
}

const NOT_FOUND = "Secrets Manager can't find the specified secret.";
const MARKED = "You can't perform this operation on the secret because it was marked for deletion.";

describe('Secrets Manager (SDK v3)', () => {
  let server: TestServer;
  let sm: SecretsManagerClient;
  const clock = new ManualClock(new Date());

  before(async () => {
    // The clock moves by days here (recovery windows): signatures stay valid.
    server = await startServer({ maxClockSkewSeconds: 10 * 365 * 86_400 }, { clock });
    sm = smClient(server.url);
  });
  after(async () => {
    sm.destroy();
    await server.close();
  });

  describe('secrets and versions', () => {
    it('CreateSecret gives an ARN ending in - and 6 characters; GetSecretValue reads it by name, ARN and partial ARN', async () => {
      // when
      const out = await sm.send(
        new CreateSecretCommand({ Name: 'ecr-pullthroughcache/docker-hub', SecretString: '{"username":"u","accessToken":"t"}', Description: 'hub' }),
      );
      // then
      assert.match(out.ARN!, new RegExp(`^arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ecr-pullthroughcache/docker-hub-[A-Za-z0-9]{6}$`));
      assert.equal(out.Name, 'ecr-pullthroughcache/docker-hub');
      assert.match(out.VersionId!, /^[0-9a-f-]{36}$/);
      for (const id of [out.Name!, out.ARN!, out.ARN!.slice(0, -7)]) {
        const v = await sm.send(new GetSecretValueCommand({ SecretId: id }));
        assert.equal(v.SecretString, '{"username":"u","accessToken":"t"}');
        assert.equal(v.ARN, out.ARN);
        assert.equal(v.VersionId, out.VersionId);
        assert.deepEqual(v.VersionStages, ['AWSCURRENT']);
        assert.ok(v.CreatedDate instanceof Date);
        assert.equal(v.SecretBinary, undefined);
      }
    });

    it('DescribeSecret shows the metadata, no KmsKeyId for the AWS managed key, versions by stage; the key alias/aws/secretsmanager exists', async () => {
      // given
      const created = await sm.send(new CreateSecretCommand({ Name: 'described', SecretString: 'x', Tags: [{ Key: 'team', Value: 'a' }] }));
      // when
      const d = await sm.send(new DescribeSecretCommand({ SecretId: 'described' }));
      // then
      assert.equal(d.ARN, created.ARN);
      assert.equal(d.Name, 'described');
      assert.equal(d.KmsKeyId, undefined);
      assert.deepEqual(d.Tags, [{ Key: 'team', Value: 'a' }]);
      assert.deepEqual(d.VersionIdsToStages, { [created.VersionId!]: ['AWSCURRENT'] });
      assert.equal(d.DeletedDate, undefined);
      assert.equal(d.CreatedDate?.getTime(), clock.now().getTime());
      const kms = kmsClient(server.url);
      try {
        const key = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/secretsmanager' }));
        assert.equal(key.KeyMetadata?.KeyManager, 'AWS');
      } finally {
        kms.destroy();
      }
    });

    it('PutSecretValue moves AWSCURRENT and AWSPREVIOUS; a ClientRequestToken repeats idempotently and refuses another value', async () => {
      // given
      const first = await sm.send(new CreateSecretCommand({ Name: 'rotating', SecretString: 'one' }));
      const token = '11111111-2222-3333-4444-555555555555';
      // when
      const put = await sm.send(new PutSecretValueCommand({ SecretId: 'rotating', SecretString: 'two', ClientRequestToken: token }));
      const again = await sm.send(new PutSecretValueCommand({ SecretId: 'rotating', SecretString: 'two', ClientRequestToken: token }));
      // then
      assert.equal(put.VersionId, token);
      assert.deepEqual(put.VersionStages, ['AWSCURRENT']);
      assert.equal(again.VersionId, token);
      await rejects(
        sm.send(new PutSecretValueCommand({ SecretId: 'rotating', SecretString: 'three', ClientRequestToken: token })),
        'ResourceExistsException',
        "You can't modify an existing version, you can only create a new version.",
      );
      assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'rotating' }))).SecretString, 'two');
      const prev = await sm.send(new GetSecretValueCommand({ SecretId: 'rotating', VersionStage: 'AWSPREVIOUS' }));
      assert.equal(prev.SecretString, 'one');
      assert.equal(prev.VersionId, first.VersionId);
      const byId = await sm.send(new GetSecretValueCommand({ SecretId: 'rotating', VersionId: first.VersionId }));
      assert.equal(byId.SecretString, 'one');
      const d = await sm.send(new DescribeSecretCommand({ SecretId: 'rotating' }));
      assert.deepEqual(d.VersionIdsToStages, { [first.VersionId!]: ['AWSPREVIOUS'], [token]: ['AWSCURRENT'] });
      const ids = await sm.send(new ListSecretVersionIdsCommand({ SecretId: 'rotating' }));
      assert.deepEqual(ids.Versions?.map((v) => v.VersionId).sort(), [first.VersionId, token].sort());
    });

    it('keeps SecretBinary as bytes; refuses both values at once', async () => {
      // given
      const bytes = new Uint8Array([0, 1, 2, 254, 255]);
      // when
      await sm.send(new CreateSecretCommand({ Name: 'binary', SecretBinary: bytes }));
      // then
      const v = await sm.send(new GetSecretValueCommand({ SecretId: 'binary' }));
      assert.deepEqual(Buffer.from(v.SecretBinary!), Buffer.from(bytes));
      assert.equal(v.SecretString, undefined);
      await rejects(
        sm.send(new CreateSecretCommand({ Name: 'both', SecretBinary: bytes, SecretString: 's' })),
        'InvalidParameterException',
        "You can't specify both a binary secret value and a string secret value in the same secret.",
      );
      await rejects(sm.send(new DescribeSecretCommand({ SecretId: 'both' })), 'ResourceNotFoundException', NOT_FOUND);
    });

    it('UpdateSecret changes the description and adds a version; UpdateSecretVersionStage moves a label back', async () => {
      // given
      const c = await sm.send(new CreateSecretCommand({ Name: 'updated', SecretString: 'v1' }));
      // when
      const u = await sm.send(new UpdateSecretCommand({ SecretId: 'updated', Description: 'new', SecretString: 'v2' }));
      await sm.send(new UpdateSecretVersionStageCommand({ SecretId: 'updated', VersionStage: 'AWSCURRENT', MoveToVersionId: c.VersionId, RemoveFromVersionId: u.VersionId }));
      // then
      const d = await sm.send(new DescribeSecretCommand({ SecretId: 'updated' }));
      assert.equal(d.Description, 'new');
      assert.deepEqual(d.VersionIdsToStages, { [c.VersionId!]: ['AWSCURRENT'], [u.VersionId!]: ['AWSPREVIOUS'] });
      assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'updated' }))).SecretString, 'v1');
    });

    it('answers AWS’s errors: not found, exists, invalid name, unknown stage', async () => {
      // given
      await sm.send(new CreateSecretCommand({ Name: 'taken', SecretString: 'x' }));
      // then
      await rejects(sm.send(new GetSecretValueCommand({ SecretId: 'missing' })), 'ResourceNotFoundException', NOT_FOUND);
      await rejects(sm.send(new CreateSecretCommand({ Name: 'taken', SecretString: 'y' })), 'ResourceExistsException', 'The operation failed because the secret taken already exists.');
      await rejects(
        sm.send(new CreateSecretCommand({ Name: 'bad name#', SecretString: 'y' })),
        'ValidationException',
        'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
      );
      await rejects(
        sm.send(new GetSecretValueCommand({ SecretId: 'taken', VersionStage: 'AWSPENDING' })),
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret value for staging label: AWSPENDING",
      );
      assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'taken' }))).SecretString, 'x');
    });

    it('GetResourcePolicy answers no policy; GetRandomPassword gives the length asked', async () => {
      // given
      const c = await sm.send(new CreateSecretCommand({ Name: 'policy-less' }));
      // when
      const p = await sm.send(new GetResourcePolicyCommand({ SecretId: 'policy-less' }));
      const r = await sm.send(new GetRandomPasswordCommand({ PasswordLength: 20, ExcludePunctuation: true }));
      // then
      assert.deepEqual({ ARN: p.ARN, Name: p.Name, ResourcePolicy: p.ResourcePolicy }, { ARN: c.ARN, Name: 'policy-less', ResourcePolicy: undefined });
      assert.match(r.RandomPassword!, /^[A-Za-z0-9]{20}$/);
    });

    it('TagResource and UntagResource change the tags DescribeSecret shows', async () => {
      // given
      await sm.send(new CreateSecretCommand({ Name: 'tagged', SecretString: 'x', Tags: [{ Key: 'a', Value: '1' }] }));
      // when
      await sm.send(new TagResourceCommand({ SecretId: 'tagged', Tags: [{ Key: 'b', Value: '2' }, { Key: 'a', Value: '3' }] }));
      await sm.send(new UntagResourceCommand({ SecretId: 'tagged', TagKeys: ['b'] }));
      // then
      assert.deepEqual((await sm.send(new DescribeSecretCommand({ SecretId: 'tagged' }))).Tags, [{ Key: 'a', Value: '3' }]);
    });
  });

  describe('ListSecrets', () => {
    it('pages with MaxResults and NextToken and filters by name prefix, tag and negation', async () => {
      // given
      for (let n = 0; n < 5; n++) {
        await sm.send(new CreateSecretCommand({ Name: `list/app-${n}`, SecretString: 'x', Tags: [{ Key: 'env', Value: n % 2 === 0 ? 'prod' : 'dev' }] }));
      }
      // when
      const names: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await sm.send(new ListSecretsCommand({ MaxResults: 2, NextToken: token, Filters: [{ Key: 'name', Values: ['list/'] }] }));
        names.push(...(page.SecretList ?? []).map((s) => s.Name!));
        token = page.NextToken;
        pages++;
      } while (token);
      const prod = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['list/'] }, { Key: 'tag-value', Values: ['prod'] }] }));
      const notProd = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['list/'] }, { Key: 'tag-value', Values: ['!prod'] }] }));
      const words = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'all', Values: ['LIST'] }, { Key: 'tag-key', Values: ['env'] }] }));
      const caseSensitiveName = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['List/'] }] }));
      const newestFirst = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['list/'] }], SortBy: 'name', SortOrder: 'desc', MaxResults: 1 }));
      // then
      assert.equal(pages, 3);
      assert.deepEqual(names, ['list/app-0', 'list/app-1', 'list/app-2', 'list/app-3', 'list/app-4']);
      assert.deepEqual(prod.SecretList?.map((s) => s.Name), ['list/app-0', 'list/app-2', 'list/app-4']);
      assert.deepEqual(notProd.SecretList?.map((s) => s.Name), ['list/app-1', 'list/app-3']);
      assert.ok(prod.SecretList?.every((s) => Object.keys(s.SecretVersionsToStages ?? {}).length === 1));
      assert.equal(words.SecretList?.length, 5);
      assert.deepEqual(caseSensitiveName.SecretList, []);
      assert.deepEqual(newestFirst.SecretList?.map((s) => s.Name), ['list/app-4']);
    });
  });

  describe('BatchGetSecretValue', () => {
    it('reads several secrets by id or by filter; a missing one is an entry of Errors', async () => {
      // given
      await sm.send(new CreateSecretCommand({ Name: 'batch/a', SecretString: 'A' }));
      await sm.send(new CreateSecretCommand({ Name: 'batch/b', SecretString: 'B' }));
      // when
      const byIds = await sm.send(new BatchGetSecretValueCommand({ SecretIdList: ['batch/a', 'batch/missing', 'batch/b'] }));
      const byFilter = await sm.send(new BatchGetSecretValueCommand({ Filters: [{ Key: 'name', Values: ['batch/'] }] }));
      // then
      assert.deepEqual(byIds.SecretValues?.map((v) => [v.Name, v.SecretString]), [['batch/a', 'A'], ['batch/b', 'B']]);
      assert.deepEqual(byIds.Errors, [{ SecretId: 'batch/missing', ErrorCode: 'ResourceNotFoundException', Message: NOT_FOUND }]);
      assert.deepEqual(byFilter.SecretValues?.map((v) => v.SecretString), ['A', 'B']);
    });
  });

  describe('deletion', () => {
    it('a secret scheduled for deletion refuses reads and its name; RestoreSecret brings it back', async () => {
      // given
      await sm.send(new CreateSecretCommand({ Name: 'doomed', SecretString: 'keep me' }));
      // when
      const del = await sm.send(new DeleteSecretCommand({ SecretId: 'doomed', RecoveryWindowInDays: 7 }));
      // then
      assert.equal(del.DeletionDate?.getTime(), clock.now().getTime() + 7 * DAY);
      await rejects(sm.send(new GetSecretValueCommand({ SecretId: 'doomed' })), 'InvalidRequestException', MARKED);
      await rejects(sm.send(new PutSecretValueCommand({ SecretId: 'doomed', SecretString: 'x' })), 'InvalidRequestException', MARKED);
      await rejects(
        sm.send(new CreateSecretCommand({ Name: 'doomed', SecretString: 'x' })),
        'InvalidRequestException',
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
      );
      const d = await sm.send(new DescribeSecretCommand({ SecretId: 'doomed' }));
      assert.ok(d.DeletedDate instanceof Date);
      const listed = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['doomed'] }] }));
      assert.deepEqual(listed.SecretList, []);
      const planned = await sm.send(new ListSecretsCommand({ IncludePlannedDeletion: true, Filters: [{ Key: 'name', Values: ['doomed'] }] }));
      assert.equal(planned.SecretList?.length, 1);
      // when
      await sm.send(new RestoreSecretCommand({ SecretId: 'doomed' }));
      // then
      assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'doomed' }))).SecretString, 'keep me');
      assert.equal((await sm.send(new DescribeSecretCommand({ SecretId: 'doomed' }))).DeletedDate, undefined);
    });

    it('deletes for good when the recovery window ends on the clock (the secretsmanager-deletion job), at once when forced', async () => {
      // given
      await sm.send(new CreateSecretCommand({ Name: 'windowed', SecretString: 'x' }));
      await sm.send(new CreateSecretCommand({ Name: 'forced', SecretString: 'x' }));
      await sm.send(new DeleteSecretCommand({ SecretId: 'windowed', RecoveryWindowInDays: 7 }));
      // when
      await sm.send(new DeleteSecretCommand({ SecretId: 'forced', ForceDeleteWithoutRecovery: true }));
      clock.advance(7 * DAY - 60_000);
      await runJob(server.url, 'secretsmanager-deletion');
      const early = await sm.send(new DescribeSecretCommand({ SecretId: 'windowed' }));
      clock.advance(60_000);
      await runJob(server.url, 'secretsmanager-deletion');
      // then
      assert.equal(early.Name, 'windowed');
      await rejects(sm.send(new DescribeSecretCommand({ SecretId: 'windowed' })), 'ResourceNotFoundException', NOT_FOUND);
      await rejects(sm.send(new DescribeSecretCommand({ SecretId: 'forced' })), 'ResourceNotFoundException', NOT_FOUND);
      await sm.send(new CreateSecretCommand({ Name: 'windowed', SecretString: 'again' }));
    });

    it('refuses a recovery window outside 7–30 days and changes nothing', async () => {
      // given
      await sm.send(new CreateSecretCommand({ Name: 'window-check', SecretString: 'x' }));
      // then
      for (const days of [6, 31]) {
        await rejects(
          sm.send(new DeleteSecretCommand({ SecretId: 'window-check', RecoveryWindowInDays: days })),
          'InvalidParameterException',
          'The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).',
        );
      }
      assert.equal((await sm.send(new DescribeSecretCommand({ SecretId: 'window-check' }))).DeletedDate, undefined);
    });
  });

  describe('KMS', () => {
    it('seals under a customer managed key; a disabled key makes GetSecretValue fail with DecryptionFailure', async () => {
      // given
      const kms = kmsClient(server.url);
      try {
        const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
        await sm.send(new CreateSecretCommand({ Name: 'cmk', SecretString: 'sealed', KmsKeyId: key.Arn }));
        assert.equal((await sm.send(new DescribeSecretCommand({ SecretId: 'cmk' }))).KmsKeyId, key.Arn);
        // when
        await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
        // then
        await rejects(sm.send(new GetSecretValueCommand({ SecretId: 'cmk' })), 'DecryptionFailure', /can't decrypt the protected secret text using the provided KMS key/);
        await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
        assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'cmk' }))).SecretString, 'sealed');
      } finally {
        kms.destroy();
      }
    });
    it('UpdateSecret to another key seals the current versions again under it', async () => {
      // given
      const kms = kmsClient(server.url);
      try {
        await sm.send(new CreateSecretCommand({ Name: 'rekeyed', SecretString: 'v' }));
        const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
        // when
        await sm.send(new UpdateSecretCommand({ SecretId: 'rekeyed', KmsKeyId: key.Arn }));
        // then
        const versions = (await sm.send(new ListSecretVersionIdsCommand({ SecretId: 'rekeyed' }))).Versions!;
        assert.deepEqual(versions.map((v) => v.KmsKeyIds), [[key.Arn]]);
        await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
        await rejects(sm.send(new GetSecretValueCommand({ SecretId: 'rekeyed' })), 'DecryptionFailure');
        await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
        assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'rekeyed' }))).SecretString, 'v');
        // and a key that does not exist is refused with nothing changed
        await rejects(
          sm.send(new UpdateSecretCommand({ SecretId: 'rekeyed', KmsKeyId: 'alias/none', Description: 'changed?' })),
          'EncryptionFailure',
          /alias\/none is not found/,
        );
        const d = await sm.send(new DescribeSecretCommand({ SecretId: 'rekeyed' }));
        assert.deepEqual([d.KmsKeyId, d.Description], [key.Arn, undefined]);
      } finally {
        kms.destroy();
      }
    });
  });

  describe('IAM', () => {
    it('CreateSecret with tags also needs secretsmanager:TagResource; nothing is created without it', async () => {
      // given
      const user = await makeUser(server.url, 'secret-creator', {
        inline: { create: doc([{ Effect: 'Allow', Action: ['secretsmanager:CreateSecret', 'secretsmanager:DescribeSecret'], Resource: '*' }]) },
      });
      const asUser = smClient(server.url, user);
      try {
        // when
        const denied = asUser.send(new CreateSecretCommand({ Name: 'creator/tagged', SecretString: 'x', Tags: [{ Key: 'k', Value: 'v' }] }));
        // then
        await rejects(denied, 'AccessDeniedException', /secretsmanager:TagResource on resource: arn:aws:secretsmanager:us-east-1:000000000000:secret:creator\/tagged-/);
        await rejects(asUser.send(new DescribeSecretCommand({ SecretId: 'creator/tagged' })), 'ResourceNotFoundException', NOT_FOUND);
        assert.equal((await asUser.send(new CreateSecretCommand({ Name: 'creator/plain', SecretString: 'x' }))).Name, 'creator/plain');
      } finally {
        asUser.destroy();
      }
    });

    it('conditions on aws:ResourceTag see the secret’s tags', async () => {
      // given
      await sm.send(new CreateSecretCommand({ Name: 'tags/team-a', SecretString: 'a', Tags: [{ Key: 'team', Value: 'a' }] }));
      const other = await sm.send(new CreateSecretCommand({ Name: 'tags/team-b', SecretString: 'b', Tags: [{ Key: 'team', Value: 'b' }] }));
      const user = await makeUser(server.url, 'team-a-reader', {
        inline: {
          read: doc([{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/team': 'a' } } }]),
        },
      });
      const asUser = smClient(server.url, user);
      try {
        // then
        assert.equal((await asUser.send(new GetSecretValueCommand({ SecretId: 'tags/team-a' }))).SecretString, 'a');
        await rejects(
          asUser.send(new GetSecretValueCommand({ SecretId: 'tags/team-b' })),
          'AccessDeniedException',
          noIdentityAllow(user.arn, 'secretsmanager:GetSecretValue', other.ARN!),
        );
      } finally {
        asUser.destroy();
      }
    });

    it('enforces secretsmanager:<Op> on the secret ARN; without kms:Decrypt on a customer key: Access to KMS is not allowed', async () => {
      // given
      const open = await sm.send(new CreateSecretCommand({ Name: 'iam/open', SecretString: 'o' }));
      const kms = kmsClient(server.url);
      const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
      kms.destroy();
      const cmk = await sm.send(new CreateSecretCommand({ Name: 'iam/cmk', SecretString: 'c', KmsKeyId: key.KeyId }));
      const user = await makeUser(server.url, 'secret-reader', {
        inline: { read: doc([{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:iam/*` }]) },
      });
      const asUser = smClient(server.url, user);
      try {
        // when / then
        assert.equal((await asUser.send(new GetSecretValueCommand({ SecretId: 'iam/open' }))).SecretString, 'o');
        await rejects(
          asUser.send(new DescribeSecretCommand({ SecretId: 'iam/open' })),
          'AccessDeniedException',
          noIdentityAllow(user.arn, 'secretsmanager:DescribeSecret', open.ARN!),
        );
        await rejects(asUser.send(new GetSecretValueCommand({ SecretId: 'iam/cmk' })), 'AccessDeniedException', 'Access to KMS is not allowed');
        await rejects(
          asUser.send(new GetSecretValueCommand({ SecretId: 'other' })),
          'AccessDeniedException',
          noIdentityAllow(user.arn, 'secretsmanager:GetSecretValue', `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:other`),
        );
        await rejects(
          asUser.send(new CreateSecretCommand({ Name: 'iam/new', Tags: [{ Key: 'k', Value: 'v' }] })),
          'AccessDeniedException',
          /is not authorized to perform: secretsmanager:CreateSecret on resource: arn:aws:secretsmanager:us-east-1:000000000000:secret:iam\/new-[A-Za-z0-9]{6} because/,
        );
        await rejects(
          asUser.send(new ListSecretsCommand({})),
          'AccessDeniedException',
          noIdentityAllow(user.arn, 'secretsmanager:ListSecrets', '*'),
        );
        assert.ok(cmk.ARN);
      } finally {
        asUser.destroy();
      }
    });
  });
});
