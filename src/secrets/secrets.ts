/**
 * The Secrets Manager domain: secrets, their versions and staging labels, scheduled deletion,
 * over the metadata store, with every value sealed under KMS. It knows the store, KMS (in
 * process) and node:crypto, never HTTP; services/secretsmanager is its wire front. Stable API for
 * other services:
 *
 *   secrets.readCurrentForService(accountId, region, secretId) → the AWSCURRENT SecretString
 *       throws SecretNotFoundError (no such secret, or scheduled for deletion) or
 *       SecretDecryptError (its KMS key cannot decrypt it)
 *   parseSecretArn(arn) (./arn.ts)                              → { accountId, region, name, suffix }
 *
 * Sealing, as AWS does it — source: Secrets Manager User Guide, "Secret encryption and decryption":
 * each version gets a fresh 256-bit data key from KMS GenerateDataKey under the secret's key (the
 * AWS managed key aws/secretsmanager unless KmsKeyId names another), with the encryption context
 * {SecretARN, SecretVersionId}; the value is AES-256-GCM encrypted under the data key outside KMS
 * and only the encrypted data key is kept. Reading calls KMS Decrypt on it.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { Clock } from '../clock.js';
import { AccessDeniedError, type AuthzSubject } from '../iam/authorize.js';
import type { Ids } from '../ids.js';
import { KmsError, type KeyRecord, type Kms } from '../kms/keys.js';
import type { MetaStore, SecretRecord, SecretVersionRecord, TagRecord } from '../store/meta/meta-store.js';
import { AlreadyExistsError } from '../store/meta/meta-store.js';
import { arnSuffix, parsePartialSecretArn, parseSecretArn, secretArn } from './arn.js';
import { SecretDecryptError, SecretNotFoundError, SecretsError } from './errors.js';
import { secretsMessages as m } from './messages.js';

export { SecretDecryptError, SecretNotFoundError, SecretsError } from './errors.js';
export { parseSecretArn, parsePartialSecretArn, secretArn } from './arn.js';
export type { SecretRecord, SecretVersionRecord } from '../store/meta/meta-store.js';

export const AWSCURRENT = 'AWSCURRENT';
export const AWSPREVIOUS = 'AWSPREVIOUS';
/** The AWS managed key's service name: alias/aws/secretsmanager. */
const MANAGED_KEY_SERVICE = 'secretsmanager';
/** Versions with no staging label are kept up to this many; older ones go — source: Secrets Manager quotas (about 100 versions). */
const MAX_DEPRECATED_VERSIONS = 100;
const DAY = 86_400_000;

export interface SecretsDeps {
  meta: Pick<MetaStore, 'secretsManager'>;
  kms: Kms;
  ids: Ids;
  clock: Clock;
}

/** A secret value as the API carries it: exactly one of the two. */
export type SecretValue = { string: string } | { binary: Uint8Array };

export interface NewSecret {
  name: string;
  description?: string;
  kmsKeyId?: string;
  tags?: TagRecord[];
  value?: SecretValue;
  /** The first version's id (ClientRequestToken). */
  versionId?: string;
}

/** Who calls, when a principal calls through the API: KMS authorizes it (via Secrets Manager). */
export interface Caller {
  subject?: AuthzSubject;
}

export interface ReadValue {
  secret: SecretRecord;
  version: SecretVersionRecord;
  value: SecretValue;
}

export class Secrets {
  constructor(private readonly deps: SecretsDeps) {}

  private get store() {
    return this.deps.meta.secretsManager;
  }

  private now(): Date {
    return this.deps.clock.now();
  }

  // -------------------------------------------------------------------------------------------
  // Finding secrets
  // -------------------------------------------------------------------------------------------

