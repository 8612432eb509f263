/**
 * The KMS domain: keys, aliases, key policies and the cryptography, over the metadata store.
 * It knows the store and node:crypto, never HTTP; services/kms is its wire front, and other
 * services (ECR's KMS-encrypted repositories) use it in process. Stable API for other services:
 *
 *   kms.resolveKey(accountId, region, keyRef)          → KeyRecord   (key id, key ARN, alias/x, alias ARN;
 *                                                                      a key/alias ARN of another account or
 *                                                                      region is looked up there; KmsError
 *                                                                      'NotFound' with KMS's text otherwise)
 *   kms.awsManagedKey(accountId, region, 'ecr')        → KeyRecord   (alias/aws/ecr, made on first use)
 *   kms.checkUsable(key)                               throws KmsError 'Disabled' | 'InvalidState'
 *   kms.authorize(subject, action, key, { viaService, encryptionContext })
 *                                                      throws AccessDeniedError (iam/authorize.ts) unless the
 *                                                      key policy (and, where it delegates to the account,
 *                                                      IAM policies) allows `action` (e.g. 'kms:GenerateDataKey')
 *   kms.generateDataKey(key, context, bytes = 32)      → { plaintext, ciphertextBlob, keyArn }  (checks usability)
 *   kms.decrypt(ciphertextBlob, context, opts?)        → { plaintext, keyArn, key }  (checks usability; KmsError
 *                                                      'InvalidCiphertext' on a wrong context or foreign bytes)
 *   kms.keyOfCiphertext(ciphertextBlob)                → KeyRecord   (to authorize kms:Decrypt before decrypting)
 *   kms.encrypt(key, plaintext, context)               → { ciphertextBlob, keyArn }
 *   kms.createGrant(key, issuingAccount, { granteePrincipal, operations, … })
 *                                                      → { grantId, grantToken }  (what ECR makes on a repository's key
 *                                                      in AWS; grants count beside the key policy)
 *
 * Region: resolveKey finds a key ARN of another region (so a caller can report "wrong region");
 * KMS's own front refuses it with NotFound, as KMS is regional.
 *
 * A KmsError's `kind` says what went wrong, its message is KMS's text and `wireName` the KMS
 * exception name (what ECR's KmsException reports as `kmsError`).
 */
import type { Clock } from '../clock.js';
import type { AuthzSubject, Authorizer } from '../iam/authorize.js';
import type { Ids } from '../ids.js';
import type { Policy } from '../iam/policy.js';
import type { KmsAliasRecord, KmsGrantRecord, KmsKeyMaterial, KmsKeyRecord, MetaStore, Page, TagRecord } from '../store/meta/meta-store.js';
import { AlreadyExistsError } from '../store/meta/meta-store.js';
import { open, readHeader, seal } from './ciphertext.js';
import { KmsError } from './errors.js';
import { AWS_MANAGED_DESCRIPTION, awsManagedKeyPolicy, defaultKeyPolicy } from './key-policies.js';
import { kmsMessages as m } from './messages.js';

export type KeyRecord = KmsKeyRecord;
export type AliasRecord = KmsAliasRecord;
export type GrantRecord = KmsGrantRecord;
export { KmsError } from './errors.js';

/** Services whose AWS managed key simfra makes (`alias/aws/<service>`): ECR uses it; the others on DescribeKey. */
export type ManagedKeyService = 'ecr' | (string & {});

export interface UseOptions {
  /** The service calling KMS for the principal (kms:ViaService = `<service>.<region>.amazonaws.com`). */
  viaService?: string;
  /** kms:EncryptionContext:<key> and kms:EncryptionContextKeys. */
  encryptionContext?: Readonly<Record<string, string>>;
}

/** How the domain checks a key policy: its syntax and principals, and the lock-out rule. */
export interface KeyPolicyChecks {
  /** Parses the policy as a resource policy whose principals must exist; throws KmsError('MalformedPolicyDocument'). */
  validate(text: string): Promise<Policy>;
  /** Whether `subject` could call kms:PutKeyPolicy on `keyArn` if `text` were the key policy. */
  allowsPutKeyPolicy(subject: AuthzSubject, keyArn: string, text: string): Promise<boolean>;
}

