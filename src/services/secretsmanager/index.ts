import { type RequestContext, authzSubjectOf } from '../../aws/context.js';
import type { AwsService, Handler, Handlers } from '../../aws/service.js';
import type { AuthzRequest, Authorizer } from '../../iam/authorize.js';
import { InvalidNextTokenException, InvalidParameterException } from '../../model/secretsmanager/errors.js';
import { secretsmanagerModel } from '../../model/secretsmanager/index.js';
import type { SecretsManagerOperations } from '../../model/secretsmanager/operations.js';
import type * as T from '../../model/secretsmanager/types.js';
import { secretsMessages as m } from '../../secrets/messages.js';
import { SecretNotFoundError, SecretsError, type ReadValue, type SecretRecord, type Secrets, type SecretValue } from '../../secrets/secrets.js';
import type { TagRecord } from '../../store/meta/meta-store.js';
import { toSecretsManagerError, withSecretsErrors } from './map-errors.js';
import { AwsError } from '../../aws/errors.js';
import { AccessDeniedError } from '../../iam/authorize.js';

export interface SecretsManagerServiceDeps {
  secrets: Secrets;
  authorizer: Authorizer;
}


/** Operations on no secret: IAM policies decide on `*` before the handler runs. */
const ON_NOTHING: ReadonlySet<string> = new Set(['ListSecrets', 'GetRandomPassword', 'BatchGetSecretValue']);

/**
 * The front's authorization: operations on a secret are authorized inside their handler, on the
 * secret's ARN (with its random suffix), once it is found — as KMS does with keys.
 */
export function secretsManagerAuthorization(operation: string): AuthzRequest[] {
  return ON_NOTHING.has(operation) ? [{ action: `secretsmanager:${operation}`, resource: '*' }] : [];
}

/** aws:RequestTag/* and aws:TagKeys of tags a request brings. */
function tagContext(tags: readonly TagRecord[] | undefined): Record<string, string | string[]> {
  if (!tags || tags.length === 0) return {};
  const context: Record<string, string | string[]> = { 'aws:TagKeys': tags.map((t) => t.Key) };
  for (const t of tags) context[`aws:RequestTag/${t.Key}`] = t.Value;
  return context;
}

const toTags = (tags: readonly T.Tag[] | undefined): TagRecord[] | undefined => tags?.map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' }));

/** Exactly one of SecretString and SecretBinary, or none (a secret without a version). */
function valueOf(i: { SecretString?: string; SecretBinary?: Uint8Array }): SecretValue | undefined {
  if (i.SecretString !== undefined && i.SecretBinary !== undefined) throw new InvalidParameterException(m.bothValues);
  if (i.SecretString !== undefined) return { string: i.SecretString };
  if (i.SecretBinary !== undefined) return { binary: i.SecretBinary };
  return undefined;
}

/** Versions that carry a staging label, by id (DescribeSecret's VersionIdsToStages). */
/** A secret's value as GetSecretValue answers it, and BatchGetSecretValue lists it. */
function secretValueOf(s: SecretRecord, read: ReadValue): T.GetSecretValueResponse & T.SecretValueEntry {
  return {
    ARN: s.arn,
    Name: s.name,
    VersionId: read.version.versionId,
    ...('string' in read.value ? { SecretString: read.value.string } : { SecretBinary: read.value.binary }),
    VersionStages: read.version.stages,
    CreatedDate: read.version.createdDate,
  };
}

function versionStages(s: SecretRecord): Record<string, string[]> {
  return Object.fromEntries(s.versions.filter((v) => v.stages.length > 0).map((v) => [v.versionId, v.stages]));
}

/** DescribeSecret and ListSecrets entries share their fields. */
function secretFields(s: SecretRecord) {
  return {
    ARN: s.arn,
    Name: s.name,
    ...(s.description !== undefined ? { Description: s.description } : {}),
    // Omitted for the AWS managed key aws/secretsmanager — source: DescribeSecret API reference, KmsKeyId.
    ...(s.kmsKeyId !== undefined ? { KmsKeyId: s.kmsKeyId } : {}),
    LastChangedDate: s.lastChangedDate,
    ...(s.lastAccessedDate !== undefined ? { LastAccessedDate: s.lastAccessedDate } : {}),
    ...(s.deletedDate !== undefined ? { DeletedDate: s.deletedDate } : {}),
    ...(s.tags.length > 0 ? { Tags: s.tags.map((t) => ({ Key: t.Key, Value: t.Value })) } : {}),
    CreatedDate: s.createdDate,
  };
}