  /**
   * A secret by name, full ARN or partial ARN (the ARN without its 6-character suffix), in
   * accountId+region unless an ARN names another account. Secrets Manager is regional: an ARN of
   * another region is not found. Scheduled-for-deletion secrets are found (DescribeSecret shows them).
   */
  async resolve(accountId: string, region: string, secretId: string): Promise<SecretRecord> {
    let found: SecretRecord | undefined;
    if (secretId.startsWith('arn:')) {
      const full = parseSecretArn(secretId);
      found = full && full.region === region ? await this.store.get(secretId) : undefined;
      if (!found) {
        const partial = parsePartialSecretArn(secretId);
        found = partial && partial.region === region ? await this.store.getByName(partial.accountId, region, partial.name) : undefined;
      }
    } else {
      checkName(secretId);
      found = await this.store.getByName(accountId, region, secretId);
    }
    if (!found) throw new SecretNotFoundError(m.notFound);
    return found;
  }

  /** The ARN a new secret of that name would get (CreateSecret authorizes on it before creating). */
  newArn(accountId: string, region: string, name: string): string {
    return secretArn(region, accountId, name, arnSuffix(this.deps.ids.bytes(6)));
  }

  /** Random bytes (GetRandomPassword). */
  random(count: number): Buffer {
    return this.deps.ids.bytes(count);
  }

  async list(accountId: string, region: string): Promise<SecretRecord[]> {
    return this.store.list(accountId, region);
  }

  /** Throws InvalidRequest for a secret scheduled for deletion. */
  requireLive(secret: SecretRecord): void {
    if (secret.deletedDate !== undefined) throw new SecretsError('InvalidRequest', m.markedForDeletion);
  }

  // -------------------------------------------------------------------------------------------
  // Secrets
  // -------------------------------------------------------------------------------------------

