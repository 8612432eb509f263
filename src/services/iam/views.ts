import type { ManagedPolicyView, PolicyVersionView } from '../../iam/directory.js';
import { groupArnOf } from '../../iam/directory.js';
import { roleArn, userArn } from '../../iam/principal.js';
import { InvalidInputException } from '../../model/iam/errors.js';
import type { Group, Policy, PolicyVersion, Role, Tag, User } from '../../model/iam/types.js';
import type { IamGroupRecord, IamRoleRecord, IamUserRecord } from '../../store/meta/meta-store.js';

/**
 * IAM returns policy documents URL-encoded (RFC 3986) in every response — source: IAM API
 * reference, GetRolePolicy/GetPolicyVersion ("The policy document returned in this structure is
 * URL-encoded compliant with RFC 3986"); botocore's `json_decode_policies` handler and Terraform
 * decode it again.
 */
export const encodeDocument = (text: string): string => encodeURIComponent(text);

const boundaryOf = (arn: string | undefined) =>
  arn === undefined ? {} : { PermissionsBoundary: { PermissionsBoundaryType: 'PermissionsBoundaryPolicy' as const, PermissionsBoundaryArn: arn } };

const tagsOf = (tags: readonly Tag[]) => (tags.length > 0 ? { Tags: [...tags] } : {});

/** GetUser/CreateUser show tags and the boundary; ListUsers shows neither — as IAM does. */
export function userView(u: IamUserRecord, full: boolean): User {
  return {
    Path: u.path,
    UserName: u.name,
    UserId: u.id,
    Arn: userArn(u.accountId, u.path, u.name),
    CreateDate: u.createdAt,
    ...(full ? { ...boundaryOf(u.permissionsBoundary), ...tagsOf(u.tags) } : {}),
  };
}

export function roleView(r: IamRoleRecord, full: boolean): Role {
  return {
    Path: r.path,
    RoleName: r.name,
    RoleId: r.id,
    Arn: roleArn(r.accountId, r.path, r.name),
    CreateDate: r.createdAt,
    AssumeRolePolicyDocument: encodeDocument(r.assumeRolePolicyDocument),
    ...(r.description !== undefined ? { Description: r.description } : {}),
    MaxSessionDuration: r.maxSessionDuration,
    ...(full ? { ...boundaryOf(r.permissionsBoundary), ...tagsOf(r.tags), RoleLastUsed: {} } : {}),
  };
}

export function groupView(g: IamGroupRecord): Group {
  return { Path: g.path, GroupName: g.name, GroupId: g.id, Arn: groupArnOf(g.accountId, g.path, g.name), CreateDate: g.createdAt };
}

export function policyView(p: ManagedPolicyView, withTags: boolean): Policy {
  return {
    PolicyName: p.policyName,
    PolicyId: p.policyId,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: p.defaultVersionId,
    AttachmentCount: p.attachmentCount,
    PermissionsBoundaryUsageCount: p.permissionsBoundaryUsageCount,
    IsAttachable: p.isAttachable,
    ...(p.description !== undefined ? { Description: p.description } : {}),
    CreateDate: p.createDate,
    UpdateDate: p.updateDate,
    ...(withTags ? tagsOf(p.tags) : {}),
  };
}

export function versionView(v: PolicyVersionView, withDocument: boolean): PolicyVersion {
  return {
    ...(withDocument ? { Document: encodeDocument(v.document) } : {}),
    VersionId: v.versionId,
    IsDefaultVersion: v.isDefaultVersion,
    CreateDate: v.createDate,
  };
}

/**
 * IsTruncated/Marker pagination (IAM's default page is 100 items). The marker is an opaque
 * offset; a marker we did not issue is refused as IAM refuses it.
 */
export function paginate<T>(items: readonly T[], input: { Marker?: string; MaxItems?: number }): { page: T[]; IsTruncated: boolean; Marker?: string } {
  let start = 0;
  if (input.Marker !== undefined) {
    const n = Number(Buffer.from(input.Marker, 'base64url').toString('utf8'));
    if (!Number.isInteger(n) || n < 0) throw new InvalidInputException('Invalid Marker.');
    start = n;
  }
  const max = input.MaxItems ?? 100;
  const page = items.slice(start, start + max);
  const next = start + page.length;
  return next < items.length
    ? { page, IsTruncated: true, Marker: Buffer.from(String(next), 'utf8').toString('base64url') }
    : { page, IsTruncated: false };
}
