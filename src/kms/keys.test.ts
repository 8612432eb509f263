import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../clock.js';
import type { AuthzRequest, AuthzSubject, Authorizer } from '../iam/authorize.js';
import { rootPrincipal } from '../iam/principal.js';
import { randomIds } from '../ids.js';
import { openSqliteMetaStore } from '../store/meta/sqlite.js';
import { Sealer } from '../store/sealing.js';
import { KmsError } from './errors.js';
import { Kms, type KeyPolicyChecks } from './keys.js';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

async function setup() {
  const meta = openSqliteMetaStore(':memory:', Sealer.fromConfig({}));
  await meta.accounts.create(
    { accountId: ACCOUNT, name: 'default', createdAt: new Date() },
    { accessKeyId: 'AKIATEST', secretAccessKey: 'x', owner: { kind: 'root' }, status: 'Active', createdAt: new Date() },
  );
  const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
  const asked: AuthzRequest[] = [];
  const authorizer: Authorizer = {
    async authorize(_s: AuthzSubject, requests: readonly AuthzRequest[]) {
      asked.push(...requests);
    },
  };
  const policies: KeyPolicyChecks = { validate: async () => ({}) as never, allowsPutKeyPolicy: async () => true };
  const kms = new Kms({ meta, authorizer, policies, ids: randomIds, clock });
  return { kms, clock, asked, meta };
}

const kind = (k: string) => (e: unknown) => e instanceof KmsError && e.kind === k;

describe('Kms domain', () => {
  it('resolves a key by id, ARN, alias and alias ARN; NotFound with KMS’s texts otherwise', async () => {
    // given
    const { kms } = await setup();
    const key = await kms.createKey(ACCOUNT, REGION, {});
    await kms.createAlias(ACCOUNT, REGION, 'alias/a', key);
    // then
    for (const ref of [key.keyId, key.arn, 'alias/a', `arn:aws:kms:${REGION}:${ACCOUNT}:alias/a`]) {
      assert.equal((await kms.resolveKey(ACCOUNT, REGION, ref)).keyId, key.keyId);
    }
    await assert.rejects(kms.resolveKey(ACCOUNT, 'eu-west-1', key.keyId), (e: Error) => e.message === `Key 'arn:aws:kms:eu-west-1:${ACCOUNT}:key/${key.keyId}' does not exist`);
    await assert.rejects(kms.resolveKey(ACCOUNT, REGION, 'alias/b'), (e: Error) => e.message === `Alias arn:aws:kms:${REGION}:${ACCOUNT}:alias/b is not found.`);
  });

  it('generateDataKey / decrypt round trip with context; state and context errors', async () => {
    const { kms } = await setup();
    const key = await kms.createKey(ACCOUNT, REGION, {});
    const dk = await kms.generateDataKey(key, { repo: 'x' });
    assert.equal(dk.plaintext.length, 32);
    const back = await kms.decrypt(dk.ciphertextBlob, { repo: 'x' });
    assert.deepEqual(back.plaintext, dk.plaintext);
    assert.equal(back.keyArn, key.arn);
    await assert.rejects(kms.decrypt(dk.ciphertextBlob, { repo: 'y' }), kind('InvalidCiphertext'));
    const disabled = await kms.disableKey(key);
    await assert.rejects(kms.generateDataKey(disabled, {}), kind('Disabled'));
    await assert.rejects(kms.decrypt(dk.ciphertextBlob, { repo: 'x' }), kind('Disabled'));
    await kms.scheduleDeletion(disabled, 7);
    await assert.rejects(kms.decrypt(dk.ciphertextBlob, { repo: 'x' }), kind('InvalidState'));
  });

  it('awsManagedKey makes alias/aws/ecr once, even when asked concurrently', async () => {
    const { kms } = await setup();
    const [a, b] = await Promise.all([kms.awsManagedKey(ACCOUNT, REGION, 'ecr'), kms.awsManagedKey(ACCOUNT, REGION, 'ecr')]);
    assert.equal(a.keyId, b.keyId);
    assert.equal(a.keyManager, 'AWS');
    assert.equal((await kms.awsManagedKey(ACCOUNT, REGION, 'ecr')).keyId, a.keyId);
    assert.equal((await kms.resolveKey(ACCOUNT, REGION, 'alias/aws/ecr')).keyId, a.keyId);
    await assert.rejects(kms.disableKey(a), kind('Unsupported'));
  });

  it('authorize asks for the action on the key ARN with kms:CallerAccount, kms:ViaService and the context keys', async () => {
    const { kms, asked } = await setup();
    const key = await kms.createKey(ACCOUNT, REGION, {});
    const subject: AuthzSubject = { principal: rootPrincipal(ACCOUNT), sourceIp: '127.0.0.1', secureTransport: false, now: new Date() };
    await kms.authorize(subject, 'kms:GenerateDataKey', key, { viaService: 'ecr', encryptionContext: { repo: 'x' } });
    assert.deepEqual(asked.at(-1), {
      action: 'kms:GenerateDataKey',
      resource: key.arn,
      context: {
        'kms:CallerAccount': ACCOUNT,
        'kms:ViaService': `ecr.${REGION}.amazonaws.com`,
        'kms:EncryptionContextKeys': ['repo'],
        'kms:EncryptionContext:repo': 'x',
      },
    });
  });

  it('runSchedule deletes keys (and their aliases) whose deletion date passed, and rotates due keys', async () => {
    const { kms, clock, meta } = await setup();
    const key = await kms.createKey(ACCOUNT, REGION, {});
    await kms.createAlias(ACCOUNT, REGION, 'alias/gone', key);
    await kms.scheduleDeletion(key, 7);
    const rotating = await kms.setRotation(await kms.createKey(ACCOUNT, REGION, {}), true, 90);
    const old = await kms.encrypt(rotating, Buffer.from('v1'));
    clock.advance(7 * 86_400_000 - 1);
    assert.deepEqual(await kms.runSchedule(), { deleted: 0, rotated: 0 });
    clock.advance(90 * 86_400_000);
    assert.deepEqual(await kms.runSchedule(), { deleted: 1, rotated: 1 });
    assert.equal(await meta.kms.getKey(key.keyId), undefined);
    assert.deepEqual(await kms.listAliases(ACCOUNT, REGION), []);
    assert.equal((await meta.kms.getMaterial(rotating.keyId))?.length, 2);
    assert.equal((await kms.decrypt(old.ciphertextBlob)).plaintext.toString(), 'v1');
  });
});