export interface KmsDeps {
  meta: Pick<MetaStore, 'kms'>;
  authorizer: Authorizer;
  policies: KeyPolicyChecks;
  ids: Ids;
  clock: Clock;
}

export interface NewKey {
  keySpec?: string;
  keyUsage?: string;
  multiRegion?: boolean;
  description?: string;
  policy?: string;
  bypassPolicyLockoutSafetyCheck?: boolean;
  tags?: TagRecord[];
  origin?: string;
}

const SYMMETRIC = 'SYMMETRIC_DEFAULT';
const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]+$/;
const DAY = 86_400_000;

/** Which KeySpecs each KeyUsage accepts — source: KMS Developer Guide, "Key spec reference". */
const USAGES: Readonly<Record<string, readonly string[]>> = {
  ENCRYPT_DECRYPT: ['SYMMETRIC_DEFAULT', 'RSA_2048', 'RSA_3072', 'RSA_4096', 'SM2'],
  SIGN_VERIFY: ['RSA_2048', 'RSA_3072', 'RSA_4096', 'ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521', 'ECC_SECG_P256K1', 'SM2', 'ML_DSA_44', 'ML_DSA_65', 'ML_DSA_87', 'ECC_NIST_EDWARDS25519'],
  GENERATE_VERIFY_MAC: ['HMAC_224', 'HMAC_256', 'HMAC_384', 'HMAC_512'],
  KEY_AGREEMENT: ['ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521', 'ECC_SECG_P256K1', 'SM2', 'ECC_NIST_EDWARDS25519'],
};

export function keyArn(region: string, accountId: string, keyId: string): string {
  return `arn:aws:kms:${region}:${accountId}:key/${keyId}`;
}

export function aliasArn(region: string, accountId: string, name: string): string {
  return `arn:aws:kms:${region}:${accountId}:${name}`;
}

/** `arn:aws:kms:<region>:<account>:key/<id>` or `…:alias/<name>`. */
export function parseKmsArn(arn: string): { region: string; accountId: string; kind: 'key' | 'alias'; id: string } | undefined {
  const match = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/.exec(arn);
  if (!match) return undefined;
  const [, region, accountId, kind, rest] = match;
  return { region: region!, accountId: accountId!, kind: kind as 'key' | 'alias', id: kind === 'alias' ? `alias/${rest!}` : rest! };
}

export class Kms {
  private readonly managedInFlight = new Map<string, Promise<KeyRecord>>();

  constructor(private readonly deps: KmsDeps) {}

  private get store() {
    return this.deps.meta.kms;
  }

  private now(): Date {
    return this.deps.clock.now();
  }

  // -------------------------------------------------------------------------------------------
  // Finding keys
  // -------------------------------------------------------------------------------------------

  /** A key by key id, key ARN, alias name or alias ARN, in accountId+region unless an ARN says otherwise. */
  async resolveKey(accountId: string, region: string, keyRef: string): Promise<KeyRecord> {
    if (keyRef.startsWith('arn:')) {
      const arn = parseKmsArn(keyRef);
      if (!arn) throw new KmsError('NotFound', m.invalidArn(keyRef));
      if (arn.kind === 'alias') return this.byAlias(arn.accountId, arn.region, arn.id);
      const key = await this.store.getKey(arn.id);
      if (!key || key.accountId !== arn.accountId || key.region !== arn.region) throw new KmsError('NotFound', m.keyNotFound(keyRef));
      return key;
    }
    if (keyRef.startsWith('alias/')) return this.byAlias(accountId, region, keyRef);
    const key = await this.store.getKey(keyRef);
    if (!key || key.accountId !== accountId || key.region !== region) {
      throw new KmsError('NotFound', m.keyNotFound(keyArn(region, accountId, keyRef)));
    }
    return key;
  }

  private async byAlias(accountId: string, region: string, name: string): Promise<KeyRecord> {
    const alias = await this.store.getAlias(accountId, region, name);
    const key = alias && (await this.store.getKey(alias.targetKeyId));
    if (!key) throw new KmsError('NotFound', m.aliasNotFound(aliasArn(region, accountId, name)));
    return key;
  }

