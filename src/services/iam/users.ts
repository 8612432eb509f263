import type { RequestContext } from '../../aws/context.js';
import { AwsError } from '../../aws/errors.js';
import type {
  AddUserToGroupRequest,
  CreateAccessKeyRequest,
  CreateAccessKeyResponse,
  CreateGroupRequest,
  CreateGroupResponse,
  CreateUserRequest,
  CreateUserResponse,
  DeleteAccessKeyRequest,
  DeleteGroupRequest,
  DeleteUserPermissionsBoundaryRequest,
  DeleteUserRequest,
  GetGroupRequest,
  GetGroupResponse,
  GetLoginProfileRequest,
  GetLoginProfileResponse,
  GetUserRequest,
  GetUserResponse,
  ListAccessKeysRequest,
  ListAccessKeysResponse,
  ListGroupsForUserRequest,
  ListGroupsForUserResponse,
  ListGroupsRequest,
  ListGroupsResponse,
  ListMFADevicesRequest,
  ListMFADevicesResponse,
  ListUserTagsRequest,
  ListUserTagsResponse,
  ListUsersRequest,
  ListUsersResponse,
  PutUserPermissionsBoundaryRequest,
  RemoveUserFromGroupRequest,
  TagUserRequest,
  UntagUserRequest,
  UpdateAccessKeyRequest,
} from '../../model/iam/types.js';
import { NoSuchEntityException } from '../../model/iam/errors.js';
import type { IamDeps } from './deps.js';
import { groupView, paginate, userView } from './views.js';

type Empty = Record<string, never>;
const EMPTY: Empty = {};

/**
 * The user an operation with an optional UserName addresses: the named one, else the caller
 * itself — an IAM user, or (for access keys) the account root. A role session must name a user:
 * "Must specify userName when calling with non-User credentials" (IAM's ValidationError).
 */
function selfUserName(ctx: RequestContext, userName: string | undefined, rootAllowed: boolean): string | undefined {
  if (userName !== undefined) return userName;
  if (ctx.principal.kind === 'user') return ctx.principal.userName;
  if (ctx.principal.kind === 'root' && rootAllowed) return undefined;
  throw new AwsError('ValidationError', 'Must specify userName when calling with non-User credentials', 400);
}

