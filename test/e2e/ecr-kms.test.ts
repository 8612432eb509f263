/**
 * KMS-encrypted ECR repositories (issue 10, items 4–6): the key checked at CreateRepository,
 * reported by its ARN, blobs sealed at rest under it, and pulls and pushes following its state.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  GetDownloadUrlForLayerCommand,
  InitiateLayerUploadCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  KMSClient,
  EnableKeyRotationCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { ManualClock } from '../../src/clock.js';
import { runJob } from '../support/admin.js';
import { awsCli, boto3, ecrClient, type Credentials } from '../support/clients.js';
import { MANAGED, makeUser } from '../support/iam.js';
import { buildImage, OCI_MANIFEST } from '../support/oci-image.js';
import { loginPassword, Registry, sha256 } from '../support/registry.js';
import { ACCOUNT, REGION, ROOT, startServer, tempDir, type TestServer } from '../support/server.js';
import { hasTool } from '../support/tools.js';

const kmsClient = (url: string, credentials: Credentials = ROOT, region = REGION): KMSClient =>
  new KMSClient({ endpoint: url, region, credentials, maxAttempts: 1 });

/** The KmsException an SDK call fails with: its message and kmsError. */
async function kmsFailure(p: Promise<unknown>): Promise<{ name: string; message: string; kmsError?: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; kmsError?: string };
    return { name: err.name, message: err.message, ...(err.kmsError !== undefined ? { kmsError: err.kmsError } : {}) };
  }
  assert.fail('the call succeeded');
}

