import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../clock.js';
import type { Authorizer } from '../iam/authorize.js';
import { randomIds } from '../ids.js';
import { Kms, type KeyPolicyChecks } from '../kms/keys.js';
import { openSqliteMetaStore } from '../store/meta/sqlite.js';
import { Sealer } from '../store/sealing.js';
import { parsePartialSecretArn, parseSecretArn, SecretDecryptError, SecretNotFoundError, Secrets, SecretsError } from './secrets.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const DAY = 86_400_000;

async function setup() {
  const meta = openSqliteMetaStore(':memory:', Sealer.fromConfig({}));
  await meta.accounts.create(
    { accountId: ACCOUNT, name: 'default', createdAt: new Date() },
    { accessKeyId: 'AKIATEST', secretAccessKey: 'x', owner: { kind: 'root' }, status: 'Active', createdAt: new Date() },
  );
  const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
  const authorizer: Authorizer = { authorize: async () => undefined };
  const policies: KeyPolicyChecks = { validate: async () => ({}) as never, allowsPutKeyPolicy: async () => true };
  const kms = new Kms({ meta, authorizer, policies, ids: randomIds, clock });
  const secrets = new Secrets({ meta, kms, ids: randomIds, clock });
  const create = (name: string, value?: string, kmsKeyId?: string) =>
    secrets.create(ACCOUNT, REGION, secrets.newArn(ACCOUNT, REGION, name), {
      name,
      ...(value !== undefined ? { value: { string: value } } : {}),
      ...(kmsKeyId !== undefined ? { kmsKeyId } : {}),
    });
  return { meta, kms, secrets, clock, create };
}

const kind = (k: string) => (e: unknown) => e instanceof SecretsError && e.kind === k;