  async listKeys(accountId: string, region: string, opts: { limit: number; after?: string }): Promise<Page<KeyRecord>> {
    return this.store.listKeys(accountId, region, opts);
  }

  /** Throws unless the key can be used in a cryptographic operation now. */
  checkUsable(key: KeyRecord): void {
    if (key.keyState === 'Disabled') throw new KmsError('Disabled', m.disabled(key.arn));
    if (key.keyState === 'PendingDeletion') throw new KmsError('InvalidState', m.pendingDeletion(key.arn));
  }

  private checkSymmetric(key: KeyRecord, operation: string): void {
    if (key.keyUsage !== 'ENCRYPT_DECRYPT') throw new KmsError('InvalidKeyUsage', m.invalidKeyUsage(key.arn, operation, key.keyUsage));
    if (key.keySpec !== SYMMETRIC) throw new KmsError('Unsupported', m.asymmetricUnsupported(key.arn, operation));
  }

  // -------------------------------------------------------------------------------------------
  // Authorization
  // -------------------------------------------------------------------------------------------

  /**
   * Asks IAM whether `subject` may perform `action` on the key: the key policy is the primary
   * control (see PolicyAuthorizer's key-policy mode); kms:CallerAccount is always in the
   * request context, kms:ViaService when another service calls for the principal.
   */
  async authorize(subject: AuthzSubject, action: string, key: KeyRecord, opts: UseOptions = {}): Promise<void> {
    const context: Record<string, string | string[]> = { 'kms:CallerAccount': subject.principal.accountId };
    if (opts.viaService !== undefined) context['kms:ViaService'] = `${opts.viaService}.${key.region}.amazonaws.com`;
    if (opts.encryptionContext !== undefined) {
      const keys = Object.keys(opts.encryptionContext);
      if (keys.length > 0) context['kms:EncryptionContextKeys'] = keys;
      for (const k of keys) context[`kms:EncryptionContext:${k}`] = opts.encryptionContext[k]!;
    }
    await this.deps.authorizer.authorize(subject, [{ action, resource: key.arn, context }]);
  }

  /** Authorizes an action on an alias ARN (aliases have no policy: IAM policies decide). */
  async authorizeAlias(subject: AuthzSubject, action: string, aliasArnValue: string): Promise<void> {
    await this.deps.authorizer.authorize(subject, [{ action, resource: aliasArnValue, context: { 'kms:CallerAccount': subject.principal.accountId } }]);
  }

  // -------------------------------------------------------------------------------------------
  // Keys
  // -------------------------------------------------------------------------------------------

  /** Validates a CreateKey request and makes the key (material included). */
  async createKey(accountId: string, region: string, input: NewKey, caller?: AuthzSubject): Promise<KeyRecord> {
    const keySpec = input.keySpec ?? SYMMETRIC;
    const keyUsage = input.keyUsage ?? 'ENCRYPT_DECRYPT';
    if (!(USAGES[keyUsage] ?? []).includes(keySpec)) throw new KmsError('Validation', m.keySpecUsage(keySpec, keyUsage));
    const multiRegion = input.multiRegion ?? false;
    const keyId = multiRegion ? `mrk-${this.deps.ids.bytes(16).toString('hex')}` : this.deps.ids.uuid();
    const arn = keyArn(region, accountId, keyId);
    let policy = defaultKeyPolicy(accountId);
    if (input.policy !== undefined) {
      await this.deps.policies.validate(input.policy);
      if (caller && !input.bypassPolicyLockoutSafetyCheck && !(await this.deps.policies.allowsPutKeyPolicy(caller, arn, input.policy))) {
        throw new KmsError('MalformedPolicyDocument', m.policyLockOut);
      }
      policy = input.policy;
    }
    const tags = input.tags ?? [];
    checkTags(tags);
    const key: KeyRecord = {
      keyId,
      arn,
      accountId,
      region,
      keyState: 'Enabled',
      keySpec,
      keyUsage,
      keyManager: 'CUSTOMER',
      origin: input.origin ?? 'AWS_KMS',
      multiRegion,
      creationDate: this.now(),
      description: input.description ?? '',
      policy,
      tags,
      rotation: { enabled: false },
    };
    const material = this.newMaterial(keySpec);
    if (material[0] && keySpec === SYMMETRIC) key.currentKeyMaterialId = material[0].id;
    await this.store.createKey(key, material);
    return key;
  }

