import type { RequestContext } from '../../aws/context.js';
import type { AwsService, Handler, Handlers } from '../../aws/service.js';
import type { AuthzRequest } from '../../iam/authorize.js';
import { iamModel } from '../../model/iam/index.js';
import type { IamOperations } from '../../model/iam/operations.js';
import type { IamDeps } from './deps.js';
import { withIamErrors } from './map-errors.js';
import { policyHandlers } from './policies.js';
import { roleHandlers } from './roles.js';
import { userHandlers } from './users.js';

interface IamInput {
  UserName?: string;
  RoleName?: string;
  GroupName?: string;
  PolicyArn?: string;
  PolicyName?: string;
  Path?: string;
  PathPrefix?: string;
  PermissionsBoundary?: string;
  Tags?: { Key: string; Value: string }[];
  TagKeys?: string[];
}

/** The list operations whose resource is "every entity of a kind under a path". */
const LISTS: Readonly<Record<string, string>> = {
  ListUsers: 'user',
  ListRoles: 'role',
  ListGroups: 'group',
  ListPolicies: 'policy',
};

/**
 * The IAM action and resource of an IAM operation — source: the service authorization reference
 * for IAM (resource types user, role, group, policy; iam:PolicyARN on attachments,
 * iam:PermissionsBoundary on boundaries; aws:RequestTag/aws:TagKeys on tagging). Entity ARNs are
 * built with the path given in the request (or `/`): the path of an existing entity is not known
 * before the handler runs.
 */
export function iamAuthorization(operation: string, input: unknown, ctx: RequestContext): AuthzRequest[] {
  const i = input as IamInput;
  const account = ctx.accountId;
  const action = `iam:${operation}`;
  const context: Record<string, string | string[]> = {};
  if (i.Tags) {
    context['aws:TagKeys'] = i.Tags.map((t) => t.Key);
    for (const t of i.Tags) context[`aws:RequestTag/${t.Key}`] = t.Value;
  } else if (i.TagKeys) {
    context['aws:TagKeys'] = i.TagKeys;
  }
  if (i.PermissionsBoundary !== undefined) context['iam:PermissionsBoundary'] = i.PermissionsBoundary;
  if (i.PolicyArn !== undefined && /^(Attach|Detach)/.test(operation)) context['iam:PolicyARN'] = i.PolicyArn;
  const path = i.Path ?? '/';
  let resource: string;
  const listKind = LISTS[operation];
  if (listKind !== undefined) resource = `arn:aws:iam::${account}:${listKind}${i.PathPrefix ?? '/'}*`;
  else if (i.UserName !== undefined) resource = `arn:aws:iam::${account}:user${path}${i.UserName}`;
  else if (i.RoleName !== undefined) resource = `arn:aws:iam::${account}:role${path}${i.RoleName}`;
  else if (i.GroupName !== undefined) resource = `arn:aws:iam::${account}:group${path}${i.GroupName}`;
  else if (i.PolicyArn !== undefined) resource = i.PolicyArn;
  else if (operation === 'CreatePolicy' && i.PolicyName !== undefined) resource = `arn:aws:iam::${account}:policy${path}${i.PolicyName}`;
  else if (/AccessKey|^GetUser$|MFADevices|LoginProfile/.test(operation)) resource = ctx.principal.kind === 'user' ? ctx.principal.arn : `arn:aws:iam::${account}:root`;
  else resource = '*';
  return [{ action, resource, context }];
}

export function iamService(deps: IamDeps): AwsService {
  const handlers = {
    ...userHandlers(deps),
    ...roleHandlers(deps),
    ...policyHandlers(deps),
  } satisfies Partial<Handlers<IamOperations>>;
  const wrapped: Record<string, Handler<never, unknown>> = {};
  for (const [name, fn] of Object.entries(handlers)) {
    wrapped[name] = withIamErrors(fn as (ctx: RequestContext, input: never) => Promise<unknown>);
  }
  return { signingName: 'iam', protocol: 'query', model: iamModel, handlers: wrapped, authorization: iamAuthorization };
}