describe('ECR CreateRepository with KMS encryption', () => {
  let server: TestServer;
  let ecr: ECRClient;
  let kms: KMSClient;

  before(async () => {
    server = await startServer();
    ecr = ecrClient(server.url);
    kms = kmsClient(server.url);
  });
  after(async () => {
    ecr.destroy();
    kms.destroy();
    await server.close();
  });

  const createKey = async (extra: Record<string, unknown> = {}): Promise<{ id: string; arn: string }> => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand(extra));
    return { id: KeyMetadata!.KeyId!, arn: KeyMetadata!.Arn! };
  };
  const create = (repositoryName: string, encryptionType: 'KMS' | 'KMS_DSSE' | 'AES256', kmsKey?: string) =>
    ecr.send(new CreateRepositoryCommand({ repositoryName, encryptionConfiguration: { encryptionType, ...(kmsKey !== undefined ? { kmsKey } : {}) } }));
  const assertNoRepository = async (name: string) =>
    assert.rejects(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] })), { name: 'RepositoryNotFoundException' });

  it('reports the key ARN whichever way the key is named, in CreateRepository and DescribeRepositories', async () => {
    // given
    const key = await createKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/ecr-app', TargetKeyId: key.id }));
    const refs = { byid: key.id, byarn: key.arn, byalias: 'alias/ecr-app', byaliasarn: `arn:aws:kms:${REGION}:${ACCOUNT}:alias/ecr-app` };
    for (const [name, ref] of Object.entries(refs)) {
      // when
      const { repository } = await create(`named/${name}`, 'KMS', ref);
      // then
      assert.deepEqual(repository?.encryptionConfiguration, { encryptionType: 'KMS', kmsKey: key.arn }, name);
      const described = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [`named/${name}`] }));
      assert.deepEqual(described.repositories?.[0]?.encryptionConfiguration, { encryptionType: 'KMS', kmsKey: key.arn }, name);
    }
    const dsse = await create('named/dsse', 'KMS_DSSE', key.id);
    assert.deepEqual(dsse.repository?.encryptionConfiguration, { encryptionType: 'KMS_DSSE', kmsKey: key.arn });
  });

  it('uses the AWS managed key alias/aws/ecr when KMS names no key, made on first use', async () => {
    // when
    const first = await create('managed/one', 'KMS');
    const second = await create('managed/two', 'KMS');
    // then
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/ecr' }));
    assert.equal(KeyMetadata?.KeyManager, 'AWS');
    assert.deepEqual(first.repository?.encryptionConfiguration, { encryptionType: 'KMS', kmsKey: KeyMetadata?.Arn });
    assert.equal(second.repository?.encryptionConfiguration?.kmsKey, KeyMetadata?.Arn, 'one managed key per account and region');
  });

  it('keeps AES256 the default, without a key', async () => {
    const { repository } = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'plain/default' }));
    assert.deepEqual(repository?.encryptionConfiguration, { encryptionType: 'AES256' });
  });

  it('refuses a key that does not exist, by id, ARN or alias, and keeps no repository', async () => {
    const missing = '0f0f0f0f-1111-2222-3333-444444444444';
    const cases: [string, string, string][] = [
      ['missing/id', missing, `Key 'arn:aws:kms:${REGION}:${ACCOUNT}:key/${missing}' does not exist`],
      ['missing/garbage', 'not-a-key', `Key 'arn:aws:kms:${REGION}:${ACCOUNT}:key/not-a-key' does not exist`],
      ['missing/arn', `arn:aws:kms:${REGION}:${ACCOUNT}:key/${missing}`, `Key 'arn:aws:kms:${REGION}:${ACCOUNT}:key/${missing}' does not exist`],
      ['missing/alias', 'alias/nope', `Alias arn:aws:kms:${REGION}:${ACCOUNT}:alias/nope is not found.`],
    ];
    for (const [name, ref, message] of cases) {
      // when
      const failure = await kmsFailure(create(name, 'KMS', ref));
      // then
      assert.deepEqual(failure, { name: 'KmsException', message, kmsError: 'NotFoundException' }, ref);
      await assertNoRepository(name);
    }
  });

  it('refuses a disabled key and a key pending deletion', async () => {
    // given
    const disabled = await createKey();
    await kms.send(new DisableKeyCommand({ KeyId: disabled.id }));
    const pending = await createKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: pending.id, PendingWindowInDays: 7 }));
    // when / then
    assert.deepEqual(await kmsFailure(create('state/disabled', 'KMS', disabled.arn)), {
      name: 'KmsException',
      message: `${disabled.arn} is disabled.`,
      kmsError: 'DisabledException',
    });
    assert.deepEqual(await kmsFailure(create('state/pending', 'KMS_DSSE', pending.id)), {
      name: 'KmsException',
      message: `${pending.arn} is pending deletion.`,
      kmsError: 'KMSInvalidStateException',
    });
    await assertNoRepository('state/disabled');
    await assertNoRepository('state/pending');
  });

  it('refuses a key of another region', async () => {
    // given
    const west = kmsClient(server.url, ROOT, 'us-west-2');
    const { KeyMetadata } = await west.send(new CreateKeyCommand({}));
    west.destroy();
    // when / then
    assert.deepEqual(await kmsFailure(create('region/west', 'KMS', KeyMetadata!.Arn!)), {
      name: 'KmsException',
      message: 'Invalid arn us-west-2',
      kmsError: 'NotFoundException',
    });
    await assertNoRepository('region/west');
  });

  it('refuses asymmetric keys and keys not for ENCRYPT_DECRYPT', async () => {
    // given
    const signing = await createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const rsa = await createKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
    const hmac = await createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    // when / then
    assert.deepEqual(await kmsFailure(create('usage/sign', 'KMS', signing.id)), {
      name: 'KmsException',
      message: `${signing.arn} key usage is SIGN_VERIFY which is not valid for GenerateDataKey.`,
      kmsError: 'InvalidKeyUsageException',
    });
    assert.deepEqual(await kmsFailure(create('usage/rsa', 'KMS', rsa.id)), {
      name: 'KmsException',
      message: `${rsa.arn} key spec is RSA_2048 which is not valid for GenerateDataKey.`,
      kmsError: 'InvalidKeyUsageException',
    });
    assert.equal((await kmsFailure(create('usage/hmac', 'KMS', hmac.id))).kmsError, 'InvalidKeyUsageException');
    for (const name of ['usage/sign', 'usage/rsa', 'usage/hmac']) await assertNoRepository(name);
  });

  it('refuses a key whose key policy does not let the caller use it, even the account root', async () => {
    // given a key whose policy lets the account only describe it
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:DescribeKey', Resource: '*' }],
    });
    const key = await createKey({ Policy: policy, BypassPolicyLockoutSafetyCheck: true });
    // when
    const failure = await kmsFailure(create('policy/closed', 'KMS', key.id));
    // then
    assert.deepEqual(failure, {
      name: 'KmsException',
      message: `User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: kms:CreateGrant on resource: ${key.arn} because no resource-based policy allows the kms:CreateGrant action`,
      kmsError: 'AccessDeniedException',
    });
    await assertNoRepository('policy/closed');
  });

  it('refuses a user whose IAM policies do not grant the key that the default key policy defers to', async () => {
    // given a user who may use ECR but not KMS, and a key with the default policy
    const key = await createKey();
    const user = await makeUser(server.url, 'ecr-only', { managed: [MANAGED.full] });
    const asUser = ecrClient(server.url, user);
    try {
      // when
      const failure = await kmsFailure(
        asUser.send(new CreateRepositoryCommand({ repositoryName: 'policy/iam', encryptionConfiguration: { encryptionType: 'KMS', kmsKey: key.id } })),
      );
      // then
      assert.deepEqual(failure, {
        name: 'KmsException',
        message: `User: ${user.arn} is not authorized to perform: kms:DescribeKey on resource: ${key.arn} because no identity-based policy allows the kms:DescribeKey action`,
        kmsError: 'AccessDeniedException',
      });
      // while the managed key, whose policy allows every principal of the account through ECR, works
      const managed = await asUser.send(new CreateRepositoryCommand({ repositoryName: 'policy/managed', encryptionConfiguration: { encryptionType: 'KMS' } }));
      assert.equal(managed.repository?.encryptionConfiguration?.encryptionType, 'KMS');
    } finally {
      asUser.destroy();
    }
    await assertNoRepository('policy/iam');
  });

  it('refuses a key with AES256, as before', async () => {
    const key = await createKey();
    await assert.rejects(create('aes/key', 'AES256', key.id), { name: 'InvalidParameterException' });
  });

  it('answers the same through the aws CLI and boto3', async (t) => {
    if (!(await hasTool('aws', '--version'))) {
      t.skip('aws CLI not installed');
      return;
    }
    // given
    const key = await createKey();
    await kms.send(new DisableKeyCommand({ KeyId: key.id }));
    // when the CLI creates a repository with an alias it does not know
    const cli = await awsCli(server.url, ['ecr', 'create-repository', '--repository-name', 'cli/missing', '--encryption-configuration', 'encryptionType=KMS,kmsKey=alias/none']);
    // then
    assert.notEqual(cli.code, 0);
    assert.match(
      cli.stderr,
      new RegExp(`An error occurred \\(KmsException\\) when calling the CreateRepository operation: Alias arn:aws:kms:${REGION}:${ACCOUNT}:alias/none is not found\\.`),
    );
    // and with a good key
    await kms.send(new EnableKeyCommand({ KeyId: key.id }));
    const ok = await awsCli(server.url, ['ecr', 'create-repository', '--repository-name', 'cli/ok', '--encryption-configuration', `encryptionType=KMS,kmsKey=${key.id}`]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(ok.json<{ repository: { encryptionConfiguration: unknown } }>().repository.encryptionConfiguration, { encryptionType: 'KMS', kmsKey: key.arn });
    // boto3 sees kmsError beside the code
    await kms.send(new DisableKeyCommand({ KeyId: key.id }));
    const py = (await boto3(
      server.url,
      'ecr',
      `try:
    client.create_repository(repositoryName='py/disabled', encryptionConfiguration={'encryptionType': 'KMS', 'kmsKey': ${JSON.stringify(key.arn)}})
    out(None)
except ClientError as e:
    out({'code': e.response['Error']['Code'], 'message': e.response['Error']['Message'], 'kmsError': e.response.get('kmsError')})`,
    )) as Record<string, string>;
    assert.deepEqual(py, { code: 'KmsException', message: `${key.arn} is disabled.`, kmsError: 'DisabledException' });
  });
});