export function userHandlers({ directory }: IamDeps) {
  return {
    CreateUser: async (ctx: RequestContext, i: CreateUserRequest): Promise<CreateUserResponse> => {
      const user = await directory.createUser(ctx.accountId, {
        userName: i.UserName,
        ...(i.Path !== undefined ? { path: i.Path } : {}),
        ...(i.PermissionsBoundary !== undefined ? { permissionsBoundary: i.PermissionsBoundary } : {}),
        ...(i.Tags !== undefined ? { tags: i.Tags } : {}),
      });
      return { User: userView(user, true) };
    },

    GetUser: async (ctx: RequestContext, i: GetUserRequest): Promise<GetUserResponse> => {
      const name = i.UserName ?? (ctx.principal.kind === 'user' ? ctx.principal.userName : undefined);
      if (name === undefined && ctx.principal.kind === 'root') {
        // The root user: IAM answers with the account id as UserId and the root ARN, no name.
        const account = ctx.principal.accountId;
        return { User: { Path: '/', UserId: account, Arn: `arn:aws:iam::${account}:root`, CreateDate: await directory.accountCreatedAt(account) } as GetUserResponse['User'] };
      }
      const user = await directory.getUser(ctx.accountId, selfUserName(ctx, name, false)!);
      return { User: userView(user, true) };
    },

    ListUsers: async (ctx: RequestContext, i: ListUsersRequest): Promise<ListUsersResponse> => {
      const { page, ...more } = paginate(await directory.listUsers(ctx.accountId, i.PathPrefix), i);
      return { Users: page.map((u) => userView(u, false)), ...more };
    },

    DeleteUser: async (ctx: RequestContext, i: DeleteUserRequest): Promise<Empty> => {
      await directory.deleteUser(ctx.accountId, i.UserName);
      return EMPTY;
    },

    TagUser: async (ctx: RequestContext, i: TagUserRequest): Promise<Empty> => {
      await directory.tagHolder('user', ctx.accountId, i.UserName, i.Tags);
      return EMPTY;
    },

    UntagUser: async (ctx: RequestContext, i: UntagUserRequest): Promise<Empty> => {
      await directory.untagHolder('user', ctx.accountId, i.UserName, i.TagKeys);
      return EMPTY;
    },

    ListUserTags: async (ctx: RequestContext, i: ListUserTagsRequest): Promise<ListUserTagsResponse> => {
      const { page, ...more } = paginate(await directory.tagsOf('user', ctx.accountId, i.UserName), i);
      return { Tags: page, ...more };
    },

    PutUserPermissionsBoundary: async (ctx: RequestContext, i: PutUserPermissionsBoundaryRequest): Promise<Empty> => {
      await directory.putPermissionsBoundary('user', ctx.accountId, i.UserName, i.PermissionsBoundary);
      return EMPTY;
    },

    DeleteUserPermissionsBoundary: async (ctx: RequestContext, i: DeleteUserPermissionsBoundaryRequest): Promise<Empty> => {
      await directory.deletePermissionsBoundary('user', ctx.accountId, i.UserName);
      return EMPTY;
    },

    // Terraform reads these when it refreshes or destroys a user; simfra has no console
    // passwords or MFA devices, so the answers are "none".
    GetLoginProfile: async (ctx: RequestContext, i: GetLoginProfileRequest): Promise<GetLoginProfileResponse> => {
      const name = selfUserName(ctx, i.UserName, false)!;
      await directory.getUser(ctx.accountId, name);
      throw new NoSuchEntityException(`Login Profile for User ${name} cannot be found.`);
    },

    ListMFADevices: async (ctx: RequestContext, i: ListMFADevicesRequest): Promise<ListMFADevicesResponse> => {
      const name = selfUserName(ctx, i.UserName, true);
      if (name !== undefined) await directory.getUser(ctx.accountId, name);
      return { MFADevices: [], IsTruncated: false };
    },

    // Access keys

    CreateAccessKey: async (ctx: RequestContext, i: CreateAccessKeyRequest): Promise<CreateAccessKeyResponse> => {
      const key = await directory.createAccessKey(ctx.accountId, selfUserName(ctx, i.UserName, true));
      return {
        AccessKey: {
          UserName: key.userName,
          AccessKeyId: key.accessKeyId,
          Status: key.status,
          SecretAccessKey: key.secretAccessKey!,
          CreateDate: key.createDate,
        },
      };
    },

    ListAccessKeys: async (ctx: RequestContext, i: ListAccessKeysRequest): Promise<ListAccessKeysResponse> => {
      const keys = await directory.listAccessKeys(ctx.accountId, selfUserName(ctx, i.UserName, true));
      const { page, ...more } = paginate(keys, i);
      return {
        AccessKeyMetadata: page.map((k) => ({ UserName: k.userName, AccessKeyId: k.accessKeyId, Status: k.status, CreateDate: k.createDate })),
        ...more,
      };
    },

    UpdateAccessKey: async (ctx: RequestContext, i: UpdateAccessKeyRequest): Promise<Empty> => {
      if (i.Status === 'Expired') throw new AwsError('ValidationError', 'Access keys can only be made Active or Inactive', 400);
      await directory.updateAccessKey(ctx.accountId, selfUserName(ctx, i.UserName, true), i.AccessKeyId, i.Status);
      return EMPTY;
    },

    DeleteAccessKey: async (ctx: RequestContext, i: DeleteAccessKeyRequest): Promise<Empty> => {
      await directory.deleteAccessKey(ctx.accountId, selfUserName(ctx, i.UserName, true), i.AccessKeyId);
      return EMPTY;
    },

    // Groups

    CreateGroup: async (ctx: RequestContext, i: CreateGroupRequest): Promise<CreateGroupResponse> => {
      const group = await directory.createGroup(ctx.accountId, { groupName: i.GroupName, ...(i.Path !== undefined ? { path: i.Path } : {}) });
      return { Group: groupView(group) };
    },

    GetGroup: async (ctx: RequestContext, i: GetGroupRequest): Promise<GetGroupResponse> => {
      const group = await directory.getGroup(ctx.accountId, i.GroupName);
      const { page, ...more } = paginate(await directory.usersInGroup(ctx.accountId, i.GroupName), i);
      return { Group: groupView(group), Users: page.map((u) => userView(u, false)), ...more };
    },

    ListGroups: async (ctx: RequestContext, i: ListGroupsRequest): Promise<ListGroupsResponse> => {
      const { page, ...more } = paginate(await directory.listGroups(ctx.accountId, i.PathPrefix), i);
      return { Groups: page.map(groupView), ...more };
    },

    DeleteGroup: async (ctx: RequestContext, i: DeleteGroupRequest): Promise<Empty> => {
      await directory.deleteGroup(ctx.accountId, i.GroupName);
      return EMPTY;
    },

    AddUserToGroup: async (ctx: RequestContext, i: AddUserToGroupRequest): Promise<Empty> => {
      await directory.addUserToGroup(ctx.accountId, i.GroupName, i.UserName);
      return EMPTY;
    },

    RemoveUserFromGroup: async (ctx: RequestContext, i: RemoveUserFromGroupRequest): Promise<Empty> => {
      await directory.removeUserFromGroup(ctx.accountId, i.GroupName, i.UserName);
      return EMPTY;
    },

    ListGroupsForUser: async (ctx: RequestContext, i: ListGroupsForUserRequest): Promise<ListGroupsForUserResponse> => {
      const { page, ...more } = paginate(await directory.groupsForUser(ctx.accountId, i.UserName), i);
      return { Groups: page.map(groupView), ...more };
    },
  };
}

