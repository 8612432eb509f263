import type { RequestContext } from '../../aws/context.js';
import type { HolderKind } from '../../iam/directory.js';
import type {
  AttachGroupPolicyRequest,
  AttachRolePolicyRequest,
  AttachUserPolicyRequest,
  CreatePolicyRequest,
  CreatePolicyResponse,
  CreatePolicyVersionRequest,
  CreatePolicyVersionResponse,
  DeleteGroupPolicyRequest,
  DeletePolicyRequest,
  DeletePolicyVersionRequest,
  DeleteRolePolicyRequest,
  DeleteUserPolicyRequest,
  DetachGroupPolicyRequest,
  DetachRolePolicyRequest,
  DetachUserPolicyRequest,
  GetGroupPolicyRequest,
  GetGroupPolicyResponse,
  GetPolicyRequest,
  GetPolicyResponse,
  GetPolicyVersionRequest,
  GetPolicyVersionResponse,
  GetRolePolicyRequest,
  GetRolePolicyResponse,
  GetUserPolicyRequest,
  GetUserPolicyResponse,
  ListAttachedGroupPoliciesRequest,
  ListAttachedGroupPoliciesResponse,
  ListAttachedRolePoliciesRequest,
  ListAttachedRolePoliciesResponse,
  ListAttachedUserPoliciesRequest,
  ListAttachedUserPoliciesResponse,
  ListEntitiesForPolicyRequest,
  ListEntitiesForPolicyResponse,
  ListGroupPoliciesRequest,
  ListGroupPoliciesResponse,
  ListPoliciesRequest,
  ListPoliciesResponse,
  ListPolicyTagsRequest,
  ListPolicyTagsResponse,
  ListPolicyVersionsRequest,
  ListPolicyVersionsResponse,
  ListRolePoliciesRequest,
  ListRolePoliciesResponse,
  ListUserPoliciesRequest,
  ListUserPoliciesResponse,
  PutGroupPolicyRequest,
  PutRolePolicyRequest,
  PutUserPolicyRequest,
  SetDefaultPolicyVersionRequest,
  TagPolicyRequest,
  UntagPolicyRequest,
} from '../../model/iam/types.js';
import type { IamDeps } from './deps.js';
import { encodeDocument, paginate, policyView, versionView } from './views.js';

type Empty = Record<string, never>;
const EMPTY: Empty = {};

/** Inline-policy and attachment handlers, the same for users, roles and groups. */
function holderOps({ directory }: IamDeps, kind: HolderKind) {
  return {
    put: async (ctx: RequestContext, holder: string, policyName: string, document: string): Promise<Empty> => {
      await directory.putInlinePolicy(kind, ctx.accountId, holder, policyName, document);
      return EMPTY;
    },
    get: async (ctx: RequestContext, holder: string, policyName: string) => {
      const found = await directory.getInlinePolicy(kind, ctx.accountId, holder, policyName);
      return { holder: found.holderName, PolicyName: policyName, PolicyDocument: encodeDocument(found.document) };
    },
    list: async (ctx: RequestContext, holder: string, page: { Marker?: string; MaxItems?: number }) => {
      const { page: names, ...more } = paginate(await directory.listInlinePolicies(kind, ctx.accountId, holder), page);
      return { PolicyNames: names, ...more };
    },
    remove: async (ctx: RequestContext, holder: string, policyName: string): Promise<Empty> => {
      await directory.deleteInlinePolicy(kind, ctx.accountId, holder, policyName);
      return EMPTY;
    },
    attach: async (ctx: RequestContext, holder: string, arn: string): Promise<Empty> => {
      await directory.attachPolicy(kind, ctx.accountId, holder, arn);
      return EMPTY;
    },
    detach: async (ctx: RequestContext, holder: string, arn: string): Promise<Empty> => {
      await directory.detachPolicy(kind, ctx.accountId, holder, arn);
      return EMPTY;
    },
    listAttached: async (ctx: RequestContext, holder: string, i: { PathPrefix?: string; Marker?: string; MaxItems?: number }) => {
      const { page, ...more } = paginate(await directory.listAttached(kind, ctx.accountId, holder, i.PathPrefix), i);
      return { AttachedPolicies: page.map((p) => ({ PolicyName: p.policyName, PolicyArn: p.policyArn })), ...more };
    },
  };
}