describe('blobs of KMS-encrypted repositories at rest and under key state changes', () => {
  const dir = tempDir('simfra-kms-ecr-');
  let server: TestServer;
  let ecr: ECRClient;
  let kms: KMSClient;
  let keyArn: string;
  let reg: Registry;
  const marker = Buffer.from('A-KNOWN-PLAINTEXT-THAT-MUST-NOT-BE-ON-DISK-'.repeat(20));

  const image = buildImage({ layers: 2, layerSize: 300_000, seed: 11 });

  const open = async (): Promise<void> => {
    server = await startServer({ dataDir: dir.path });
    ecr = ecrClient(server.url);
    kms = kmsClient(server.url);
    reg = new Registry(server.port, await loginPassword(server.url));
  };
  const shut = async (): Promise<void> => {
    ecr.destroy();
    kms.destroy();
    await server.close();
  };

  before(async () => {
    await open();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    keyArn = KeyMetadata!.Arn!;
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'sealed', encryptionConfiguration: { encryptionType: 'KMS', kmsKey: keyArn } }));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'open' }));
  });
  after(async () => {
    await shut();
    dir.remove();
  });

  /** Files under `root` (recursively) whose bytes contain `needle`. */
  async function filesContaining(root: string, needle: Buffer): Promise<string[]> {
    const found: string[] = [];
    for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      if ((await readFile(path)).includes(needle)) found.push(path);
    }
    return found;
  }

  it('stores the blobs of a KMS repository encrypted, those of an AES256 one as they are', async () => {
    // given
    const blob = Buffer.concat([Buffer.alloc(1000, 1), marker, Buffer.alloc(70_000, 2)]);
    // when
    await reg.pushBlob('sealed', blob);
    await reg.pushBlob('open', blob);
    const built = await image;
    await reg.pushImage('sealed', 'v1', { manifest: built.manifest, mediaType: OCI_MANIFEST, blobs: built.blobs });
    // then
    const plainFiles = await filesContaining(join(dir.path, 'ecr', 'blobs'), marker);
    assert.equal(plainFiles.length, 1, 'the AES256 copy holds the plaintext (so the grep can find it)');
    assert.deepEqual(await filesContaining(join(dir.path, 'ecr', 'kms'), marker), [], 'no sealed file holds it');
    assert.ok((await reg.request('GET', `/v2/sealed/blobs/${sha256(blob)}`)).body.equals(blob));
    const ranged = await reg.request('GET', `/v2/sealed/blobs/${sha256(blob)}`, { headers: { range: 'bytes=900-1999' } });
    assert.equal(ranged.status, 206);
    assert.ok(ranged.body.equals(blob.subarray(900, 2000)));
  });

  it('fails pulls and pushes while the key is disabled, and serves them again once it is enabled', async () => {
    // given
    const built = await image;
    const layer = sha256(built.blobs[1]!);
    const { downloadUrl } = await ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: 'sealed', layerDigest: layer }));
    // when
    await kms.send(new DisableKeyCommand({ KeyId: keyArn }));
    // then the registry refuses the layer with KMS's text
    const blob = await reg.request('GET', `/v2/sealed/blobs/${layer}`);
    assert.equal(blob.status, 403);
    assert.deepEqual(JSON.parse(blob.text), { errors: [{ code: 'DENIED', message: `${keyArn} is disabled.`, detail: { kmsError: 'DisabledException' } }] });
    // and the S3-like download URL answers as S3 does for an unusable SSE-KMS key
    const download = await fetch(downloadUrl!);
    assert.equal(download.status, 400);
    assert.match(await download.text(), new RegExp(`<Code>KMS.DisabledException</Code><Message>${keyArn} is disabled.</Message>`));
    // and a push cannot start
    assert.deepEqual(await kmsFailure(ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'sealed' }))), {
      name: 'KmsException',
      message: `${keyArn} is disabled.`,
      kmsError: 'DisabledException',
    });
    assert.equal((await reg.request('POST', '/v2/sealed/blobs/uploads/')).status, 403);
    const manifestPush = await reg.pushManifest('sealed', 'v2', built.manifest, OCI_MANIFEST);
    assert.equal(manifestPush.status, 403, 'PutImage needs the key too');
    assert.equal(JSON.parse(manifestPush.text).errors[0].message, `${keyArn} is disabled.`);
    // while the manifest (BatchGetImage lists no KmsException) and AES256 repositories still answer
    const manifests = await ecr.send(new BatchGetImageCommand({ repositoryName: 'sealed', imageIds: [{ imageTag: 'v1' }] }));
    assert.equal(manifests.images?.length, 1);
    assert.equal((await reg.request('GET', `/v2/open/blobs/${sha256(Buffer.concat([Buffer.alloc(1000, 1), marker, Buffer.alloc(70_000, 2)]))}`)).status, 200);

    // when the key is enabled again
    await kms.send(new EnableKeyCommand({ KeyId: keyArn }));
    // then
    assert.ok((await reg.request('GET', `/v2/sealed/blobs/${layer}`)).body.equals(built.blobs[1]!));
    assert.ok(Buffer.from(await (await fetch(downloadUrl!)).arrayBuffer()).equals(built.blobs[1]!));
  });

  it('fails pulls while the key is pending deletion, and serves them after the deletion is cancelled and the key enabled', async () => {
    const built = await image;
    const layer = sha256(built.blobs[0]!);
    // when
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyArn, PendingWindowInDays: 7 }));
    // then
    const blob = await reg.request('GET', `/v2/sealed/blobs/${layer}`);
    assert.equal(blob.status, 403);
    assert.deepEqual(JSON.parse(blob.text).errors[0], { code: 'DENIED', message: `${keyArn} is pending deletion.`, detail: { kmsError: 'KMSInvalidStateException' } });
    // when the deletion is cancelled (the key comes back disabled, as in KMS) and enabled
    await kms.send(new CancelKeyDeletionCommand({ KeyId: keyArn }));
    assert.equal((await reg.request('GET', `/v2/sealed/blobs/${layer}`)).status, 403);
    await kms.send(new EnableKeyCommand({ KeyId: keyArn }));
    // then
    assert.ok((await reg.request('GET', `/v2/sealed/blobs/${layer}`)).body.equals(built.blobs[0]!));
  });

  it('brings the encrypted blobs back after a restart with the same SIMFRA_DATA_DIR', async () => {
    // given
    const built = await image;
    // when
    await shut();
    await open();
    // then
    const manifest = await reg.request('GET', '/v2/sealed/manifests/v1', { headers: { accept: OCI_MANIFEST } });
    assert.equal(manifest.status, 200);
    for (const blob of built.blobs) assert.ok((await reg.request('GET', `/v2/sealed/blobs/${sha256(blob)}`)).body.equals(blob));
    // and the key's state still rules them
    await kms.send(new DisableKeyCommand({ KeyId: keyArn }));
    assert.equal((await reg.request('GET', `/v2/sealed/blobs/${sha256(built.blobs[0]!)}`)).status, 403);
    await kms.send(new EnableKeyCommand({ KeyId: keyArn }));
  });
});