  private newMaterial(keySpec: string): KmsKeyMaterial[] {
    const size = keySpec === SYMMETRIC ? 32 : keySpec.startsWith('HMAC_') ? Number(keySpec.slice(5)) / 8 : 0;
    return size > 0 ? [{ id: this.deps.ids.bytes(32).toString('hex'), key: this.deps.ids.bytes(size), createdAt: this.now() }] : [];
  }

  /** The AWS managed key `alias/aws/<service>`, created (with its alias) on first use as AWS does. */
  async awsManagedKey(accountId: string, region: string, service: ManagedKeyService): Promise<KeyRecord> {
    const name = `alias/aws/${service}`;
    const existing = await this.store.getAlias(accountId, region, name);
    const key = existing && (await this.store.getKey(existing.targetKeyId));
    if (key) return key;
    const slot = `${accountId}|${region}|${service}`;
    let making = this.managedInFlight.get(slot);
    if (!making) {
      making = this.makeManagedKey(accountId, region, service, name).finally(() => this.managedInFlight.delete(slot));
      this.managedInFlight.set(slot, making);
    }
    return making;
  }

  private async makeManagedKey(accountId: string, region: string, service: ManagedKeyService, name: string): Promise<KeyRecord> {
    const keyId = this.deps.ids.uuid();
    const now = this.now();
    const key: KeyRecord = {
      keyId,
      arn: keyArn(region, accountId, keyId),
      accountId,
      region,
      keyState: 'Enabled',
      keySpec: SYMMETRIC,
      keyUsage: 'ENCRYPT_DECRYPT',
      keyManager: 'AWS',
      origin: 'AWS_KMS',
      multiRegion: false,
      creationDate: now,
      description: AWS_MANAGED_DESCRIPTION[service] ?? `Default key for ${service}`,
      policy: awsManagedKeyPolicy(accountId, region, service),
      tags: [],
      // AWS managed keys rotate every year, always — source: KMS Developer Guide, "Rotating AWS KMS keys".
      rotation: { enabled: true, periodInDays: 365, nextRotationDate: new Date(now.getTime() + 365 * DAY) },
    };
    const material = this.newMaterial(SYMMETRIC);
    key.currentKeyMaterialId = material[0]!.id;
    await this.store.createKey(key, material);
    try {
      await this.store.createAlias({ accountId, region, name, targetKeyId: keyId, createdAt: now, updatedAt: now });
      return key;
    } catch (e) {
      // Another process made it first: use theirs.
      await this.store.deleteKey(keyId);
      if (!(e instanceof AlreadyExistsError)) throw e;
      return this.byAlias(accountId, region, name);
    }
  }

  private async update(key: KeyRecord, change: (k: KeyRecord) => KeyRecord): Promise<KeyRecord> {
    const next = await this.store.updateKey(key.keyId, change);
    if (!next) throw new KmsError('NotFound', m.keyNotFound(key.arn));
    return next;
  }

  private requireCustomer(key: KeyRecord): void {
    if (key.keyManager === 'AWS') throw new KmsError('Unsupported', m.awsManaged(key.arn));
  }

  private requireNotPending(key: KeyRecord): void {
    if (key.keyState === 'PendingDeletion') throw new KmsError('InvalidState', m.pendingDeletion(key.arn));
  }

  async enableKey(key: KeyRecord): Promise<KeyRecord> {
    this.requireCustomer(key);
    this.requireNotPending(key);
    return this.update(key, (k) => ({ ...k, keyState: 'Enabled' }));
  }

  async disableKey(key: KeyRecord): Promise<KeyRecord> {
    this.requireCustomer(key);
    this.requireNotPending(key);
    return this.update(key, (k) => ({ ...k, keyState: 'Disabled' }));
  }