// ---------------------------------------------------------------------------------------------
// ListSecrets filters — source: Secrets Manager API reference, Filter ("description: Prefix match,
// not case-sensitive. name, tag-key, tag-value, primary-region, owning-service: Prefix match,
// case-sensitive. all: Breaks the filter value string into words and then searches all attributes
// for matches. Not case-sensitive."; a value starting with ! negates).
// ---------------------------------------------------------------------------------------------

/** Words as the search splits them: at case changes, letter/digit changes and punctuation. */
function words(text: string): string[] {
  return (text.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g) ?? []).map((w) => w.toLowerCase());
}

function matchesValue(s: SecretRecord, key: string, value: string): boolean {
  const prefix = (candidates: readonly (string | undefined)[], v: string, fold = false) =>
    candidates.some((c) => c !== undefined && (fold ? c.toLowerCase().startsWith(v.toLowerCase()) : c.startsWith(v)));
  switch (key) {
    case 'name':
      return prefix([s.name], value);
    case 'description':
      return prefix([s.description], value, true);
    case 'tag-key':
      return prefix(s.tags.map((t) => t.Key), value);
    case 'tag-value':
      return prefix(s.tags.map((t) => t.Value), value);
    case 'primary-region':
    case 'owning-service':
      // No replication and no managed secrets here: no secret has either attribute.
      return false;
    case 'all': {
      const have = [s.name, s.description ?? '', ...s.tags.flatMap((t) => [t.Key, t.Value])].flatMap(words);
      return words(value).some((w) => have.some((h) => h.startsWith(w)));
    }
    default:
      return false;
  }
}

function matchesFilters(s: SecretRecord, filters: readonly T.Filter[]): boolean {
  return filters.every((f) => {
    const values = f.Values ?? [];
    return values.some((v) => (v.startsWith('!') ? !matchesValue(s, f.Key ?? '', v.slice(1)) : matchesValue(s, f.Key ?? '', v)));
  });
}

const SORT_KEYS: Readonly<Record<string, (s: SecretRecord) => number | string>> = {
  'created-date': (s) => s.createdDate.getTime(),
  'last-accessed-date': (s) => s.lastAccessedDate?.getTime() ?? 0,
  'last-changed-date': (s) => s.lastChangedDate.getTime(),
  name: (s) => s.name,
};

/** Page tokens: base64url of the offset into the filtered, sorted list. */
function pageOf<X>(items: readonly X[], maxResults: number | undefined, token: string | undefined): { slice: X[]; next?: string } {
  let start = 0;
  if (token !== undefined) {
    start = Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0 || start > items.length) throw new InvalidNextTokenException(m.invalidNextToken);
  }
  const n = maxResults ?? 100;
  const slice = items.slice(start, start + n);
  return start + n < items.length ? { slice, next: Buffer.from(String(start + n), 'utf8').toString('base64url') } : { slice };
}

const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