export function policyHandlers(deps: IamDeps) {
  const { directory } = deps;
  const user = holderOps(deps, 'user');
  const role = holderOps(deps, 'role');
  const group = holderOps(deps, 'group');
  return {
    // Managed policies

    CreatePolicy: async (ctx: RequestContext, i: CreatePolicyRequest): Promise<CreatePolicyResponse> => {
      const view = await directory.createPolicy(ctx.accountId, {
        policyName: i.PolicyName,
        document: i.PolicyDocument,
        ...(i.Path !== undefined ? { path: i.Path } : {}),
        ...(i.Description !== undefined ? { description: i.Description } : {}),
        ...(i.Tags !== undefined ? { tags: i.Tags } : {}),
      });
      // CreatePolicy's answer leaves out the description — source: IAM API reference example.
      const { Description: _omitted, ...policy } = policyView(view, true);
      return { Policy: policy };
    },

    GetPolicy: async (ctx: RequestContext, i: GetPolicyRequest): Promise<GetPolicyResponse> => ({
      Policy: policyView(await directory.getPolicy(ctx.accountId, i.PolicyArn), true),
    }),

    ListPolicies: async (ctx: RequestContext, i: ListPoliciesRequest): Promise<ListPoliciesResponse> => {
      const views = await directory.listPolicies(ctx.accountId, {
        ...(i.Scope !== undefined ? { scope: i.Scope } : {}),
        ...(i.OnlyAttached !== undefined ? { onlyAttached: i.OnlyAttached } : {}),
        ...(i.PathPrefix !== undefined ? { pathPrefix: i.PathPrefix } : {}),
        ...(i.PolicyUsageFilter !== undefined ? { usage: i.PolicyUsageFilter } : {}),
      });
      const { page, ...more } = paginate(views, i);
      // ListPolicies shows neither descriptions nor tags — source: IAM API reference, ListPolicies.
      return { Policies: page.map((v) => ({ ...policyView({ ...v, tags: [] }, false), Description: undefined })), ...more };
    },

    DeletePolicy: async (ctx: RequestContext, i: DeletePolicyRequest): Promise<Empty> => {
      await directory.deletePolicy(ctx.accountId, i.PolicyArn);
      return EMPTY;
    },

    CreatePolicyVersion: async (ctx: RequestContext, i: CreatePolicyVersionRequest): Promise<CreatePolicyVersionResponse> => {
      const v = await directory.createPolicyVersion(ctx.accountId, i.PolicyArn, i.PolicyDocument, i.SetAsDefault ?? false);
      return { PolicyVersion: versionView(v, false) };
    },

    GetPolicyVersion: async (ctx: RequestContext, i: GetPolicyVersionRequest): Promise<GetPolicyVersionResponse> => ({
      PolicyVersion: versionView(await directory.getPolicyVersion(ctx.accountId, i.PolicyArn, i.VersionId), true),
    }),

    ListPolicyVersions: async (ctx: RequestContext, i: ListPolicyVersionsRequest): Promise<ListPolicyVersionsResponse> => {
      const { page, ...more } = paginate(await directory.listPolicyVersions(ctx.accountId, i.PolicyArn), i);
      return { Versions: page.map((v) => versionView(v, false)), ...more };
    },

    DeletePolicyVersion: async (ctx: RequestContext, i: DeletePolicyVersionRequest): Promise<Empty> => {
      await directory.deletePolicyVersion(ctx.accountId, i.PolicyArn, i.VersionId);
      return EMPTY;
    },

    SetDefaultPolicyVersion: async (ctx: RequestContext, i: SetDefaultPolicyVersionRequest): Promise<Empty> => {
      await directory.setDefaultPolicyVersion(ctx.accountId, i.PolicyArn, i.VersionId);
      return EMPTY;
    },

    TagPolicy: async (ctx: RequestContext, i: TagPolicyRequest): Promise<Empty> => {
      await directory.tagPolicy(ctx.accountId, i.PolicyArn, i.Tags);
      return EMPTY;
    },

    UntagPolicy: async (ctx: RequestContext, i: UntagPolicyRequest): Promise<Empty> => {
      await directory.untagPolicy(ctx.accountId, i.PolicyArn, i.TagKeys);
      return EMPTY;
    },

    ListPolicyTags: async (ctx: RequestContext, i: ListPolicyTagsRequest): Promise<ListPolicyTagsResponse> => {
      const { page, ...more } = paginate((await directory.getPolicy(ctx.accountId, i.PolicyArn)).tags, i);
      return { Tags: page, ...more };
    },

    ListEntitiesForPolicy: async (ctx: RequestContext, i: ListEntitiesForPolicyRequest): Promise<ListEntitiesForPolicyResponse> => {
      const found = await directory.entitiesForPolicy(ctx.accountId, i.PolicyArn);
      const prefix = i.PathPrefix ?? '/';
      const want = (t: string) => i.EntityFilter === undefined || i.EntityFilter === t;
      return {
        PolicyGroups: want('Group') ? found.groups.filter((g) => g.path.startsWith(prefix)).map((g) => ({ GroupName: g.name, GroupId: g.id })) : [],
        PolicyUsers: want('User') ? found.users.filter((u) => u.path.startsWith(prefix)).map((u) => ({ UserName: u.name, UserId: u.id })) : [],
        PolicyRoles: want('Role') ? found.roles.filter((r) => r.path.startsWith(prefix)).map((r) => ({ RoleName: r.name, RoleId: r.id })) : [],
        IsTruncated: false,
      };
    },

    // Inline policies

    PutUserPolicy: (ctx: RequestContext, i: PutUserPolicyRequest) => user.put(ctx, i.UserName, i.PolicyName, i.PolicyDocument),
    GetUserPolicy: async (ctx: RequestContext, i: GetUserPolicyRequest): Promise<GetUserPolicyResponse> => {
      const { holder, ...rest } = await user.get(ctx, i.UserName, i.PolicyName);
      return { UserName: holder, ...rest };
    },
    ListUserPolicies: (ctx: RequestContext, i: ListUserPoliciesRequest): Promise<ListUserPoliciesResponse> => user.list(ctx, i.UserName, i),
    DeleteUserPolicy: (ctx: RequestContext, i: DeleteUserPolicyRequest) => user.remove(ctx, i.UserName, i.PolicyName),

    PutRolePolicy: (ctx: RequestContext, i: PutRolePolicyRequest) => role.put(ctx, i.RoleName, i.PolicyName, i.PolicyDocument),
    GetRolePolicy: async (ctx: RequestContext, i: GetRolePolicyRequest): Promise<GetRolePolicyResponse> => {
      const { holder, ...rest } = await role.get(ctx, i.RoleName, i.PolicyName);
      return { RoleName: holder, ...rest };
    },
    ListRolePolicies: (ctx: RequestContext, i: ListRolePoliciesRequest): Promise<ListRolePoliciesResponse> => role.list(ctx, i.RoleName, i),
    DeleteRolePolicy: (ctx: RequestContext, i: DeleteRolePolicyRequest) => role.remove(ctx, i.RoleName, i.PolicyName),

    PutGroupPolicy: (ctx: RequestContext, i: PutGroupPolicyRequest) => group.put(ctx, i.GroupName, i.PolicyName, i.PolicyDocument),
    GetGroupPolicy: async (ctx: RequestContext, i: GetGroupPolicyRequest): Promise<GetGroupPolicyResponse> => {
      const { holder, ...rest } = await group.get(ctx, i.GroupName, i.PolicyName);
      return { GroupName: holder, ...rest };
    },
    ListGroupPolicies: (ctx: RequestContext, i: ListGroupPoliciesRequest): Promise<ListGroupPoliciesResponse> => group.list(ctx, i.GroupName, i),
    DeleteGroupPolicy: (ctx: RequestContext, i: DeleteGroupPolicyRequest) => group.remove(ctx, i.GroupName, i.PolicyName),

    // Attachments

    AttachUserPolicy: (ctx: RequestContext, i: AttachUserPolicyRequest) => user.attach(ctx, i.UserName, i.PolicyArn),
    DetachUserPolicy: (ctx: RequestContext, i: DetachUserPolicyRequest) => user.detach(ctx, i.UserName, i.PolicyArn),
    ListAttachedUserPolicies: (ctx: RequestContext, i: ListAttachedUserPoliciesRequest): Promise<ListAttachedUserPoliciesResponse> =>
      user.listAttached(ctx, i.UserName, i),
    AttachRolePolicy: (ctx: RequestContext, i: AttachRolePolicyRequest) => role.attach(ctx, i.RoleName, i.PolicyArn),
    DetachRolePolicy: (ctx: RequestContext, i: DetachRolePolicyRequest) => role.detach(ctx, i.RoleName, i.PolicyArn),
    ListAttachedRolePolicies: (ctx: RequestContext, i: ListAttachedRolePoliciesRequest): Promise<ListAttachedRolePoliciesResponse> =>
      role.listAttached(ctx, i.RoleName, i),
    AttachGroupPolicy: (ctx: RequestContext, i: AttachGroupPolicyRequest) => group.attach(ctx, i.GroupName, i.PolicyArn),
    DetachGroupPolicy: (ctx: RequestContext, i: DetachGroupPolicyRequest) => group.detach(ctx, i.GroupName, i.PolicyArn),
    ListAttachedGroupPolicies: (ctx: RequestContext, i: ListAttachedGroupPoliciesRequest): Promise<ListAttachedGroupPoliciesResponse> =>
      group.listAttached(ctx, i.GroupName, i),
  };
}