  /** PendingDeletion for 7–30 days (default 30); the `kms-key-deletion` job deletes it once the date passes. */
  async scheduleDeletion(key: KeyRecord, pendingWindowInDays = 30): Promise<KeyRecord> {
    this.requireCustomer(key);
    if (!Number.isInteger(pendingWindowInDays) || pendingWindowInDays < 7 || pendingWindowInDays > 30) {
      throw new KmsError('Validation', m.pendingWindow);
    }
    this.requireNotPending(key);
    const deletionDate = new Date(this.now().getTime() + pendingWindowInDays * DAY);
    return this.update(key, (k) => ({ ...k, keyState: 'PendingDeletion', deletionDate, pendingWindowInDays }));
  }

  /** Back to Disabled, as KMS does — source: KMS Developer Guide, "Scheduling and canceling key deletion". */
  async cancelDeletion(key: KeyRecord): Promise<KeyRecord> {
    if (key.keyState !== 'PendingDeletion') throw new KmsError('InvalidState', m.notPendingDeletion(key.arn));
    return this.update(key, (k) => {
      const { deletionDate: _d, pendingWindowInDays: _p, ...rest } = k;
      return { ...rest, keyState: 'Disabled' };
    });
  }

  async updateDescription(key: KeyRecord, description: string): Promise<KeyRecord> {
    this.requireCustomer(key);
    this.requireNotPending(key);
    return this.update(key, (k) => ({ ...k, description }));
  }

  /** Replaces the key policy; refuses one that would lock the caller out unless bypassed. */
  async putPolicy(key: KeyRecord, text: string, caller: AuthzSubject, bypassLockoutCheck: boolean): Promise<KeyRecord> {
    this.requireCustomer(key);
    await this.deps.policies.validate(text);
    this.requireNotPending(key);
    if (!bypassLockoutCheck && !(await this.deps.policies.allowsPutKeyPolicy(caller, key.arn, text))) {
      throw new KmsError('MalformedPolicyDocument', m.policyLockOut);
    }
    return this.update(key, (k) => ({ ...k, policy: text }));
  }

  async tag(key: KeyRecord, tags: readonly TagRecord[]): Promise<KeyRecord> {
    this.requireCustomer(key);
    this.requireNotPending(key);
    checkTags(tags);
    return this.update(key, (k) => {
      const byKey = new Map(k.tags.map((t) => [t.Key, t.Value]));
      for (const t of tags) byKey.set(t.Key, t.Value);
      return { ...k, tags: [...byKey].map(([Key, Value]) => ({ Key, Value })) };
    });
  }

  async untag(key: KeyRecord, tagKeys: readonly string[]): Promise<KeyRecord> {
    this.requireCustomer(key);
    this.requireNotPending(key);
    const drop = new Set(tagKeys);
    return this.update(key, (k) => ({ ...k, tags: k.tags.filter((t) => !drop.has(t.Key)) }));
  }

  /** Automatic rotation every `periodInDays` (90–2560, default 365) of a symmetric key. */
  async setRotation(key: KeyRecord, enabled: boolean, periodInDays?: number): Promise<KeyRecord> {
    this.requireCustomer(key);
    if (key.keySpec !== SYMMETRIC) throw new KmsError('Unsupported', m.rotationUnsupported(key.arn));
    if (periodInDays !== undefined && (periodInDays < 90 || periodInDays > 2560)) throw new KmsError('Validation', m.rotationPeriod(periodInDays));
    this.checkUsable(key);
    return this.update(key, (k) => {
      if (!enabled) return { ...k, rotation: { enabled: false } };
      const days = periodInDays ?? k.rotation.periodInDays ?? 365;
      return { ...k, rotation: { enabled: true, periodInDays: days, nextRotationDate: new Date(this.now().getTime() + days * DAY) } };
    });
  }