export function secretsManagerService(deps: SecretsManagerServiceDeps): AwsService {
  const { secrets, authorizer } = deps;

  async function authorize(ctx: RequestContext, operation: string, arn: string, context: Record<string, string | string[]> = {}): Promise<void> {
    await authorizer.authorize(authzSubjectOf(ctx), [{ action: `secretsmanager:${operation}`, resource: arn, context }]);
  }

  /**
   * The secret `SecretId` names, after the caller is allowed `operation` on it. A caller not
   * allowed learns nothing: a secret that does not exist is authorized on the ARN the id names
   * (the id itself, or the name's ARN without suffix) before it is reported missing.
   */
  async function secretFor(ctx: RequestContext, operation: string, secretId: string, context?: Record<string, string | string[]>): Promise<SecretRecord> {
    let secret: SecretRecord;
    try {
      secret = await secrets.resolve(ctx.accountId, ctx.region, secretId);
    } catch (e) {
      if (e instanceof SecretNotFoundError) {
        const named = secretId.startsWith('arn:') ? secretId : `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${secretId}`;
        await authorize(ctx, operation, named, context);
      }
      throw e;
    }
    await authorize(ctx, operation, secret.arn, { 'secretsmanager:SecretId': secret.arn, ...context });
    return secret;
  }

  const caller = (ctx: RequestContext) => ({ subject: authzSubjectOf(ctx) });

  const handlers = {
    CreateSecret: async (ctx: RequestContext, i: T.CreateSecretRequest): Promise<T.CreateSecretResponse> => {
      if (i.AddReplicaRegions !== undefined && i.AddReplicaRegions.length > 0) {
        throw new InvalidParameterException('simfra does not emulate replicating secrets to other Regions (AddReplicaRegions).');
      }
      const value = valueOf(i);
      const tags = toTags(i.Tags);
      const arn = secrets.newArn(ctx.accountId, ctx.region, i.Name);
      // Condition keys of CreateSecret — source: Service Authorization Reference, AWS Secrets Manager.
      await authorize(ctx, 'CreateSecret', arn, {
        'secretsmanager:Name': i.Name,
        ...(i.Description !== undefined ? { 'secretsmanager:Description': i.Description } : {}),
        ...(i.KmsKeyId !== undefined ? { 'secretsmanager:KmsKeyId': i.KmsKeyId } : {}),
        ...tagContext(tags),
      });
      // "If you include tags in the secret, you also need secretsmanager:TagResource" — CreateSecret API reference.
      if (tags && tags.length > 0) await authorize(ctx, 'TagResource', arn, tagContext(tags));
      const out = await secrets.create(
        ctx.accountId,
        ctx.region,
        arn,
        {
          name: i.Name,
          ...(i.Description !== undefined ? { description: i.Description } : {}),
          ...(i.KmsKeyId !== undefined ? { kmsKeyId: i.KmsKeyId } : {}),
          ...(tags ? { tags } : {}),
          ...(value ? { value } : {}),
          ...(i.ClientRequestToken !== undefined ? { versionId: i.ClientRequestToken } : {}),
        },
        caller(ctx),
      );
      return { ARN: out.secret.arn, Name: out.secret.name, ...(out.versionId !== undefined ? { VersionId: out.versionId } : {}) };
    },

    DescribeSecret: async (ctx: RequestContext, i: T.DescribeSecretRequest): Promise<T.DescribeSecretResponse> => {
      const s = await secretFor(ctx, 'DescribeSecret', i.SecretId);
      return { ...secretFields(s), VersionIdsToStages: versionStages(s) };
    },

    GetSecretValue: async (ctx: RequestContext, i: T.GetSecretValueRequest): Promise<T.GetSecretValueResponse> => {
      const s = await secretFor(ctx, 'GetSecretValue', i.SecretId, {
        ...(i.VersionId !== undefined ? { 'secretsmanager:VersionId': i.VersionId } : {}),
        ...(i.VersionStage !== undefined ? { 'secretsmanager:VersionStage': i.VersionStage } : {}),
      });
      const out = await secrets.getValue(
        s,
        { ...(i.VersionId !== undefined ? { versionId: i.VersionId } : {}), ...(i.VersionStage !== undefined ? { stage: i.VersionStage } : {}) },
        caller(ctx),
      );
      return secretValueOf(s, out);
    },

    PutSecretValue: async (ctx: RequestContext, i: T.PutSecretValueRequest): Promise<T.PutSecretValueResponse> => {
      const value = valueOf(i);
      const s = await secretFor(ctx, 'PutSecretValue', i.SecretId);
      if (!value) throw new InvalidParameterException(m.noValue);
      const out = await secrets.putValue(
        s,
        value,
        { ...(i.ClientRequestToken !== undefined ? { versionId: i.ClientRequestToken } : {}), ...(i.VersionStages !== undefined ? { stages: i.VersionStages } : {}) },
        caller(ctx),
      );
      return { ARN: s.arn, Name: s.name, VersionId: out.version.versionId, VersionStages: out.version.stages };
    },

    UpdateSecret: async (ctx: RequestContext, i: T.UpdateSecretRequest): Promise<T.UpdateSecretResponse> => {
      const value = valueOf(i);
      const s = await secretFor(ctx, 'UpdateSecret', i.SecretId, {
        ...(i.Description !== undefined ? { 'secretsmanager:Description': i.Description } : {}),
        ...(i.KmsKeyId !== undefined ? { 'secretsmanager:KmsKeyId': i.KmsKeyId } : {}),
      });
      const out = await secrets.update(
        s,
        {
          ...(i.Description !== undefined ? { description: i.Description } : {}),
          ...(i.KmsKeyId !== undefined ? { kmsKeyId: i.KmsKeyId } : {}),
          ...(value ? { value } : {}),
          ...(i.ClientRequestToken !== undefined ? { versionId: i.ClientRequestToken } : {}),
        },
        caller(ctx),
      );
      return { ARN: s.arn, Name: s.name, ...(out.versionId !== undefined ? { VersionId: out.versionId } : {}) };
    },

    UpdateSecretVersionStage: async (ctx: RequestContext, i: T.UpdateSecretVersionStageRequest): Promise<T.UpdateSecretVersionStageResponse> => {
      const s = await secretFor(ctx, 'UpdateSecretVersionStage', i.SecretId);
      await secrets.moveStage(s, i.VersionStage, {
        ...(i.RemoveFromVersionId !== undefined ? { removeFrom: i.RemoveFromVersionId } : {}),
        ...(i.MoveToVersionId !== undefined ? { moveTo: i.MoveToVersionId } : {}),
      });
      return { ARN: s.arn, Name: s.name };
    },

    ListSecretVersionIds: async (ctx: RequestContext, i: T.ListSecretVersionIdsRequest): Promise<T.ListSecretVersionIdsResponse> => {
      const s = await secretFor(ctx, 'ListSecretVersionIds', i.SecretId);
      const versions = s.versions.filter((v) => i.IncludeDeprecated === true || v.stages.length > 0);
      const p = pageOf(versions, i.MaxResults, i.NextToken);
      return {
        Versions: p.slice.map((v) => ({
          VersionId: v.versionId,
          VersionStages: v.stages,
          ...(v.lastAccessedDate !== undefined ? { LastAccessedDate: v.lastAccessedDate } : {}),
          CreatedDate: v.createdDate,
          KmsKeyIds: [v.kmsKeyArn],
        })),
        ...(p.next !== undefined ? { NextToken: p.next } : {}),
        ARN: s.arn,
        Name: s.name,
      };
    },

    ListSecrets: async (ctx: RequestContext, i: T.ListSecretsRequest): Promise<T.ListSecretsResponse> => {
      let all = await secrets.list(ctx.accountId, ctx.region);
      if (i.IncludePlannedDeletion !== true) all = all.filter((s) => s.deletedDate === undefined);
      if (i.Filters) all = all.filter((s) => matchesFilters(s, i.Filters!));
      // Listed by creation date unless SortBy says otherwise; ascending by default — UNVERIFIED.
      const key = SORT_KEYS[i.SortBy ?? 'created-date']!;
      const dir = i.SortOrder === 'desc' ? -1 : 1;
      const sorted = [...all].sort((a, b) => {
        const x = key(a);
        const y = key(b);
        return (x < y ? -1 : x > y ? 1 : a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0) * dir;
      });
      const p = pageOf(sorted, i.MaxResults, i.NextToken);
      return {
        SecretList: p.slice.map((s) => ({ ...secretFields(s), SecretVersionsToStages: versionStages(s) })),
        ...(p.next !== undefined ? { NextToken: p.next } : {}),
      };
    },

    /**
     * BatchGetSecretValue: the current values of up to 20 secrets, by id or by ListSecrets filters;
     * each secret also needs secretsmanager:GetSecretValue, and what fails for one secret is an
     * entry of `Errors` — source: BatchGetSecretValue API reference.
     */
    BatchGetSecretValue: async (ctx: RequestContext, i: T.BatchGetSecretValueRequest): Promise<T.BatchGetSecretValueResponse> => {
      if ((i.SecretIdList === undefined) === (i.Filters === undefined)) throw new InvalidParameterException(m.batchIdsOrFilters);
      if (i.SecretIdList !== undefined && (i.MaxResults !== undefined || i.NextToken !== undefined)) throw new InvalidParameterException(m.batchPagingWithIds);
      let ids: string[];
      let next: string | undefined;
      if (i.SecretIdList !== undefined) ids = i.SecretIdList;
      else {
        // "If you use filters, you must also have secretsmanager:ListSecrets" — BatchGetSecretValue API reference.
        await authorizer.authorize(authzSubjectOf(ctx), [{ action: 'secretsmanager:ListSecrets', resource: '*' }]);
        const listed = (await secrets.list(ctx.accountId, ctx.region)).filter((s) => s.deletedDate === undefined && matchesFilters(s, i.Filters!));
        const p = pageOf(listed, i.MaxResults ?? 20, i.NextToken);
        ids = p.slice.map((s) => s.arn);
        next = p.next;
      }
      const values: T.SecretValueEntry[] = [];
      const errors: T.APIErrorType[] = [];
      for (const id of ids) {
        try {
          const s = await secretFor(ctx, 'GetSecretValue', id);
          const out = await secrets.getValue(s, {}, caller(ctx));
          values.push(secretValueOf(s, out));
        } catch (e) {
          const err = e instanceof SecretsError ? toSecretsManagerError(e) : e instanceof AccessDeniedError ? new AwsError('AccessDeniedException', e.message) : e;
          if (!(err instanceof AwsError)) throw e;
          errors.push({ SecretId: id, ErrorCode: err.code, Message: err.message });
        }
      }
      return { SecretValues: values, ...(next !== undefined ? { NextToken: next } : {}), Errors: errors };
    },

    DeleteSecret: async (ctx: RequestContext, i: T.DeleteSecretRequest): Promise<T.DeleteSecretResponse> => {
      const s = await secretFor(ctx, 'DeleteSecret', i.SecretId);
      const date = await secrets.scheduleDeletion(s, {
        ...(i.RecoveryWindowInDays !== undefined ? { recoveryWindowInDays: i.RecoveryWindowInDays } : {}),
        ...(i.ForceDeleteWithoutRecovery !== undefined ? { force: i.ForceDeleteWithoutRecovery } : {}),
      });
      return { ARN: s.arn, Name: s.name, DeletionDate: date };
    },

    RestoreSecret: async (ctx: RequestContext, i: T.RestoreSecretRequest): Promise<T.RestoreSecretResponse> => {
      const s = await secretFor(ctx, 'RestoreSecret', i.SecretId);
      await secrets.restore(s);
      return { ARN: s.arn, Name: s.name };
    },

    TagResource: async (ctx: RequestContext, i: T.TagResourceRequest): Promise<Record<string, never>> => {
      const tags = toTags(i.Tags) ?? [];
      const s = await secretFor(ctx, 'TagResource', i.SecretId, tagContext(tags));
      await secrets.tag(s, tags);
      return {};
    },

    UntagResource: async (ctx: RequestContext, i: T.UntagResourceRequest): Promise<Record<string, never>> => {
      const s = await secretFor(ctx, 'UntagResource', i.SecretId, { 'aws:TagKeys': i.TagKeys });
      await secrets.untag(s, i.TagKeys);
      return {};
    },

    /** Resource policies are not emulated: every secret has none (what Terraform reads). */
    GetResourcePolicy: async (ctx: RequestContext, i: T.GetResourcePolicyRequest): Promise<T.GetResourcePolicyResponse> => {
      const s = await secretFor(ctx, 'GetResourcePolicy', i.SecretId);
      // A secret marked for deletion refuses it too — hashicorp/terraform-provider-aws#23998.
      secrets.requireLive(s);
      return { ARN: s.arn, Name: s.name };
    },

    DeleteResourcePolicy: async (ctx: RequestContext, i: T.DeleteResourcePolicyRequest): Promise<T.DeleteResourcePolicyResponse> => {
      const s = await secretFor(ctx, 'DeleteResourcePolicy', i.SecretId);
      secrets.requireLive(s);
      return { ARN: s.arn, Name: s.name };
    },

    GetRandomPassword: async (_ctx: RequestContext, i: T.GetRandomPasswordRequest): Promise<T.GetRandomPasswordResponse> => {
      const exclude = new Set(i.ExcludeCharacters ?? '');
      const classes = [
        i.ExcludeLowercase ? '' : 'abcdefghijklmnopqrstuvwxyz',
        i.ExcludeUppercase ? '' : 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
        i.ExcludeNumbers ? '' : '0123456789',
        i.ExcludePunctuation ? '' : PUNCTUATION,
        i.IncludeSpace ? ' ' : '',
      ]
        .map((c) => [...c].filter((x) => !exclude.has(x)).join(''))
        .filter((c) => c.length > 0);
      if (classes.length === 0) throw new InvalidParameterException(m.noCharacters);
      const length = i.PasswordLength ?? 32;
      const requireEach = i.RequireEachIncludedType ?? true;
      const alphabet = classes.join('');
      const pick = (chars: string) => chars[secrets.random(4).readUInt32BE(0) % chars.length]!;
      for (;;) {
        const password = Array.from({ length }, () => pick(alphabet)).join('');
        if (!requireEach || length < classes.length || classes.every((c) => [...password].some((x) => c.includes(x)))) {
          return { RandomPassword: password };
        }
      }
    },
  } satisfies Partial<Handlers<SecretsManagerOperations>>;

  const wrapped: Record<string, Handler<never, unknown>> = {};
  for (const [name, fn] of Object.entries(handlers)) {
    wrapped[name] = withSecretsErrors(fn as (ctx: RequestContext, input: never) => Promise<unknown>);
  }
  return { signingName: 'secretsmanager', protocol: 'json', model: secretsmanagerModel, handlers: wrapped, authorization: secretsManagerAuthorization };
}
