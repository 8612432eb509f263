import type { Clock } from '../clock.js';
import type { Ids } from '../ids.js';
import type { MetaStore, TagRecord } from '../store/meta/meta-store.js';
import { AccessDeniedError, type AuthzSubject, type PolicyAuthorizer } from './authorize.js';
import type { IamDirectory } from './directory.js';
import { IamError } from './errors.js';
import type { ContextValue } from './evaluate.js';
import { assumedRoleArn } from './principal.js';

/**
 * STS sessions: AssumeRole checks the caller against the role's trust policy (and, across
 * accounts, the caller's own identity policies), then issues temporary `ASIA…` credentials that
 * belong to the role's account and stop working at their expiration (SigV4 verification answers
 * ExpiredToken after it).
 */

export interface AssumeRoleInput {
  roleArn: string;
  roleSessionName: string;
  durationSeconds?: number;
  externalId?: string;
  policy?: string;
  policyArns?: string[];
  tags?: TagRecord[];
  sourceIdentity?: string;
}

export interface IssuedSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
  assumedRoleId: string;
  arn: string;
  packedPolicySize?: number;
  sourceIdentity?: string;
}

export class StsError extends Error {
  constructor(
    readonly kind: 'Validation' | 'MalformedPolicyDocument' | 'PackedPolicyTooLarge',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Texts — sources: STS API reference (AssumeRole errors) and CLI transcripts quoted in public
 * issues ("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
 * "Roles may not be assumed by root accounts.", "The requested DurationSeconds exceeds the 1 hour
 * session limit for roles assumed by role chaining.").
 */
const texts = {
  rootCannotAssume: 'Roles may not be assumed by root accounts.',
  durationAboveRole: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
  durationChained: 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
  packedTooLarge: (pct: number) =>
    `Packed size of consumed policies and session tags exceeds 2048 characters limit. Reduce the size by ${pct - 100}%.`,
} as const;

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role(\/(?:[^/]+\/)*)([^/]+)$/;

export class StsSessions {
  constructor(
    private readonly meta: MetaStore,
    private readonly directory: IamDirectory,
    private readonly authorizer: PolicyAuthorizer,
    private readonly ids: Ids,
    private readonly clock: Clock,
  ) {}

  async assumeRole(subject: AuthzSubject, input: AssumeRoleInput): Promise<IssuedSession> {
    const caller = subject.principal;
    if (caller.kind === 'root') {
      throw new AccessDeniedError(texts.rootCannotAssume, 'sts:AssumeRole', input.roleArn);
    }
    const duration = input.durationSeconds ?? 3600;
    if (input.policy !== undefined) {
      try {
        this.directory.validateIdentityDocument(input.policy, 'session');
      } catch (e) {
        if (e instanceof IamError) throw new StsError('MalformedPolicyDocument', e.message);
        throw e;
      }
    }
    const m = ROLE_ARN.exec(input.roleArn);
    const role = m ? await this.directory.findRole(m[1]!, m[3]!) : undefined;
    // A role that does not exist (or whose path differs) is refused exactly like an untrusting one.
    const found = role && m && role.path === m[2] ? role : undefined;
    const context: Record<string, ContextValue> = { 'sts:RoleSessionName': input.roleSessionName };
    if (input.externalId !== undefined) context['sts:ExternalId'] = input.externalId;
    if (input.sourceIdentity !== undefined) context['sts:SourceIdentity'] = input.sourceIdentity;
    if (input.tags && input.tags.length > 0) {
      context['aws:TagKeys'] = input.tags.map((t) => t.Key);
      for (const t of input.tags) context[`aws:RequestTag/${t.Key}`] = t.Value;
    }
    const target = { arn: input.roleArn, accountId: m?.[1] ?? caller.accountId, trustPolicy: found?.assumeRolePolicyDocument };
    await this.authorizer.authorizeAssumeRole(subject, target, context);
    // Session tags need sts:TagSession in the trust policy too — source: IAM User Guide, "Passing session tags in STS".
    if (input.tags && input.tags.length > 0) {
      await this.authorizer.authorizeAssumeRole(subject, target, context, 'sts:TagSession');
    }
    if (!found) throw new Error('unreachable: an unknown role cannot be trusted');
    if (duration > found.maxSessionDuration) throw new StsError('Validation', texts.durationAboveRole);
    if (caller.kind === 'assumed-role' && duration > 3600) throw new StsError('Validation', texts.durationChained);

    const packed = packedSize(input);
    if (packed !== undefined && packed > 100) throw new StsError('PackedPolicyTooLarge', texts.packedTooLarge(packed));

    const now = this.clock.now();
    // Whole seconds, as STS prints them.
    const expiration = new Date(Math.floor(now.getTime() / 1000) * 1000 + duration * 1000);
    const accessKeyId = this.ids.accessKeyId('ASIA');
    const secretAccessKey = this.ids.secretAccessKey();
    // Real tokens are opaque base64 blobs several hundred characters long; clients only echo them.
    const sessionToken = `IQoJb3JpZ2luX2VjE${this.ids.bytes(192).toString('base64')}`;
    const sessionTags = input.tags && input.tags.length > 0 ? Object.fromEntries(input.tags.map((t) => [t.Key, t.Value])) : undefined;
    await this.meta.accessKeys.put({
      accessKeyId,
      accountId: found.accountId,
      secretAccessKey,
      sessionToken,
      status: 'Active',
      createdAt: now,
      expiresAt: expiration,
      owner: {
        kind: 'assumed-role',
        roleName: found.name,
        sessionName: input.roleSessionName,
        roleId: found.id,
        rolePath: found.path,
        ...(input.policy !== undefined ? { sessionPolicy: input.policy } : {}),
        ...(input.policyArns && input.policyArns.length > 0 ? { sessionPolicyArns: input.policyArns } : {}),
        ...(sessionTags ? { sessionTags } : {}),
      },
    });
    return {
      accessKeyId,
      secretAccessKey,
      sessionToken,
      expiration,
      assumedRoleId: `${found.id}:${input.roleSessionName}`,
      arn: assumedRoleArn(found.accountId, found.name, input.roleSessionName),
      ...(packed !== undefined ? { packedPolicySize: packed } : {}),
      ...(input.sourceIdentity !== undefined ? { sourceIdentity: input.sourceIdentity } : {}),
    };
  }
}

/**
 * PackedPolicySize: the percentage of STS's packed limit that the session policies and tags use.
 * AWS compresses them with an undocumented format; this counts their characters (whitespace
 * excluded) against 2048, which is what the limit is stated in — an approximation.
 */
function packedSize(input: AssumeRoleInput): number | undefined {
  if (input.policy === undefined && !input.policyArns?.length && !input.tags?.length) return undefined;
  let chars = (input.policy ?? '').replace(/\s+/g, '').length;
  for (const arn of input.policyArns ?? []) chars += arn.length;
  for (const t of input.tags ?? []) chars += t.Key.length + t.Value.length;
  return Math.max(1, Math.ceil((chars / 2048) * 100));
}