  /** Adds a material version now (RotateKeyOnDemand and the rotation job); old versions keep decrypting. */
  async rotate(key: KeyRecord, rotationType: 'AUTOMATIC' | 'ON_DEMAND' = 'AUTOMATIC'): Promise<KeyRecord> {
    const [fresh] = key.keySpec === SYMMETRIC ? this.newMaterial(key.keySpec) : [];
    if (!fresh) throw new KmsError('Unsupported', m.rotationUnsupported(key.arn));
    const material = { ...fresh, rotationType };
    const now = this.now();
    const next = await this.store.addMaterial(key.keyId, material, (k) => ({
      ...k,
      currentKeyMaterialId: material.id,
      ...(k.rotation.enabled && rotationType === 'AUTOMATIC'
        ? { rotation: { ...k.rotation, nextRotationDate: new Date(now.getTime() + (k.rotation.periodInDays ?? 365) * DAY) } }
        : {}),
    }));
    if (!next) throw new KmsError('NotFound', m.keyNotFound(key.arn));
    return next;
  }

  /** RotateKeyOnDemand: a customer managed symmetric key that can be used now. */
  async rotateOnDemand(key: KeyRecord): Promise<KeyRecord> {
    this.requireCustomer(key);
    this.checkUsable(key);
    return this.rotate(key, 'ON_DEMAND');
  }

  /** The material versions after the first, oldest first (ListKeyRotations). */
  async rotations(key: KeyRecord): Promise<KmsKeyMaterial[]> {
    return ((await this.store.getMaterial(key.keyId)) ?? []).slice(1);
  }

  // -------------------------------------------------------------------------------------------
  // Grants
  // -------------------------------------------------------------------------------------------

  /**
   * A grant lets its grantee perform `operations` on the key, beside the key policy (see
   * grantsPolicy). The token names the key and the grant, so RetireGrant needs nothing else.
   */
  async createGrant(
    key: KeyRecord,
    issuingAccount: string,
    input: Omit<GrantRecord, 'grantId' | 'issuingAccount' | 'creationDate'>,
  ): Promise<{ grantId: string; grantToken: string }> {
    this.requireNotPending(key);
    if (input.constraints?.encryptionContextEquals && input.constraints.encryptionContextSubset) {
      throw new KmsError('Validation', m.grantConstraints);
    }
    // CreateGrant with the name and parameters of an existing grant returns that grant — source: CreateGrant API reference ("Name").
    const same = input.name !== undefined ? key.grants?.find((g) => g.name === input.name && g.granteePrincipal === input.granteePrincipal && sameOps(g.operations, input.operations)) : undefined;
    const grantId = same?.grantId ?? this.deps.ids.bytes(32).toString('hex');
    if (!same) {
      const grant: GrantRecord = { ...input, grantId, issuingAccount, creationDate: this.now() };
      await this.update(key, (k) => ({ ...k, grants: [...(k.grants ?? []), grant] }));
    }
    return { grantId, grantToken: grantToken(key.keyId, grantId, this.deps.ids.bytes(32)) };
  }

  listGrants(key: KeyRecord): GrantRecord[] {
    return key.grants ?? [];
  }

  async revokeGrant(key: KeyRecord, grantId: string): Promise<void> {
    if (!(key.grants ?? []).some((g) => g.grantId === grantId)) throw new KmsError('NotFound', m.grantNotFound(grantId));
    await this.update(key, (k) => ({ ...k, grants: (k.grants ?? []).filter((g) => g.grantId !== grantId) }));
  }

  /** The key and grant a RetireGrant token names. */
  async grantOfToken(token: string): Promise<{ key: KeyRecord; grant: GrantRecord }> {
    const named = parseGrantToken(token);
    const key = named && (await this.store.getKey(named.keyId));
    const grant = key?.grants?.find((g) => g.grantId === named?.grantId);
    if (!key || !grant) throw new KmsError('InvalidGrantToken', m.invalidGrantToken);
    return { key, grant };
  }

  /** The background work: deletes keys whose deletion date passed, rotates keys whose rotation is due. */
  async runSchedule(): Promise<{ deleted: number; rotated: number }> {
    const now = this.now();
    let deleted = 0;
    for (const id of await this.store.dueForDeletion(now)) if (await this.store.deleteKey(id)) deleted++;
    let rotated = 0;
    for (const id of await this.store.dueForRotation(now)) {
      const key = await this.store.getKey(id);
      if (key && key.keyState === 'Enabled') {
        await this.rotate(key);
        rotated++;
      }
    }
    return { deleted, rotated };
  }