  /** CreateSecret: the secret and, with a value, its first version labelled AWSCURRENT. */
  async create(accountId: string, region: string, arn: string, input: NewSecret, caller: Caller = {}): Promise<{ secret: SecretRecord; versionId?: string }> {
    checkName(input.name);
    checkTags(input.tags ?? []);
    const existing = await this.store.getByName(accountId, region, input.name);
    if (existing) {
      if (existing.deletedDate !== undefined) throw new SecretsError('InvalidRequest', m.nameScheduledForDeletion);
      // The same request again (same ClientRequestToken, same value): the existing secret — source:
      // CreateSecret API reference, ClientRequestToken ("the operation is idempotent").
      if (input.value && input.versionId !== undefined) {
        const same = existing.versions.find((v) => v.versionId === input.versionId);
        if (same && (await this.sameValue(existing, same, input.value))) return { secret: existing, versionId: same.versionId };
      }
      throw new SecretsError('ResourceExists', m.exists(input.name));
    }
    const now = this.now();
    let secret: SecretRecord = {
      arn,
      accountId,
      region,
      name: input.name,
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.kmsKeyId !== undefined && input.kmsKeyId !== '' ? { kmsKeyId: input.kmsKeyId } : {}),
      createdDate: now,
      lastChangedDate: now,
      tags: input.tags ?? [],
      versions: [],
    };
    let versionId: string | undefined;
    if (input.value) {
      versionId = input.versionId ?? this.deps.ids.uuid();
      const version = await this.seal(secret, versionId, input.value, [AWSCURRENT], caller);
      secret = { ...secret, versions: [version] };
    }
    try {
      await this.store.create(secret);
    } catch (e) {
      if (e instanceof AlreadyExistsError) throw new SecretsError('ResourceExists', m.exists(input.name));
      throw e;
    }
    return { secret, ...(versionId !== undefined ? { versionId } : {}) };
  }

  /** UpdateSecret: description and key; with a value, a new AWSCURRENT version. */
  async update(
    secret: SecretRecord,
    input: { description?: string; kmsKeyId?: string; value?: SecretValue; versionId?: string },
    caller: Caller = {},
  ): Promise<{ secret: SecretRecord; versionId?: string }> {
    this.requireLive(secret);
    const { kmsKeyId: _k, ...unkeyed } = secret;
    const kmsKeyId = input.kmsKeyId === undefined ? secret.kmsKeyId : input.kmsKeyId || undefined;
    const target: SecretRecord = { ...unkeyed, ...(kmsKeyId !== undefined ? { kmsKeyId } : {}) };
    // Everything that can fail (the new key, the new value's sealing) happens before anything is
    // stored, so a refused update changes nothing.
    // A new key: the labelled versions are sealed again under it — source: UpdateSecret API
    // reference, KmsKeyId ("encrypt new secret versions as well as any existing versions with the
    // staging labels AWSCURRENT, AWSPENDING, or AWSPREVIOUS").
    const resealed = kmsKeyId !== secret.kmsKeyId ? await this.resealed(target) : new Map<string, SecretVersionRecord>();
    let added: SecretVersionRecord | undefined;
    let versionId: string | undefined;
    if (input.value) {
      versionId = input.versionId ?? this.deps.ids.uuid();
      const existing = secret.versions.find((v) => v.versionId === versionId);
      if (existing) {
        if (!(await this.sameValue(secret, existing, input.value))) throw new SecretsError('ResourceExists', m.versionExists);
      } else {
        added = await this.seal(target, versionId, input.value, [], caller);
      }
    }
    const next = await this.change(secret, (s) => {
      const { kmsKeyId: _old, ...rest } = s;
      let versions = s.versions.map((v) => {
        const r = resealed.get(v.versionId);
        return r ? { ...r, stages: v.stages } : v;
      });
      if (added) {
        if (versions.some((v) => v.versionId === added.versionId)) throw new SecretsError('ResourceExists', m.versionExists);
        versions = pruneDeprecated(moveStage([...versions, added], AWSCURRENT, added.versionId));
      }
      return {
        ...rest,
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(kmsKeyId !== undefined ? { kmsKeyId } : {}),
        versions,
        lastChangedDate: this.now(),
      };
    });
    return { secret: next, ...(versionId !== undefined ? { versionId } : {}) };
  }

  /**
   * PutSecretValue: a new version with `stages` (default AWSCURRENT). Moving AWSCURRENT moves
   * AWSPREVIOUS to the version that had AWSCURRENT — source: PutSecretValue API reference. The
   * same ClientRequestToken with the same value and labels is a no-op; with another value, an error.
   */
  async putValue(
    secret: SecretRecord,
    value: SecretValue,
    opts: { versionId?: string; stages?: string[] },
    caller: Caller = {},
  ): Promise<{ secret: SecretRecord; version: SecretVersionRecord }> {
    this.requireLive(secret);
    const versionId = opts.versionId ?? this.deps.ids.uuid();
    const stages = opts.stages ?? [AWSCURRENT];
    const existing = secret.versions.find((v) => v.versionId === versionId);
    if (existing) {
      const sameStages = [...existing.stages].sort().join() === [...stages].sort().join();
      if (sameStages && (await this.sameValue(secret, existing, value))) return { secret, version: existing };
      throw new SecretsError('ResourceExists', m.versionExists);
    }
    const version = await this.seal(secret, versionId, value, [], caller);
    const next = await this.change(secret, (s) => {
      if (s.versions.some((v) => v.versionId === versionId)) throw new SecretsError('ResourceExists', m.versionExists);
      let versions = [...s.versions, version];
      for (const stage of stages) versions = moveStage(versions, stage, versionId);
      return { ...s, versions: pruneDeprecated(versions), lastChangedDate: this.now() };
    });
    return { secret: next, version: next.versions.find((v) => v.versionId === versionId)! };
  }

  /** UpdateSecretVersionStage: moves (or removes) one staging label. */
  async moveStage(secret: SecretRecord, stage: string, opts: { removeFrom?: string; moveTo?: string }): Promise<SecretRecord> {
    this.requireLive(secret);
    const holder = secret.versions.find((v) => v.stages.includes(stage));
    if (opts.moveTo !== undefined && !secret.versions.some((v) => v.versionId === opts.moveTo)) {
      throw new SecretsError('InvalidParameter', m.versionNotFound(opts.moveTo));
    }
    if (holder && holder.versionId !== opts.moveTo && holder.versionId !== opts.removeFrom) {
      throw new SecretsError('InvalidParameter', m.stageNotOnVersion(stage, holder.versionId));
    }
    if (opts.moveTo === undefined && stage === AWSCURRENT) throw new SecretsError('InvalidParameter', m.removeCurrent);
    return this.change(secret, (s) => {
      let versions = s.versions;
      if (opts.moveTo !== undefined) versions = moveStage(versions, stage, opts.moveTo);
      else versions = versions.map((v) => (v.versionId === opts.removeFrom ? { ...v, stages: v.stages.filter((x) => x !== stage) } : v));
      return { ...s, versions: pruneDeprecated(versions), lastChangedDate: this.now() };
    });
  }

  /**
   * GetSecretValue: the version named by id and/or staging label (AWSCURRENT when neither),
   * decrypted. Records the access date (a day, as Secrets Manager reports it).
   */
  async getValue(secret: SecretRecord, opts: { versionId?: string; stage?: string }, caller: Caller = {}): Promise<ReadValue> {
    this.requireLive(secret);
    const version = findVersion(secret, opts);
    const value = await this.open(secret, version, caller);
    const today = new Date(Math.floor(this.now().getTime() / DAY) * DAY);
    let current = secret;
    if (secret.lastAccessedDate?.getTime() !== today.getTime() || version.lastAccessedDate?.getTime() !== today.getTime()) {
      current =
        (await this.store.update(secret.arn, (s) => ({
          ...s,
          lastAccessedDate: today,
          versions: s.versions.map((v) => (v.versionId === version.versionId ? { ...v, lastAccessedDate: today } : v)),
        }))) ?? secret;
    }
    return { secret: current, version: current.versions.find((v) => v.versionId === version.versionId) ?? version, value };
  }

  /** The AWSCURRENT SecretString of a secret, read by an AWS service on behalf of the account that owns it. */
  async readCurrentForService(accountId: string, region: string, secretId: string): Promise<string> {
    let secret: SecretRecord;
    try {
      secret = await this.resolve(accountId, region, secretId);
    } catch (e) {
      // An id that cannot name a secret (bad characters) names none.
      if (e instanceof SecretsError && !(e instanceof SecretNotFoundError)) throw new SecretNotFoundError(m.notFound);
      throw e;
    }
    // Only the account's own secrets: a service reads for the account that owns the secret.
    if (secret.accountId !== accountId) throw new SecretNotFoundError(m.notFound);
    if (secret.deletedDate !== undefined) throw new SecretNotFoundError(m.markedForDeletion);
    const version = secret.versions.find((v) => v.stages.includes(AWSCURRENT));
    if (!version) throw new SecretNotFoundError(m.stageNotFound(AWSCURRENT));
    const value = await this.open(secret, version, {});
    if (!('string' in value)) throw new SecretNotFoundError(m.stageNotFound(AWSCURRENT));
    return value.string;
  }

  async tag(secret: SecretRecord, tags: readonly TagRecord[]): Promise<SecretRecord> {
    this.requireLive(secret);
    checkTags(tags);
    return this.change(secret, (s) => {
      const byKey = new Map(s.tags.map((t) => [t.Key, t.Value]));
      for (const t of tags) byKey.set(t.Key, t.Value);
      return { ...s, tags: [...byKey].map(([Key, Value]) => ({ Key, Value })), lastChangedDate: this.now() };
    });
  }

  async untag(secret: SecretRecord, keys: readonly string[]): Promise<SecretRecord> {
    this.requireLive(secret);
    const drop = new Set(keys);
    return this.change(secret, (s) => ({ ...s, tags: s.tags.filter((t) => !drop.has(t.Key)), lastChangedDate: this.now() }));
  }

  // -------------------------------------------------------------------------------------------
  // Deletion
  // -------------------------------------------------------------------------------------------

  /**
   * DeleteSecret: scheduled `recoveryWindowInDays` (7–30, default 30) days ahead, or at once with
   * ForceDeleteWithoutRecovery. Returns the deletion date.
   */
  async scheduleDeletion(secret: SecretRecord, opts: { recoveryWindowInDays?: number; force?: boolean }): Promise<Date> {
    const window = opts.recoveryWindowInDays;
    if (window !== undefined && (window < 7 || window > 30)) throw new SecretsError('InvalidParameter', m.recoveryWindow);
    if (window !== undefined && opts.force) throw new SecretsError('InvalidParameter', m.forceAndWindow);
    if (secret.deletedDate !== undefined && !opts.force) throw new SecretsError('InvalidRequest', m.alreadyMarkedDeleted);
    const now = this.now();
    if (opts.force) {
      await this.store.delete(secret.arn);
      return now;
    }
    const deletionDate = new Date(now.getTime() + (window ?? 30) * DAY);
    await this.change(secret, (s) => ({ ...s, deletedDate: now, deletionDate }));
    return deletionDate;
  }

  /** RestoreSecret: cancels a scheduled deletion (a secret not scheduled stays as it is). */
  async restore(secret: SecretRecord): Promise<SecretRecord> {
    return this.change(secret, (s) => {
      const { deletedDate: _d, deletionDate: _n, ...rest } = s;
      return rest;
    });
  }

  /** The background work: deletes secrets whose deletion date has passed. */
  async runSchedule(): Promise<{ deleted: number }> {
    let deleted = 0;
    for (const arn of await this.store.dueForDeletion(this.now())) if (await this.store.delete(arn)) deleted++;
    return { deleted };
  }

  private async change(secret: SecretRecord, fn: (s: SecretRecord) => SecretRecord): Promise<SecretRecord> {
    const next = await this.store.update(secret.arn, fn);
    if (!next) throw new SecretNotFoundError(m.notFound);
    return next;
  }

  // -------------------------------------------------------------------------------------------
  // Sealing
  // -------------------------------------------------------------------------------------------

  /** The secret's KMS key: the one KmsKeyId names, or the AWS managed key (made on first use). */
  private async keyOf(secret: SecretRecord): Promise<KeyRecord> {
    try {
      return secret.kmsKeyId === undefined
        ? await this.deps.kms.awsManagedKey(secret.accountId, secret.region, MANAGED_KEY_SERVICE)
        : await this.deps.kms.resolveKey(secret.accountId, secret.region, secret.kmsKeyId);
    } catch (e) {
      if (e instanceof KmsError) throw new SecretsError('EncryptionFailure', m.kmsKeyNotFound(e.message));
      throw e;
    }
  }

  private async seal(secret: SecretRecord, versionId: string, value: SecretValue, stages: string[], caller: Caller): Promise<SecretVersionRecord> {
    const key = await this.keyOf(secret);
    const context = { SecretARN: secret.arn, SecretVersionId: versionId };
    if (caller.subject) await this.authorizeKms(caller.subject, 'kms:GenerateDataKey', key, context);
    let dataKey;
    try {
      dataKey = await this.deps.kms.generateDataKey(key, context);
    } catch (e) {
      if (e instanceof KmsError) throw new SecretsError('EncryptionFailure', m.encryptionFailure(e.message));
      throw e;
    }
    const plain = 'string' in value ? Buffer.from(value.string, 'utf8') : Buffer.from(value.binary);
    const iv = this.deps.ids.bytes(12);
    const cipher = createCipheriv('aes-256-gcm', dataKey.plaintext, iv);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    dataKey.plaintext.fill(0);
    return {
      versionId,
      stages,
      createdDate: this.now(),
      kind: 'string' in value ? 'string' : 'binary',
      kmsKeyArn: dataKey.keyArn,
      encryptedDataKey: dataKey.ciphertextBlob.toString('base64'),
      sealedValue: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64'),
    };
  }

  /** The labelled versions of `secret` sealed again under its (new) key, by version id; nothing stored. */
  private async resealed(secret: SecretRecord): Promise<Map<string, SecretVersionRecord>> {
    const out = new Map<string, SecretVersionRecord>();
    for (const v of secret.versions) {
      if (!v.stages.some((st) => st === AWSCURRENT || st === AWSPREVIOUS || st === 'AWSPENDING')) continue;
      const fresh = await this.seal(secret, v.versionId, await this.open(secret, v, {}), v.stages, {});
      out.set(v.versionId, { ...fresh, createdDate: v.createdDate, ...(v.lastAccessedDate ? { lastAccessedDate: v.lastAccessedDate } : {}) });
    }
    return out;
  }

  private async open(secret: SecretRecord, version: SecretVersionRecord, caller: Caller): Promise<SecretValue> {
    const context = { SecretARN: secret.arn, SecretVersionId: version.versionId };
    const wrapped = Buffer.from(version.encryptedDataKey, 'base64');
    let dataKey: Buffer;
    try {
      if (caller.subject) await this.authorizeKms(caller.subject, 'kms:Decrypt', await this.deps.kms.keyOfCiphertext(wrapped), context);
      dataKey = (await this.deps.kms.decrypt(wrapped, context)).plaintext;
    } catch (e) {
      if (e instanceof KmsError) throw new SecretDecryptError(m.decryptionFailure(e.message), e.wireName);
      throw e;
    }
    const sealed = Buffer.from(version.sealedValue, 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', dataKey, sealed.subarray(0, 12));
      decipher.setAuthTag(sealed.subarray(12, 28));
      const plain = Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
      return version.kind === 'string' ? { string: plain.toString('utf8') } : { binary: plain };
    } catch {
      throw new SecretDecryptError(m.decryptionFailure(''));
    } finally {
      dataKey.fill(0);
    }
  }

  private async authorizeKms(subject: AuthzSubject, action: string, key: KeyRecord, context: Record<string, string>): Promise<void> {
    try {
      await this.deps.kms.authorize(subject, action, key, { viaService: MANAGED_KEY_SERVICE, encryptionContext: context });
    } catch (e) {
      if (e instanceof AccessDeniedError) throw new SecretsError('KmsAccessDenied', m.kmsAccessDenied);
      throw e;
    }
  }

  private async sameValue(secret: SecretRecord, version: SecretVersionRecord, value: SecretValue): Promise<boolean> {
    const stored = await this.open(secret, version, {});
    if ('string' in value) return 'string' in stored && stored.string === value.string;
    return 'binary' in stored && Buffer.from(stored.binary).equals(Buffer.from(value.binary));
  }
}

