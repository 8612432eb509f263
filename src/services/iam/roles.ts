import type { RequestContext } from '../../aws/context.js';
import type {
  CreateRoleRequest,
  CreateRoleResponse,
  DeleteRolePermissionsBoundaryRequest,
  DeleteRoleRequest,
  GetRoleRequest,
  GetRoleResponse,
  ListInstanceProfilesForRoleRequest,
  ListInstanceProfilesForRoleResponse,
  ListRoleTagsRequest,
  ListRoleTagsResponse,
  ListRolesRequest,
  ListRolesResponse,
  PutRolePermissionsBoundaryRequest,
  TagRoleRequest,
  UntagRoleRequest,
  UpdateAssumeRolePolicyRequest,
  UpdateRoleDescriptionRequest,
  UpdateRoleDescriptionResponse,
  UpdateRoleRequest,
} from '../../model/iam/types.js';
import { AwsError } from '../../aws/errors.js';
import type { IamDeps } from './deps.js';
import { paginate, roleView } from './views.js';

type Empty = Record<string, never>;
const EMPTY: Empty = {};

/**
 * MaxSessionDuration is 3600–43200 seconds — source: IAM API reference, CreateRole ("from 1 hour to
 * 12 hours"); the model states only the range, the check is the service's.
 */
function checkMaxSessionDuration(value: number | undefined): void {
  if (value === undefined || (value >= 3600 && value <= 43200)) return;
  const bound = value < 3600 ? 'greater than or equal to 3600' : 'less than or equal to 43200';
  throw new AwsError(
    'ValidationError',
    `1 validation error detected: Value '${value}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value ${bound}`,
    400,
  );
}

export function roleHandlers({ directory }: IamDeps) {
  return {
    CreateRole: async (ctx: RequestContext, i: CreateRoleRequest): Promise<CreateRoleResponse> => {
      checkMaxSessionDuration(i.MaxSessionDuration);
      const role = await directory.createRole(ctx.accountId, {
        roleName: i.RoleName,
        assumeRolePolicyDocument: i.AssumeRolePolicyDocument,
        ...(i.Path !== undefined ? { path: i.Path } : {}),
        ...(i.Description !== undefined ? { description: i.Description } : {}),
        ...(i.MaxSessionDuration !== undefined ? { maxSessionDuration: i.MaxSessionDuration } : {}),
        ...(i.PermissionsBoundary !== undefined ? { permissionsBoundary: i.PermissionsBoundary } : {}),
        ...(i.Tags !== undefined ? { tags: i.Tags } : {}),
      });
      const { RoleLastUsed: _unused, ...view } = roleView(role, true);
      return { Role: view };
    },

    GetRole: async (ctx: RequestContext, i: GetRoleRequest): Promise<GetRoleResponse> => ({
      Role: roleView(await directory.getRole(ctx.accountId, i.RoleName), true),
    }),

    ListRoles: async (ctx: RequestContext, i: ListRolesRequest): Promise<ListRolesResponse> => {
      const { page, ...more } = paginate(await directory.listRoles(ctx.accountId, i.PathPrefix), i);
      return { Roles: page.map((r) => roleView(r, false)), ...more };
    },

    DeleteRole: async (ctx: RequestContext, i: DeleteRoleRequest): Promise<Empty> => {
      await directory.deleteRole(ctx.accountId, i.RoleName);
      return EMPTY;
    },

    UpdateAssumeRolePolicy: async (ctx: RequestContext, i: UpdateAssumeRolePolicyRequest): Promise<Empty> => {
      await directory.updateAssumeRolePolicy(ctx.accountId, i.RoleName, i.PolicyDocument);
      return EMPTY;
    },

    UpdateRole: async (ctx: RequestContext, i: UpdateRoleRequest): Promise<Empty> => {
      checkMaxSessionDuration(i.MaxSessionDuration);
      await directory.updateRole(ctx.accountId, i.RoleName, {
        ...(i.Description !== undefined ? { description: i.Description } : {}),
        ...(i.MaxSessionDuration !== undefined ? { maxSessionDuration: i.MaxSessionDuration } : {}),
      });
      return EMPTY;
    },

    UpdateRoleDescription: async (ctx: RequestContext, i: UpdateRoleDescriptionRequest): Promise<UpdateRoleDescriptionResponse> => ({
      Role: roleView(await directory.updateRole(ctx.accountId, i.RoleName, { description: i.Description }), true),
    }),

    TagRole: async (ctx: RequestContext, i: TagRoleRequest): Promise<Empty> => {
      await directory.tagHolder('role', ctx.accountId, i.RoleName, i.Tags);
      return EMPTY;
    },

    UntagRole: async (ctx: RequestContext, i: UntagRoleRequest): Promise<Empty> => {
      await directory.untagHolder('role', ctx.accountId, i.RoleName, i.TagKeys);
      return EMPTY;
    },

    ListRoleTags: async (ctx: RequestContext, i: ListRoleTagsRequest): Promise<ListRoleTagsResponse> => {
      const { page, ...more } = paginate(await directory.tagsOf('role', ctx.accountId, i.RoleName), i);
      return { Tags: page, ...more };
    },

    PutRolePermissionsBoundary: async (ctx: RequestContext, i: PutRolePermissionsBoundaryRequest): Promise<Empty> => {
      await directory.putPermissionsBoundary('role', ctx.accountId, i.RoleName, i.PermissionsBoundary);
      return EMPTY;
    },

    DeleteRolePermissionsBoundary: async (ctx: RequestContext, i: DeleteRolePermissionsBoundaryRequest): Promise<Empty> => {
      await directory.deletePermissionsBoundary('role', ctx.accountId, i.RoleName);
      return EMPTY;
    },

    // Terraform lists a role's instance profiles before deleting it; simfra has none.
    ListInstanceProfilesForRole: async (ctx: RequestContext, i: ListInstanceProfilesForRoleRequest): Promise<ListInstanceProfilesForRoleResponse> => {
      await directory.getRole(ctx.accountId, i.RoleName);
      return { InstanceProfiles: [], IsTruncated: false };
    },
  };
}
