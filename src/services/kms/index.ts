import { type RequestContext, authzSubjectOf } from '../../aws/context.js';
import type { AwsService, Handler, Handlers } from '../../aws/service.js';
import type { AuthzRequest } from '../../iam/authorize.js';
import { KmsError } from '../../kms/errors.js';
import { AWS_MANAGED_ALIASES } from '../../kms/key-policies.js';
import { aliasArn, type KeyRecord, type Kms, type ManagedKeyService } from '../../kms/keys.js';
import { kmsMessages } from '../../kms/messages.js';
import { InvalidMarkerException } from '../../model/kms/errors.js';
import { kmsModel } from '../../model/kms/index.js';
import type { KmsOperations } from '../../model/kms/operations.js';
import type * as T from '../../model/kms/types.js';
import { withKmsErrors } from './map-errors.js';

export interface KmsServiceDeps {
  kms: Kms;
}

const ALGORITHMS: Readonly<Record<string, Partial<T.KeyMetadata>>> = {
  SYMMETRIC_DEFAULT: { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] },
  RSA_ENCRYPT_DECRYPT: { EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] },
  RSA_SIGN_VERIFY: {
    SigningAlgorithms: [
      'RSASSA_PKCS1_V1_5_SHA_256',
      'RSASSA_PKCS1_V1_5_SHA_384',
      'RSASSA_PKCS1_V1_5_SHA_512',
      'RSASSA_PSS_SHA_256',
      'RSASSA_PSS_SHA_384',
      'RSASSA_PSS_SHA_512',
    ],
  },
  ECC_NIST_P256: { SigningAlgorithms: ['ECDSA_SHA_256'] },
  ECC_SECG_P256K1: { SigningAlgorithms: ['ECDSA_SHA_256'] },
  ECC_NIST_P384: { SigningAlgorithms: ['ECDSA_SHA_384'] },
  ECC_NIST_P521: { SigningAlgorithms: ['ECDSA_SHA_512'] },
  HMAC_224: { MacAlgorithms: ['HMAC_SHA_224'] },
  HMAC_256: { MacAlgorithms: ['HMAC_SHA_256'] },
  HMAC_384: { MacAlgorithms: ['HMAC_SHA_384'] },
  HMAC_512: { MacAlgorithms: ['HMAC_SHA_512'] },
};

function algorithms(k: KeyRecord): Partial<T.KeyMetadata> {
  if (k.keySpec.startsWith('RSA_')) return ALGORITHMS[`RSA_${k.keyUsage}`] ?? {};
  if (k.keyUsage === 'KEY_AGREEMENT') return { KeyAgreementAlgorithms: ['ECDH'] };
  return ALGORITHMS[k.keySpec] ?? {};
}

/** DescribeKey's KeyMetadata, field by field as KMS fills it for a key of this kind. */
export function keyMetadata(k: KeyRecord): T.KeyMetadata {
  return {
    AWSAccountId: k.accountId,
    KeyId: k.keyId,
    Arn: k.arn,
    CreationDate: k.creationDate,
    Enabled: k.keyState === 'Enabled',
    Description: k.description,
    KeyUsage: k.keyUsage as T.KeyMetadata['KeyUsage'],
    KeyState: k.keyState,
    ...(k.deletionDate ? { DeletionDate: k.deletionDate } : {}),
    Origin: k.origin as T.KeyMetadata['Origin'],
    KeyManager: k.keyManager,
    CustomerMasterKeySpec: k.keySpec as T.KeyMetadata['CustomerMasterKeySpec'],
    KeySpec: k.keySpec as T.KeyMetadata['KeySpec'],
    ...algorithms(k),
    MultiRegion: k.multiRegion,
    ...(k.multiRegion
      ? { MultiRegionConfiguration: { MultiRegionKeyType: 'PRIMARY', PrimaryKey: { Arn: k.arn, Region: k.region }, ReplicaKeys: [] } }
      : {}),
    ...(k.pendingWindowInDays !== undefined ? { PendingDeletionWindowInDays: k.pendingWindowInDays } : {}),
    ...(k.currentKeyMaterialId !== undefined ? { CurrentKeyMaterialId: k.currentKeyMaterialId } : {}),
  };
}