  // -------------------------------------------------------------------------------------------
  // Aliases
  // -------------------------------------------------------------------------------------------

  private checkAliasName(name: string, forWriting = true): void {
    if (!name.startsWith('alias/')) throw new KmsError('Validation', m.aliasPrefix);
    if (!ALIAS_NAME.test(name)) throw new KmsError('Validation', m.aliasInvalidCharacters(name));
    if (forWriting && name.startsWith('alias/aws/')) throw new KmsError('InvalidAliasName', m.aliasReserved(name));
  }

  async createAlias(accountId: string, region: string, name: string, target: KeyRecord): Promise<void> {
    this.checkAliasName(name);
    this.requireCustomer(target);
    this.requireNotPending(target);
    const now = this.now();
    try {
      await this.store.createAlias({ accountId, region, name, targetKeyId: target.keyId, createdAt: now, updatedAt: now });
    } catch (e) {
      if (e instanceof AlreadyExistsError) throw new KmsError('AlreadyExists', m.aliasExists(aliasArn(region, accountId, name)));
      throw e;
    }
  }

  async getAlias(accountId: string, region: string, name: string): Promise<AliasRecord> {
    this.checkAliasName(name, false);
    const alias = await this.store.getAlias(accountId, region, name);
    if (!alias) throw new KmsError('NotFound', m.aliasNotFound(aliasArn(region, accountId, name)));
    return alias;
  }

  async updateAlias(alias: AliasRecord, target: KeyRecord): Promise<void> {
    this.requireCustomer(target);
    this.requireNotPending(target);
    // "The current and new KMS key must be the same type … and they must have the same key usage"
    // — source: UpdateAlias API reference.
    const current = await this.store.getKey(alias.targetKeyId);
    if (current && (current.keyUsage !== target.keyUsage || (current.keySpec === SYMMETRIC) !== (target.keySpec === SYMMETRIC))) {
      throw new KmsError('Validation', m.aliasTypeMismatch(target.arn));
    }
    if (!(await this.store.updateAlias(alias.accountId, alias.region, alias.name, target.keyId, this.now()))) {
      throw new KmsError('NotFound', m.aliasNotFound(aliasArn(alias.region, alias.accountId, alias.name)));
    }
  }

  async deleteAlias(alias: AliasRecord): Promise<void> {
    if (!(await this.store.deleteAlias(alias.accountId, alias.region, alias.name))) {
      throw new KmsError('NotFound', m.aliasNotFound(aliasArn(alias.region, alias.accountId, alias.name)));
    }
  }

  async listAliases(accountId: string, region: string): Promise<AliasRecord[]> {
    return this.store.listAliases(accountId, region);
  }

  // -------------------------------------------------------------------------------------------
  // Cryptography
  // -------------------------------------------------------------------------------------------

  /** GenerateRandom's bytes. */
  random(count: number): Buffer {
    return this.deps.ids.bytes(count);
  }

  private async currentMaterial(key: KeyRecord): Promise<{ index: number; key: Buffer }> {
    const material = await this.store.getMaterial(key.keyId);
    if (!material || material.length === 0) throw new KmsError('NotFound', m.keyNotFound(key.arn));
    return { index: material.length - 1, key: material[material.length - 1]!.key };
  }

  async encrypt(key: KeyRecord, plaintext: Uint8Array, context?: Readonly<Record<string, string>>): Promise<{ ciphertextBlob: Buffer; keyArn: string }> {
    this.checkUsable(key);
    this.checkSymmetric(key, 'Encrypt');
    const material = await this.currentMaterial(key);
    return { ciphertextBlob: seal(key.keyId, material, this.deps.ids.bytes(12), plaintext, context), keyArn: key.arn };
  }