describe('Secrets domain', () => {
  it('gives ARNs of the name, a hyphen and 6 letters or digits, parsed back whole or partial', async () => {
    // given
    const { create } = await setup();
    // when
    const { secret } = await create('ecr-pullthroughcache/docker-hub', '{"username":"u","accessToken":"t"}');
    // then
    assert.match(secret.arn, /^arn:aws:secretsmanager:us-east-1:000000000000:secret:ecr-pullthroughcache\/docker-hub-[A-Za-z0-9]{6}$/);
    assert.deepEqual(parseSecretArn(secret.arn), { region: REGION, accountId: ACCOUNT, name: 'ecr-pullthroughcache/docker-hub', suffix: secret.arn.slice(-6) });
    assert.equal(parsePartialSecretArn(secret.arn.slice(0, -7))?.name, 'ecr-pullthroughcache/docker-hub');
  });

  it('reads the AWSCURRENT string for a service by name, ARN and partial ARN', async () => {
    // given
    const { secrets, create } = await setup();
    const { secret } = await create('ecr-pullthroughcache/gh', '{"username":"u","accessToken":"t1"}');
    // when
    const byName = await secrets.readCurrentForService(ACCOUNT, REGION, 'ecr-pullthroughcache/gh');
    const byArn = await secrets.readCurrentForService(ACCOUNT, REGION, secret.arn);
    const byPartial = await secrets.readCurrentForService(ACCOUNT, REGION, secret.arn.slice(0, -7));
    // then
    assert.equal(byName, '{"username":"u","accessToken":"t1"}');
    assert.equal(byArn, byName);
    assert.equal(byPartial, byName);
  });

  it('moves AWSCURRENT and AWSPREVIOUS on PutSecretValue; the service reads the new value', async () => {
    // given
    const { secrets, create } = await setup();
    const { secret, versionId: first } = await create('s', 'one');
    // when
    const { version } = await secrets.putValue(secret, { string: 'two' }, {});
    // then
    const now = await secrets.resolve(ACCOUNT, REGION, 's');
    assert.deepEqual(now.versions.find((v) => v.versionId === first)?.stages, ['AWSPREVIOUS']);
    assert.deepEqual(now.versions.find((v) => v.versionId === version.versionId)?.stages, ['AWSCURRENT']);
    assert.equal(await secrets.readCurrentForService(ACCOUNT, REGION, 's'), 'two');
    assert.deepEqual((await secrets.getValue(now, { stage: 'AWSPREVIOUS' })).value, { string: 'one' });
  });

  it('throws SecretNotFoundError for no such secret and for one scheduled for deletion', async () => {
    // given
    const { secrets, create } = await setup();
    const { secret } = await create('gone', 'v');
    await secrets.scheduleDeletion(secret, { recoveryWindowInDays: 7 });
    // then
    await assert.rejects(secrets.readCurrentForService(ACCOUNT, REGION, 'nope'), SecretNotFoundError);
    await assert.rejects(secrets.readCurrentForService(ACCOUNT, REGION, 'gone'), SecretNotFoundError);
    await assert.rejects(secrets.readCurrentForService('111111111111', REGION, 'gone'), SecretNotFoundError);
    await assert.rejects(secrets.readCurrentForService(ACCOUNT, REGION, 'bad name#'), SecretNotFoundError);
    const { secret: other } = await create('live', 'v');
    await assert.rejects(secrets.readCurrentForService('111111111111', REGION, other.arn), SecretNotFoundError);
    await assert.rejects(secrets.readCurrentForService(ACCOUNT, 'eu-west-1', other.arn), SecretNotFoundError);
  });

  it('throws SecretDecryptError when the KMS key is disabled', async () => {
    // given
    const { kms, secrets, create } = await setup();
    const key = await kms.createKey(ACCOUNT, REGION, {});
    await create('k', 'v', key.arn);
    // when
    await kms.disableKey(key);
    // then
    await assert.rejects(secrets.readCurrentForService(ACCOUNT, REGION, 'k'), (e: unknown) => e instanceof SecretDecryptError && e.kmsError === 'DisabledException');
  });

  it('seals values: the stored record holds no plaintext; the AWS managed key is made on first use', async () => {
    // given
    const { meta, kms, create } = await setup();
    // when
    const { secret } = await create('plain', 'hunter2-very-secret');
    // then
    const stored = JSON.stringify(await meta.secretsManager.get(secret.arn));
    assert.ok(!stored.includes('hunter2'));
    const managed = await kms.resolveKey(ACCOUNT, REGION, 'alias/aws/secretsmanager');
    assert.equal(secret.versions[0]?.kmsKeyArn, managed.arn);
  });

  it('deletes after the recovery window on the clock, not before; restore cancels', async () => {
    // given
    const { secrets, clock, create } = await setup();
    const { secret: a } = await create('a', 'v');
    const { secret: b } = await create('b', 'v');
    await secrets.scheduleDeletion(a, { recoveryWindowInDays: 7 });
    await secrets.scheduleDeletion(b, {});
    await secrets.restore(await secrets.resolve(ACCOUNT, REGION, 'b'));
    // when
    clock.advance(7 * DAY - 1);
    const early = await secrets.runSchedule();
    clock.advance(1);
    const due = await secrets.runSchedule();
    // then
    assert.deepEqual(early, { deleted: 0 });
    assert.deepEqual(due, { deleted: 1 });
    await assert.rejects(secrets.resolve(ACCOUNT, REGION, 'a'), SecretNotFoundError);
    assert.equal(await secrets.readCurrentForService(ACCOUNT, REGION, 'b'), 'v');
  });

  it('refuses a recovery window outside 7–30 and a second secret of the same name', async () => {
    // given
    const { secrets, create } = await setup();
    const { secret } = await create('x', 'v');
    // then
    await assert.rejects(secrets.scheduleDeletion(secret, { recoveryWindowInDays: 6 }), kind('InvalidParameter'));
    await assert.rejects(secrets.scheduleDeletion(secret, { recoveryWindowInDays: 31 }), kind('InvalidParameter'));
    await assert.rejects(create('x', 'w'), kind('ResourceExists'));
  });
});