/** Operations that accept a key of another account (by key or alias ARN) — source: KMS Developer Guide, "Allowing users in other accounts to use a KMS key". */
const CROSS_ACCOUNT = new Set([
  'DescribeKey',
  'Encrypt',
  'Decrypt',
  'ReEncrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'GetKeyRotationStatus',
  'CreateGrant',
  'ListGrants',
  'RevokeGrant',
  'RetireGrant',
]);

/** Operations authorized before the handler (no key to resolve): IAM policies alone decide. */
const IAM_ONLY: ReadonlySet<string> = new Set(['CreateKey', 'ListKeys', 'ListAliases', 'GenerateRandom']);

/** The front's authorization: key operations are authorized inside their handler, once the key is known. */
export function kmsAuthorization(operation: string, input: unknown): AuthzRequest[] {
  if (!IAM_ONLY.has(operation)) return [];
  const i = input as { Tags?: T.Tag[] };
  const context: Record<string, string | string[]> = {};
  if (operation === 'CreateKey' && i.Tags) {
    context['aws:TagKeys'] = i.Tags.map((t) => t.TagKey);
    for (const t of i.Tags) context[`aws:RequestTag/${t.TagKey}`] = t.TagValue;
  }
  return [{ action: `kms:${operation}`, resource: '*', context }];
}

// UNVERIFIED: the text of InvalidMarkerException for a Marker KMS did not hand out.
const invalidMarker = () => new InvalidMarkerException('Invalid marker');

function page<T>(items: readonly T[], limit: number | undefined, marker: string | undefined, max: number, dflt: number) {
  const start = marker === undefined ? 0 : Number(Buffer.from(marker, 'base64url').toString('utf8'));
  if (!Number.isInteger(start) || start < 0) throw invalidMarker();
  const n = Math.min(limit ?? dflt, max);
  const slice = items.slice(start, start + n);
  const more = start + n < items.length;
  return { slice, truncated: more, ...(more ? { next: Buffer.from(String(start + n), 'utf8').toString('base64url') } : {}) };
}

