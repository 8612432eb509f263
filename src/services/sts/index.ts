import { type RequestContext, authzSubjectOf } from '../../aws/context.js';
import { AwsError } from '../../aws/errors.js';
import type { AwsService, Handler, Handlers } from '../../aws/service.js';
import type { AuthzRequest } from '../../iam/authorize.js';
import { StsError, type StsSessions } from '../../iam/sessions.js';
import { MalformedPolicyDocumentException, PackedPolicyTooLargeException } from '../../model/sts/errors.js';
import { stsModel } from '../../model/sts/index.js';
import type { StsOperations } from '../../model/sts/operations.js';
import type {
  AssumeRoleRequest,
  AssumeRoleResponse,
  GetAccessKeyInfoRequest,
  GetAccessKeyInfoResponse,
  GetCallerIdentityRequest,
  GetCallerIdentityResponse,
} from '../../model/sts/types.js';
import type { MetaStore } from '../../store/meta/meta-store.js';

export interface StsDeps {
  sessions: StsSessions;
  meta: MetaStore;
}

function toStsError(e: StsError): AwsError {
  switch (e.kind) {
    case 'Validation':
      return new AwsError('ValidationError', e.message, 400);
    case 'MalformedPolicyDocument':
      return new MalformedPolicyDocumentException(e.message);
    case 'PackedPolicyTooLarge':
      return new PackedPolicyTooLargeException(e.message);
  }
}

/**
 * GetCallerIdentity needs no permission: "No permissions are required to perform this operation.
 * If an administrator attaches a policy to your identity that explicitly denies access to the
 * sts:GetCallerIdentity action, you can still perform this operation" — source: STS API reference.
 * AssumeRole is authorized inside its handler, against the role's trust policy.
 */
export function stsAuthorization(operation: string, input: unknown): AuthzRequest[] {
  if (operation === 'GetAccessKeyInfo') return [{ action: 'sts:GetAccessKeyInfo', resource: '*' }];
  void input;
  return [];
}

export function stsService(deps: StsDeps): AwsService {
  const handlers = {
    GetCallerIdentity: async (ctx: RequestContext, _i: GetCallerIdentityRequest): Promise<GetCallerIdentityResponse> => ({
      UserId: ctx.principal.userId,
      Account: ctx.principal.accountId,
      Arn: ctx.principal.arn,
    }),

    AssumeRole: async (ctx: RequestContext, i: AssumeRoleRequest): Promise<AssumeRoleResponse> => {
      try {
        const s = await deps.sessions.assumeRole(
          authzSubjectOf(ctx),
          {
            roleArn: i.RoleArn,
            roleSessionName: i.RoleSessionName,
            ...(i.DurationSeconds !== undefined ? { durationSeconds: i.DurationSeconds } : {}),
            ...(i.ExternalId !== undefined ? { externalId: i.ExternalId } : {}),
            ...(i.Policy !== undefined ? { policy: i.Policy } : {}),
            ...(i.PolicyArns !== undefined ? { policyArns: i.PolicyArns.flatMap((p) => (p.arn ? [p.arn] : [])) } : {}),
            ...(i.Tags !== undefined ? { tags: i.Tags } : {}),
            ...(i.SourceIdentity !== undefined ? { sourceIdentity: i.SourceIdentity } : {}),
          },
        );
        return {
          Credentials: { AccessKeyId: s.accessKeyId, SecretAccessKey: s.secretAccessKey, SessionToken: s.sessionToken, Expiration: s.expiration },
          AssumedRoleUser: { AssumedRoleId: s.assumedRoleId, Arn: s.arn },
          ...(s.packedPolicySize !== undefined ? { PackedPolicySize: s.packedPolicySize } : {}),
          ...(s.sourceIdentity !== undefined ? { SourceIdentity: s.sourceIdentity } : {}),
        };
      } catch (e) {
        throw e instanceof StsError ? toStsError(e) : e;
      }
    },

    GetAccessKeyInfo: async (_ctx: RequestContext, i: GetAccessKeyInfoRequest): Promise<GetAccessKeyInfoResponse> => {
      const key = await deps.meta.accessKeys.get(i.AccessKeyId);
      // An unknown key still answers with an account in AWS (it is encoded in the key id); ours are random, so none.
      return key ? { Account: key.accountId } : {};
    },
  } satisfies Partial<Handlers<StsOperations>>;
  return {
    signingName: 'sts',
    protocol: 'query',
    model: stsModel,
    handlers: handlers as Record<string, Handler<never, unknown>>,
    authorization: stsAuthorization,
  };
}