  /** A fresh data key (32 bytes = AES_256 by default) and its ciphertext under `key`. */
  async generateDataKey(
    key: KeyRecord,
    context?: Readonly<Record<string, string>>,
    numberOfBytes = 32,
  ): Promise<{ plaintext: Buffer; ciphertextBlob: Buffer; keyArn: string }> {
    this.checkUsable(key);
    this.checkSymmetric(key, 'GenerateDataKey');
    const plaintext = this.deps.ids.bytes(numberOfBytes);
    const { ciphertextBlob } = await this.encrypt(key, plaintext, context);
    return { plaintext, ciphertextBlob, keyArn: key.arn };
  }

  /** The key a ciphertext blob names (any account or region); InvalidCiphertext when it names none. */
  async keyOfCiphertext(ciphertextBlob: Uint8Array): Promise<KeyRecord> {
    const header = readHeader(ciphertextBlob);
    const key = header && (await this.store.getKey(header.keyId));
    // A blob whose key is gone (deleted) cannot be told from garbage — UNVERIFIED against AWS.
    if (!key) throw new KmsError('InvalidCiphertext', '');
    return key;
  }

  /**
   * Decrypts a blob made by encrypt/generateDataKey; the context must be the one it was made
   * with. `expectedKey` (Decrypt's KeyId) must be the key the blob names: IncorrectKeyException.
   */
  async decrypt(
    ciphertextBlob: Uint8Array,
    context?: Readonly<Record<string, string>>,
    opts: { expectedKey?: KeyRecord } = {},
  ): Promise<{ plaintext: Buffer; keyArn: string; key: KeyRecord }> {
    const key = await this.keyOfCiphertext(ciphertextBlob);
    if (opts.expectedKey !== undefined && opts.expectedKey.keyId !== key.keyId) throw new KmsError('IncorrectKey', m.incorrectKey);
    this.checkUsable(key);
    this.checkSymmetric(key, 'Decrypt');
    const header = readHeader(ciphertextBlob)!;
    const material = (await this.store.getMaterial(key.keyId))?.[header.material];
    const plaintext = material && open(ciphertextBlob, material.key, context);
    if (!plaintext) throw new KmsError('InvalidCiphertext', '');
    return { plaintext, keyArn: key.arn, key };
  }
}

function checkTags(tags: readonly TagRecord[]): void {
  if (tags.some((t) => t.Key.toLowerCase().startsWith('aws:'))) throw new KmsError('Tag', m.reservedTag);
}

function sameOps(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}

function grantToken(keyId: string, grantId: string, nonce: Buffer): string {
  return Buffer.from(JSON.stringify({ k: keyId, g: grantId, n: nonce.toString('base64') }), 'utf8').toString('base64url');
}

function parseGrantToken(token: string): { keyId: string; grantId: string } | undefined {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { k?: unknown; g?: unknown };
    return typeof v.k === 'string' && typeof v.g === 'string' ? { keyId: v.k, grantId: v.g } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Grants as one resource policy the IAM engine evaluates beside the key policy: each grant an Allow
 * for its grantee (an IAM ARN, or a service principal such as `ecr.amazonaws.com`) of its
 * operations, its encryption-context constraints as conditions — source: KMS Developer Guide,
 * "Grants in AWS KMS" and "Grant constraints".
 */
export function grantsPolicy(grants: readonly GrantRecord[]): string | undefined {
  if (grants.length === 0) return undefined;
  const statements = grants.map((g) => {
    const principal = /^arn:|^\d{12}$/.test(g.granteePrincipal) ? { AWS: g.granteePrincipal } : { Service: g.granteePrincipal };
    const condition: Record<string, Record<string, string | string[]>> = {};
    const subset = g.constraints?.encryptionContextSubset;
    const equals = g.constraints?.encryptionContextEquals;
    const pairs = subset ?? equals;
    if (pairs) {
      condition.StringEquals = Object.fromEntries(Object.entries(pairs).map(([k, v]) => [`kms:EncryptionContext:${k}`, v]));
      if (equals) condition['ForAllValues:StringEquals'] = { 'kms:EncryptionContextKeys': Object.keys(equals) };
    }
    return {
      Sid: `grant-${g.grantId}`,
      Effect: 'Allow',
      Principal: principal,
      Action: g.operations.map((o) => `kms:${o}`),
      Resource: '*',
      ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
    };
  });
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}