export function kmsService(deps: KmsServiceDeps): AwsService {
  const { kms } = deps;

  /** Finds the key for `operation` and checks the caller may perform `action` on it. */
  async function keyFor(ctx: RequestContext, operation: string, keyRef: string, action = `kms:${operation}`, encryptionContext?: Record<string, string>): Promise<KeyRecord> {
    const key = await kms.resolveKey(ctx.accountId, ctx.region, keyRef);
    // KMS is regional, and most operations take only keys of the caller's account.
    if (key.region !== ctx.region || (key.accountId !== ctx.accountId && !CROSS_ACCOUNT.has(operation))) {
      throw new KmsError('NotFound', kmsMessages.keyNotFound(keyRef.startsWith('arn:') ? keyRef : key.arn));
    }
    await kms.authorize(authzSubjectOf(ctx), action, key, encryptionContext ? { encryptionContext } : {});
    return key;
  }

  async function dataKey(ctx: RequestContext, operation: string, i: T.GenerateDataKeyRequest) {
    if ((i.KeySpec === undefined) === (i.NumberOfBytes === undefined)) throw new KmsError('Validation', kmsMessages.dataKeySpec);
    const key = await keyFor(ctx, operation, i.KeyId, undefined, i.EncryptionContext);
    const bytes = i.NumberOfBytes ?? (i.KeySpec === 'AES_128' ? 16 : 32);
    return kms.generateDataKey(key, i.EncryptionContext, bytes);
  }

  const handlers = {
    CreateKey: async (ctx: RequestContext, i: T.CreateKeyRequest): Promise<T.CreateKeyResponse> => {
      // Imported, CloudHSM and external key material are not emulated: refused rather than faked.
      if ((i.Origin !== undefined && i.Origin !== 'AWS_KMS') || i.CustomKeyStoreId !== undefined || i.XksKeyId !== undefined) {
        throw new KmsError('Unsupported', kmsMessages.originUnsupported(i.Origin ?? 'AWS_CLOUDHSM'));
      }
      const key = await kms.createKey(
        ctx.accountId,
        ctx.region,
        {
          ...(i.KeySpec ?? i.CustomerMasterKeySpec ? { keySpec: i.KeySpec ?? i.CustomerMasterKeySpec } : {}),
          ...(i.KeyUsage !== undefined ? { keyUsage: i.KeyUsage } : {}),
          ...(i.MultiRegion !== undefined ? { multiRegion: i.MultiRegion } : {}),
          ...(i.Description !== undefined ? { description: i.Description } : {}),
          ...(i.Policy !== undefined ? { policy: i.Policy } : {}),
          ...(i.BypassPolicyLockoutSafetyCheck !== undefined ? { bypassPolicyLockoutSafetyCheck: i.BypassPolicyLockoutSafetyCheck } : {}),
          ...(i.Tags !== undefined ? { tags: i.Tags.map((t) => ({ Key: t.TagKey, Value: t.TagValue })) } : {}),
        },
        authzSubjectOf(ctx),
      );
      return { KeyMetadata: keyMetadata(key) };
    },

    DescribeKey: async (ctx: RequestContext, i: T.DescribeKeyRequest): Promise<T.DescribeKeyResponse> => {
      // DescribeKey of an AWS managed alias makes its key, as KMS does on first reference (ListAliases
      // shows the target only afterwards — hashicorp/terraform-provider-aws#2009).
      if (AWS_MANAGED_ALIASES.includes(i.KeyId)) await kms.awsManagedKey(ctx.accountId, ctx.region, i.KeyId.slice('alias/aws/'.length) as ManagedKeyService);
      return { KeyMetadata: keyMetadata(await keyFor(ctx, 'DescribeKey', i.KeyId)) };
    },

    ListKeys: async (ctx: RequestContext, i: T.ListKeysRequest): Promise<T.ListKeysResponse> => {
      const limit = Math.min(i.Limit ?? 100, 1000);
      if (i.Marker !== undefined && !/^\d+\|.+$/.test(Buffer.from(i.Marker, 'base64url').toString('utf8'))) throw invalidMarker();
      const p = await kms.listKeys(ctx.accountId, ctx.region, { limit, ...(i.Marker !== undefined ? { after: i.Marker } : {}) });
      return { Keys: p.items.map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })), Truncated: p.next !== undefined, ...(p.next ? { NextMarker: p.next } : {}) };
    },

    UpdateKeyDescription: async (ctx: RequestContext, i: T.UpdateKeyDescriptionRequest): Promise<Record<string, never>> => {
      await kms.updateDescription(await keyFor(ctx, 'UpdateKeyDescription', i.KeyId), i.Description);
      return {};
    },

    EnableKey: async (ctx: RequestContext, i: T.EnableKeyRequest): Promise<Record<string, never>> => {
      await kms.enableKey(await keyFor(ctx, 'EnableKey', i.KeyId));
      return {};
    },

    DisableKey: async (ctx: RequestContext, i: T.DisableKeyRequest): Promise<Record<string, never>> => {
      await kms.disableKey(await keyFor(ctx, 'DisableKey', i.KeyId));
      return {};
    },

    ScheduleKeyDeletion: async (ctx: RequestContext, i: T.ScheduleKeyDeletionRequest): Promise<T.ScheduleKeyDeletionResponse> => {
      const key = await kms.scheduleDeletion(await keyFor(ctx, 'ScheduleKeyDeletion', i.KeyId), i.PendingWindowInDays ?? 30);
      return { KeyId: key.arn, DeletionDate: key.deletionDate!, KeyState: key.keyState, PendingWindowInDays: key.pendingWindowInDays! };
    },

    CancelKeyDeletion: async (ctx: RequestContext, i: T.CancelKeyDeletionRequest): Promise<T.CancelKeyDeletionResponse> => {
      const key = await kms.cancelDeletion(await keyFor(ctx, 'CancelKeyDeletion', i.KeyId));
      return { KeyId: key.arn };
    },

    GetKeyPolicy: async (ctx: RequestContext, i: T.GetKeyPolicyRequest): Promise<T.GetKeyPolicyResponse> => {
      const key = await keyFor(ctx, 'GetKeyPolicy', i.KeyId);
      if (i.PolicyName !== undefined && i.PolicyName !== 'default') throw new KmsError('NotFound', kmsMessages.policyName(i.PolicyName));
      return { Policy: key.policy, PolicyName: 'default' };
    },

    PutKeyPolicy: async (ctx: RequestContext, i: T.PutKeyPolicyRequest): Promise<Record<string, never>> => {
      const key = await keyFor(ctx, 'PutKeyPolicy', i.KeyId);
      if (i.PolicyName !== undefined && i.PolicyName !== 'default') throw new KmsError('NotFound', kmsMessages.policyName(i.PolicyName));
      await kms.putPolicy(key, i.Policy, authzSubjectOf(ctx), i.BypassPolicyLockoutSafetyCheck ?? false);
      return {};
    },

    ListKeyPolicies: async (ctx: RequestContext, i: T.ListKeyPoliciesRequest): Promise<T.ListKeyPoliciesResponse> => {
      await keyFor(ctx, 'ListKeyPolicies', i.KeyId);
      return { PolicyNames: ['default'], Truncated: false };
    },

    TagResource: async (ctx: RequestContext, i: T.TagResourceRequest): Promise<Record<string, never>> => {
      const tags = i.Tags.map((t) => ({ Key: t.TagKey, Value: t.TagValue }));
      await kms.tag(await keyFor(ctx, 'TagResource', i.KeyId), tags);
      return {};
    },

    UntagResource: async (ctx: RequestContext, i: T.UntagResourceRequest): Promise<Record<string, never>> => {
      await kms.untag(await keyFor(ctx, 'UntagResource', i.KeyId), i.TagKeys);
      return {};
    },

    ListResourceTags: async (ctx: RequestContext, i: T.ListResourceTagsRequest): Promise<T.ListResourceTagsResponse> => {
      const key = await keyFor(ctx, 'ListResourceTags', i.KeyId);
      const p = page(key.tags, i.Limit, i.Marker, 50, 50);
      return { Tags: p.slice.map((t) => ({ TagKey: t.Key, TagValue: t.Value })), Truncated: p.truncated, ...(p.next ? { NextMarker: p.next } : {}) };
    },

    EnableKeyRotation: async (ctx: RequestContext, i: T.EnableKeyRotationRequest): Promise<Record<string, never>> => {
      await kms.setRotation(await keyFor(ctx, 'EnableKeyRotation', i.KeyId), true, i.RotationPeriodInDays);
      return {};
    },

    DisableKeyRotation: async (ctx: RequestContext, i: T.DisableKeyRotationRequest): Promise<Record<string, never>> => {
      await kms.setRotation(await keyFor(ctx, 'DisableKeyRotation', i.KeyId), false);
      return {};
    },

    GetKeyRotationStatus: async (ctx: RequestContext, i: T.GetKeyRotationStatusRequest): Promise<T.GetKeyRotationStatusResponse> => {
      const key = await keyFor(ctx, 'GetKeyRotationStatus', i.KeyId);
      if (key.keySpec !== 'SYMMETRIC_DEFAULT') throw new KmsError('Unsupported', kmsMessages.rotationUnsupported(key.arn));
      const r = key.rotation;
      return {
        KeyRotationEnabled: r.enabled,
        KeyId: key.arn,
        ...(r.enabled && r.periodInDays !== undefined ? { RotationPeriodInDays: r.periodInDays } : {}),
        ...(r.enabled && r.nextRotationDate !== undefined ? { NextRotationDate: r.nextRotationDate } : {}),
      };
    },

    RotateKeyOnDemand: async (ctx: RequestContext, i: T.RotateKeyOnDemandRequest): Promise<T.RotateKeyOnDemandResponse> => {
      const key = await kms.rotateOnDemand(await keyFor(ctx, 'RotateKeyOnDemand', i.KeyId));
      return { KeyId: key.keyId };
    },

    ListKeyRotations: async (ctx: RequestContext, i: T.ListKeyRotationsRequest): Promise<T.ListKeyRotationsResponse> => {
      const key = await keyFor(ctx, 'ListKeyRotations', i.KeyId);
      if (key.keySpec !== 'SYMMETRIC_DEFAULT') throw new KmsError('Unsupported', kmsMessages.rotationUnsupported(key.arn));
      const entries: T.RotationsListEntry[] = (await kms.rotations(key)).map((r) => ({
        KeyId: key.keyId,
        KeyMaterialId: r.id,
        KeyMaterialState: r.id === key.currentKeyMaterialId ? 'CURRENT' : 'NON_CURRENT',
        RotationDate: r.createdAt,
        RotationType: r.rotationType ?? 'AUTOMATIC',
      }));
      const p = page(entries, i.Limit, i.Marker, 1000, 100);
      return { Rotations: p.slice, Truncated: p.truncated, ...(p.next ? { NextMarker: p.next } : {}) };
    },

    CreateGrant: async (ctx: RequestContext, i: T.CreateGrantRequest): Promise<T.CreateGrantResponse> => {
      const key = await keyFor(ctx, 'CreateGrant', i.KeyId);
      const c = i.Constraints;
      const out = await kms.createGrant(key, ctx.accountId, {
        granteePrincipal: i.GranteePrincipal,
        operations: i.Operations,
        ...(i.RetiringPrincipal !== undefined ? { retiringPrincipal: i.RetiringPrincipal } : {}),
        ...(i.Name !== undefined ? { name: i.Name } : {}),
        ...(c
          ? {
              constraints: {
                ...(c.EncryptionContextSubset ? { encryptionContextSubset: c.EncryptionContextSubset } : {}),
                ...(c.EncryptionContextEquals ? { encryptionContextEquals: c.EncryptionContextEquals } : {}),
              },
            }
          : {}),
      });
      return { GrantId: out.grantId, GrantToken: out.grantToken };
    },

    ListGrants: async (ctx: RequestContext, i: T.ListGrantsRequest): Promise<T.ListGrantsResponse> => {
      const key = await keyFor(ctx, 'ListGrants', i.KeyId);
      const grants = kms
        .listGrants(key)
        .filter((g) => (i.GrantId === undefined || g.grantId === i.GrantId) && (i.GranteePrincipal === undefined || g.granteePrincipal === i.GranteePrincipal))
        .map(
          (g): T.GrantListEntry => ({
            KeyId: key.arn,
            GrantId: g.grantId,
            ...(g.name !== undefined ? { Name: g.name } : {}),
            CreationDate: g.creationDate,
            GranteePrincipal: g.granteePrincipal,
            ...(g.retiringPrincipal !== undefined ? { RetiringPrincipal: g.retiringPrincipal } : {}),
            IssuingAccount: `arn:aws:iam::${g.issuingAccount}:root`,
            Operations: g.operations as T.GrantListEntry['Operations'],
            ...(g.constraints
              ? {
                  Constraints: {
                    ...(g.constraints.encryptionContextSubset ? { EncryptionContextSubset: g.constraints.encryptionContextSubset } : {}),
                    ...(g.constraints.encryptionContextEquals ? { EncryptionContextEquals: g.constraints.encryptionContextEquals } : {}),
                  },
                }
              : {}),
          }),
        );
      const p = page(grants, i.Limit, i.Marker, 100, 50);
      return { Grants: p.slice, Truncated: p.truncated, ...(p.next ? { NextMarker: p.next } : {}) };
    },

    RevokeGrant: async (ctx: RequestContext, i: T.RevokeGrantRequest): Promise<Record<string, never>> => {
      await kms.revokeGrant(await keyFor(ctx, 'RevokeGrant', i.KeyId), i.GrantId);
      return {};
    },

    RetireGrant: async (ctx: RequestContext, i: T.RetireGrantRequest): Promise<Record<string, never>> => {
      let key: KeyRecord;
      let grantId: string;
      if (i.GrantToken !== undefined) {
        const found = await kms.grantOfToken(i.GrantToken);
        key = found.key;
        grantId = found.grant.grantId;
      } else if (i.KeyId !== undefined && i.GrantId !== undefined) {
        key = await kms.resolveKey(ctx.accountId, ctx.region, i.KeyId);
        grantId = i.GrantId;
      } else {
        throw new KmsError('Validation', kmsMessages.retireGrantInput);
      }
      const grant = kms.listGrants(key).find((g) => g.grantId === grantId);
      if (!grant) throw new KmsError('NotFound', kmsMessages.grantNotFound(grantId));
      // Who may retire: the retiring principal, the grantee when the grant includes RetireGrant, or
      // whoever the key policy lets retire grants — source: KMS Developer Guide, "Retiring and revoking grants".
      const caller = ctx.principal.kind === 'assumed-role' ? [ctx.principal.arn, ctx.principal.roleArn] : [ctx.principal.arn];
      const mayRetire =
        (grant.retiringPrincipal !== undefined && caller.includes(grant.retiringPrincipal)) ||
        (caller.includes(grant.granteePrincipal) && grant.operations.includes('RetireGrant'));
      if (!mayRetire) await kms.authorize(authzSubjectOf(ctx), 'kms:RetireGrant', key);
      await kms.revokeGrant(key, grantId);
      return {};
    },

    CreateAlias: async (ctx: RequestContext, i: T.CreateAliasRequest): Promise<Record<string, never>> => {
      await kms.authorizeAlias(authzSubjectOf(ctx), 'kms:CreateAlias', aliasArn(ctx.region, ctx.accountId, i.AliasName));
      const key = await keyFor(ctx, 'CreateAlias', i.TargetKeyId);
      await kms.createAlias(ctx.accountId, ctx.region, i.AliasName, key);
      return {};
    },

    UpdateAlias: async (ctx: RequestContext, i: T.UpdateAliasRequest): Promise<Record<string, never>> => {
      const alias = await kms.getAlias(ctx.accountId, ctx.region, i.AliasName);
      await kms.authorizeAlias(authzSubjectOf(ctx), 'kms:UpdateAlias', aliasArn(ctx.region, ctx.accountId, i.AliasName));
      await keyFor(ctx, 'UpdateAlias', alias.targetKeyId);
      const target = await keyFor(ctx, 'UpdateAlias', i.TargetKeyId);
      await kms.updateAlias(alias, target);
      return {};
    },

    DeleteAlias: async (ctx: RequestContext, i: T.DeleteAliasRequest): Promise<Record<string, never>> => {
      const alias = await kms.getAlias(ctx.accountId, ctx.region, i.AliasName);
      await kms.authorizeAlias(authzSubjectOf(ctx), 'kms:DeleteAlias', aliasArn(ctx.region, ctx.accountId, i.AliasName));
      await keyFor(ctx, 'DeleteAlias', alias.targetKeyId);
      await kms.deleteAlias(alias);
      return {};
    },

    ListAliases: async (ctx: RequestContext, i: T.ListAliasesRequest): Promise<T.ListAliasesResponse> => {
      const stored = await kms.listAliases(ctx.accountId, ctx.region);
      let entries: T.AliasListEntry[];
      if (i.KeyId !== undefined) {
        const key = await kms.resolveKey(ctx.accountId, ctx.region, i.KeyId);
        entries = stored.filter((a) => a.targetKeyId === key.keyId).map((a) => aliasEntry(ctx, a));
      } else {
        // AWS managed aliases are listed whether or not their key exists yet (then without a target).
        const byName = new Map(stored.map((a) => [a.name, aliasEntry(ctx, a)]));
        for (const name of AWS_MANAGED_ALIASES) {
          if (!byName.has(name)) byName.set(name, { AliasName: name, AliasArn: aliasArn(ctx.region, ctx.accountId, name) });
        }
        entries = [...byName.values()].sort((a, b) => (a.AliasName! < b.AliasName! ? -1 : 1));
      }
      const p = page(entries, i.Limit, i.Marker, 100, 50);
      return { Aliases: p.slice, Truncated: p.truncated, ...(p.next ? { NextMarker: p.next } : {}) };
    },

    Encrypt: async (ctx: RequestContext, i: T.EncryptRequest): Promise<T.EncryptResponse> => {
      const key = await keyFor(ctx, 'Encrypt', i.KeyId, undefined, i.EncryptionContext);
      const out = await kms.encrypt(key, i.Plaintext, i.EncryptionContext);
      return { CiphertextBlob: out.ciphertextBlob, KeyId: out.keyArn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    },

    Decrypt: async (ctx: RequestContext, i: T.DecryptRequest): Promise<T.DecryptResponse> => {
      const expected = i.KeyId !== undefined ? await kms.resolveKey(ctx.accountId, ctx.region, i.KeyId) : undefined;
      const blob = i.CiphertextBlob ?? new Uint8Array();
      const key = await kms.keyOfCiphertext(blob);
      if (expected && expected.keyId !== key.keyId) throw new KmsError('IncorrectKey', kmsMessages.incorrectKey);
      await keyFor(ctx, 'Decrypt', key.arn, undefined, i.EncryptionContext);
      const out = await kms.decrypt(blob, i.EncryptionContext);
      return { KeyId: out.keyArn, Plaintext: out.plaintext, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    },

    ReEncrypt: async (ctx: RequestContext, i: T.ReEncryptRequest): Promise<T.ReEncryptResponse> => {
      const blob = i.CiphertextBlob ?? new Uint8Array();
      const expected = i.SourceKeyId !== undefined ? await kms.resolveKey(ctx.accountId, ctx.region, i.SourceKeyId) : undefined;
      const source = await kms.keyOfCiphertext(blob);
      if (expected && expected.keyId !== source.keyId) throw new KmsError('IncorrectKey', kmsMessages.incorrectKey);
      await keyFor(ctx, 'ReEncrypt', source.arn, 'kms:ReEncryptFrom', i.SourceEncryptionContext);
      const destination = await keyFor(ctx, 'ReEncrypt', i.DestinationKeyId, 'kms:ReEncryptTo', i.DestinationEncryptionContext);
      const { plaintext } = await kms.decrypt(blob, i.SourceEncryptionContext);
      const out = await kms.encrypt(destination, plaintext, i.DestinationEncryptionContext);
      return {
        CiphertextBlob: out.ciphertextBlob,
        SourceKeyId: source.arn,
        KeyId: destination.arn,
        SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      };
    },

    GenerateDataKey: async (ctx: RequestContext, i: T.GenerateDataKeyRequest): Promise<T.GenerateDataKeyResponse> => {
      const out = await dataKey(ctx, 'GenerateDataKey', i);
      return { CiphertextBlob: out.ciphertextBlob, Plaintext: out.plaintext, KeyId: out.keyArn };
    },

    GenerateDataKeyWithoutPlaintext: async (
      ctx: RequestContext,
      i: T.GenerateDataKeyWithoutPlaintextRequest,
    ): Promise<T.GenerateDataKeyWithoutPlaintextResponse> => {
      const out = await dataKey(ctx, 'GenerateDataKeyWithoutPlaintext', i);
      return { CiphertextBlob: out.ciphertextBlob, KeyId: out.keyArn };
    },

    GenerateRandom: async (_ctx: RequestContext, i: T.GenerateRandomRequest): Promise<T.GenerateRandomResponse> => {
      return { Plaintext: kms.random(i.NumberOfBytes ?? 32) };
    },
  } satisfies Partial<Handlers<KmsOperations>>;

  const wrapped: Record<string, Handler<never, unknown>> = {};
  for (const [name, fn] of Object.entries(handlers)) {
    wrapped[name] = withKmsErrors(fn as (ctx: RequestContext, input: never) => Promise<unknown>);
  }
  return { signingName: 'kms', protocol: 'json', model: kmsModel, handlers: wrapped, authorization: kmsAuthorization };
}

function aliasEntry(ctx: RequestContext, a: { name: string; targetKeyId: string; createdAt: Date; updatedAt: Date }): T.AliasListEntry {
  return {
    AliasName: a.name,
    AliasArn: aliasArn(ctx.region, ctx.accountId, a.name),
    TargetKeyId: a.targetKeyId,
    CreationDate: a.createdAt,
    LastUpdatedDate: a.updatedAt,
  };
}