for (const where of ['in memory', 'under SIMFRA_DATA_DIR'] as const) {
  describe(`a KMS repository ${where}, through key rotation and deletion`, () => {
    const clock = new ManualClock(new Date());
    const dir = tempDir('simfra-kms-rot-');
    let server: TestServer;
    let ecr: ECRClient;
    let kms: KMSClient;

    before(async () => {
      // The clock moves by days (the deletion window): signatures stay valid.
      server = await startServer({ maxClockSkewSeconds: 10 * 365 * 86_400, ...(where === 'in memory' ? {} : { dataDir: dir.path }) }, { clock });
      ecr = ecrClient(server.url);
      kms = kmsClient(server.url);
    });
    after(async () => {
      ecr.destroy();
      kms.destroy();
      await server.close();
      dir.remove();
    });

    it('pulls across a rotation, and fails with NotFoundException once the key is deleted', async () => {
      // given an image in a repository under a key
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
      const keyArn = KeyMetadata!.Arn!;
      await ecr.send(new CreateRepositoryCommand({ repositoryName: 'mem/sealed', encryptionConfiguration: { encryptionType: 'KMS', kmsKey: keyArn } }));
      const built = await buildImage({ layers: 1, layerSize: 50_000, seed: 21 });
      await new Registry(server.port, await loginPassword(server.url)).pushImage('mem/sealed', 'v1', {
        manifest: built.manifest,
        mediaType: OCI_MANIFEST,
        blobs: built.blobs,
      });
      const layer = built.blobs[built.blobs.length - 1]!;
      // when the key rotates (automatic rotation falls due)
      await kms.send(new EnableKeyRotationCommand({ KeyId: keyArn, RotationPeriodInDays: 90 }));
      clock.advance(91 * 86_400_000);
      assert.ok(((await runJob(server.url, 'kms-key-deletion')).rotated as number) >= 1);
      // then the layer still pulls
      let reg = new Registry(server.port, await loginPassword(server.url));
      assert.ok((await reg.request('GET', `/v2/mem/sealed/blobs/${sha256(layer)}`)).body.equals(layer));
      // when the key is deleted at the end of its window
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyArn, PendingWindowInDays: 7 }));
      clock.advance(7 * 86_400_000);
      await runJob(server.url, 'kms-key-deletion');
      // then pulls and pushes fail with KMS's NotFoundException
      reg = new Registry(server.port, await loginPassword(server.url));
      const pulled = await reg.request('GET', `/v2/mem/sealed/blobs/${sha256(layer)}`);
      assert.equal(pulled.status, 403);
      assert.deepEqual(JSON.parse(pulled.text).errors[0], {
        code: 'DENIED',
        message: `Key '${keyArn}' does not exist`,
        detail: { kmsError: 'NotFoundException' },
      });
      assert.deepEqual(await kmsFailure(ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'mem/sealed' }))), {
        name: 'KmsException',
        message: `Key '${keyArn}' does not exist`,
        kmsError: 'NotFoundException',
      });
    });
  });
}