/** Secret names: ASCII letters, digits and /_+=.@!- — source: CreateSecret API reference, Name (and AWS's text). */
const NAME = /^[A-Za-z0-9/_+=.@!-]+$/;

export function checkName(name: string): void {
  if (!NAME.test(name)) throw new SecretsError('Validation', m.invalidName);
}

function checkTags(tags: readonly TagRecord[]): void {
  if (tags.some((t) => t.Key.toLowerCase().startsWith('aws:'))) throw new SecretsError('InvalidParameter', m.reservedTag);
}

function findVersion(secret: SecretRecord, opts: { versionId?: string; stage?: string }): SecretVersionRecord {
  if (opts.versionId !== undefined) {
    const v = secret.versions.find((x) => x.versionId === opts.versionId);
    if (!v) throw new SecretNotFoundError(m.versionNotFound(opts.versionId));
    if (opts.stage !== undefined && !v.stages.includes(opts.stage)) throw new SecretNotFoundError(m.stageNotFound(opts.stage));
    return v;
  }
  const stage = opts.stage ?? AWSCURRENT;
  const v = secret.versions.find((x) => x.stages.includes(stage));
  if (!v) throw new SecretNotFoundError(m.stageNotFound(stage));
  return v;
}

/** Puts `stage` on `versionId` alone; moving AWSCURRENT gives AWSPREVIOUS to the version that had it. */
function moveStage(versions: SecretVersionRecord[], stage: string, versionId: string): SecretVersionRecord[] {
  const from = versions.find((v) => v.stages.includes(stage));
  if (from?.versionId === versionId) return versions;
  let out = versions.map((v) => {
    if (v.versionId === versionId) return { ...v, stages: [...v.stages.filter((s) => s !== stage), stage] };
    return v.stages.includes(stage) ? { ...v, stages: v.stages.filter((s) => s !== stage) } : v;
  });
  if (stage === AWSCURRENT && from) out = moveStage(out, AWSPREVIOUS, from.versionId);
  return out;
}

/** Keeps at most MAX_DEPRECATED_VERSIONS versions without a label, dropping the oldest. */
function pruneDeprecated(versions: SecretVersionRecord[]): SecretVersionRecord[] {
  const deprecated = versions.filter((v) => v.stages.length === 0);
  if (deprecated.length <= MAX_DEPRECATED_VERSIONS) return versions;
  const drop = new Set(deprecated.slice(0, deprecated.length - MAX_DEPRECATED_VERSIONS).map((v) => v.versionId));
  return versions.filter((v) => !drop.has(v.versionId));
}
