import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Ids } from '../ids.js';
import {
  AlreadyExistsError,
  type AccessKeyRecord,
  type IamEntityBase,
  type IamEntityRecords,
  type IamGroupRecord,
  type IamPolicyHolder,
  type IamPolicyRecord,
  type IamRoleRecord,
  type IamUserRecord,
  type MetaStore,
  type TagRecord,
} from '../store/meta/meta-store.js';
import { IamError } from './errors.js';
import { iamTexts, type HolderKind } from './iam-texts.js';
import { AWS_MANAGED_POLICIES, findAwsManagedPolicy, type AwsManagedPolicy } from './managed-policies.js';
import { parsePolicy, PolicyDocumentError, type Policy, type PolicyKind } from './policy.js';
import type { Principal } from './principal.js';

/**
 * The IAM domain: users, access keys, groups, roles, managed and inline policies of each account,
 * with IAM's rules (unique names regardless of case, delete conflicts, quotas, policy validation
 * with MalformedPolicyDocument texts, principals in trust policies that must exist). IAM is global:
 * nothing here depends on a region. Every write tells the listeners (the authorizer's caches).
 */

export type { HolderKind };

type HolderRecord = (IamUserRecord | IamRoleRecord | IamGroupRecord) & IamPolicyHolder;

/** A managed policy as GetPolicy/ListPolicies show it, AWS managed or customer managed. */
export interface ManagedPolicyView {
  policyName: string;
  policyId: string;
  arn: string;
  path: string;
  defaultVersionId: string;
  attachmentCount: number;
  permissionsBoundaryUsageCount: number;
  isAttachable: boolean;
  description?: string;
  createDate: Date;
  updateDate: Date;
  tags: TagRecord[];
  awsManaged: boolean;
}

export interface PolicyVersionView {
  document: string;
  versionId: string;
  isDefaultVersion: boolean;
  createDate: Date;
}

export interface AccessKeyView {
  userName: string;
  accessKeyId: string;
  status: 'Active' | 'Inactive';
  createDate: Date;
  secretAccessKey?: string;
}

/** The documents that decide what a principal may do (compiled by the authorizer). */
export interface IdentityDocuments {
  /** Identity policies: inline ones have no ARN, managed ones do (for explicit-deny messages). */
  policies: { arn?: string; text: string }[];
  boundary?: { arn: string; text: string };
  /** The user's or role's tags, for aws:PrincipalTag. */
  tags: Record<string, string>;
}

/** Inline policy size limits (characters, whitespace excluded, summed per entity) — source: IAM quotas page. */
const INLINE_LIMIT: Readonly<Record<HolderKind, number>> = { user: 2048, role: 10240, group: 5120 };
const MANAGED_POLICY_LIMIT = 6144;
const MAX_ATTACHED = 10;
const MAX_VERSIONS = 5;
const MAX_ACCESS_KEYS = 2;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `arn:aws:iam::{account|aws}:policy{path}{name}` → its parts. */
export function parsePolicyArn(arn: string): { account: string; path: string; name: string } | undefined {
  const m = /^arn:aws:iam::(\d{12}|aws):policy(\/(?:[^/]+\/)*)([^/]+)$/.exec(arn);
  return m ? { account: m[1]!, path: m[2]!, name: m[3]! } : undefined;
}

export const policyArnOf = (accountId: string, path: string, name: string): string =>
  `arn:aws:iam::${accountId}:policy${path}${name}`;

export const groupArnOf = (accountId: string, path: string, name: string): string =>
  `arn:aws:iam::${accountId}:group${path}${name}`;

/** IAM counts policy size without whitespace — source: IAM quotas page ("excluding white space"). */
const policySize = (text: string): number => text.replace(/\s+/g, '').length;

export function tagMap(tags: readonly TagRecord[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) out[t.Key] = t.Value;
  return out;
}

/** Later tags with the same key (compared case-insensitively, as IAM does) replace earlier ones. */
function mergeTags(existing: readonly TagRecord[], added: readonly TagRecord[]): TagRecord[] {
  const out = [...existing];
  for (const t of added) {
    const i = out.findIndex((e) => e.Key.toLowerCase() === t.Key.toLowerCase());
    if (i >= 0) out[i] = t;
    else out.push(t);
  }
  return out;
}

function collectAwsPrincipals(json: unknown): string[] {
  const out: string[] = [];
  if (typeof json !== 'object' || json === null) return out;
  const statements = (json as Record<string, unknown>)['Statement'];
  const list = Array.isArray(statements) ? statements : [statements];
  for (const s of list) {
    if (typeof s !== 'object' || s === null) continue;
    for (const key of ['Principal', 'NotPrincipal']) {
      const p = (s as Record<string, unknown>)[key];
      if (typeof p !== 'object' || p === null) continue;
      const aws = (p as Record<string, unknown>)['AWS'];
      for (const v of Array.isArray(aws) ? aws : [aws]) if (typeof v === 'string' && v !== '*') out.push(v);
    }
  }
  return out;
}

export type ChangeListener = (accountId: string) => void;

export class IamDirectory {
  private readonly listeners: ChangeListener[] = [];

  constructor(
    private readonly meta: MetaStore,
    private readonly ids: Ids,
    private readonly clock: Clock,
  ) {}

  /** IAM keeps whole seconds (its dates read `2024-05-01T10:00:00Z`). */
  private now(): Date {
    const t = this.clock.now().getTime();
    return new Date(t - (t % 1000));
  }

  /** Called after every IAM write, with the account it changed. */
  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  private changed(accountId: string): void {
    for (const l of this.listeners) l(accountId);
  }

  /** A unique id as IAM makes them: a 4-letter type prefix and 17 base32 characters (21 in all). */
  uniqueId(prefix: 'AIDA' | 'AROA' | 'AGPA' | 'ANPA'): string {
    const bytes = this.ids.bytes(17);
    let s = prefix;
    for (let i = 0; i < 17; i++) s += BASE32[bytes[i]! % 32];
    return s;
  }

  // -------------------------------------------------------------------------------------------
  // Policy documents

  /** Validates an identity policy document (inline, managed, boundary or session). */
  validateIdentityDocument(text: string, kind: PolicyKind = 'identity'): Policy {
    try {
      return parsePolicy(text, kind);
    } catch (e) {
      if (e instanceof PolicyDocumentError) throw new IamError('MalformedPolicyDocument', e.message);
      throw e;
    }
  }

  /**
   * Validates a trust (or resource) policy: IAM resolves every AWS principal when it stores the
   * document and refuses one that does not exist ('Invalid principal in policy: "AWS":"…"').
   */
  async validatePrincipalDocument(text: string, kind: PolicyKind, options: { allowLegacyVersion?: boolean } = {}): Promise<Policy> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const known = new Set<string>();
    for (const value of collectAwsPrincipals(json)) if (await this.principalExists(value)) known.add(value);
    try {
      return parsePolicy(text, kind, { principalExists: (v) => known.has(v), ...options });
    } catch (e) {
      if (e instanceof PolicyDocumentError) throw new IamError('MalformedPolicyDocument', e.message);
      throw e;
    }
  }

  /** Whether an `AWS` principal of a policy names something that exists here. */
  async principalExists(value: string): Promise<boolean> {
    const account = /^(\d{12})$/.exec(value) ?? /^arn:aws:iam::(\d{12}):root$/.exec(value);
    if (account) return (await this.meta.accounts.get(account[1]!)) !== undefined;
    const user = /^arn:aws:iam::(\d{12}):user\/(?:.*\/)?([^/]+)$/.exec(value);
    if (user) return (await this.meta.iam.users.get(user[1]!, user[2]!)) !== undefined;
    const role =
      /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(value) ?? /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(value);
    if (role) return (await this.meta.iam.roles.get(role[1]!, role[2]!)) !== undefined;
    return false;
  }

  /** When the account (its root user) was created; GetUser shows it for the root. */
  async accountCreatedAt(accountId: string): Promise<Date> {
    const created = (await this.meta.accounts.get(accountId))?.createdAt ?? new Date(0);
    return new Date(created.getTime() - (created.getTime() % 1000));
  }

  // -------------------------------------------------------------------------------------------
  // Users

  async createUser(accountId: string, input: { userName: string; path?: string; permissionsBoundary?: string; tags?: TagRecord[] }): Promise<IamUserRecord> {
    if (input.permissionsBoundary !== undefined) await this.requireBoundary(accountId, input.permissionsBoundary);
    const user: IamUserRecord = {
      accountId,
      name: input.userName,
      id: this.uniqueId('AIDA'),
      path: input.path ?? '/',
      createdAt: this.now(),
      tags: input.tags ?? [],
      inlinePolicies: {},
      attachedPolicies: [],
      groups: [],
      ...(input.permissionsBoundary !== undefined ? { permissionsBoundary: input.permissionsBoundary } : {}),
    };
    await this.create(this.meta.iam.users, user, iamTexts.holderExists('user', input.userName));
    return user;
  }

  async getUser(accountId: string, userName: string): Promise<IamUserRecord> {
    const user = await this.meta.iam.users.get(accountId, userName);
    if (!user) throw new IamError('NoSuchEntity', iamTexts.noSuchHolder('user', userName));
    return user;
  }

  async listUsers(accountId: string, pathPrefix = '/'): Promise<IamUserRecord[]> {
    return (await this.meta.iam.users.list(accountId)).filter((u) => u.path.startsWith(pathPrefix));
  }

  async deleteUser(accountId: string, userName: string): Promise<void> {
    const user = await this.getUser(accountId, userName);
    const keys = (await this.meta.accessKeys.listByAccount(accountId)).filter(
      (k) => k.owner.kind === 'user' && k.owner.userName.toLowerCase() === user.name.toLowerCase(),
    );
    if (keys.length > 0) throw new IamError('DeleteConflict', iamTexts.mustDeleteAccessKeys);
    if (Object.keys(user.inlinePolicies).length > 0) throw new IamError('DeleteConflict', iamTexts.mustDeletePolicies);
    if (user.attachedPolicies.length > 0) throw new IamError('DeleteConflict', iamTexts.mustDetachPolicies);
    if (user.groups.length > 0) throw new IamError('DeleteConflict', iamTexts.mustLeaveGroups);
    await this.meta.iam.users.delete(accountId, userName);
    this.changed(accountId);
  }

  // -------------------------------------------------------------------------------------------
  // Access keys

  async createAccessKey(accountId: string, userName: string | undefined): Promise<AccessKeyView> {
    let owner: AccessKeyRecord['owner'] = { kind: 'root' };
    let shownName = '';
    if (userName !== undefined) {
      const user = await this.getUser(accountId, userName);
      owner = { kind: 'user', userName: user.name, userId: user.id, path: user.path };
      shownName = user.name;
    }
    const existing = await this.keysOf(accountId, userName);
    if (existing.length >= MAX_ACCESS_KEYS) throw new IamError('LimitExceeded', iamTexts.accessKeyQuota);
    const key: AccessKeyRecord = {
      accessKeyId: this.ids.accessKeyId('AKIA'),
      accountId,
      secretAccessKey: this.ids.secretAccessKey(),
      owner,
      status: 'Active',
      createdAt: this.now(),
    };
    await this.meta.accessKeys.put(key);
    return { userName: shownName, accessKeyId: key.accessKeyId, status: 'Active', createDate: key.createdAt, secretAccessKey: key.secretAccessKey };
  }

  /** The long-term keys of a user, or of the account root when `userName` is undefined. */
  async keysOf(accountId: string, userName: string | undefined): Promise<AccessKeyRecord[]> {
    const all = await this.meta.accessKeys.listByAccount(accountId);
    return all.filter((k) =>
      userName === undefined ? k.owner.kind === 'root' : k.owner.kind === 'user' && k.owner.userName.toLowerCase() === userName.toLowerCase(),
    );
  }

  async listAccessKeys(accountId: string, userName: string | undefined): Promise<AccessKeyView[]> {
    if (userName !== undefined) await this.getUser(accountId, userName);
    return (await this.keysOf(accountId, userName)).map((k) => ({
      userName: k.owner.kind === 'user' ? k.owner.userName : '',
      accessKeyId: k.accessKeyId,
      status: k.status,
      createDate: k.createdAt,
    }));
  }

  private async findKey(accountId: string, userName: string | undefined, accessKeyId: string): Promise<AccessKeyRecord> {
    if (userName !== undefined) await this.getUser(accountId, userName);
    const key = (await this.keysOf(accountId, userName)).find((k) => k.accessKeyId === accessKeyId);
    if (!key) throw new IamError('NoSuchEntity', iamTexts.noSuchAccessKey(accessKeyId));
    return key;
  }

  async updateAccessKey(accountId: string, userName: string | undefined, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<void> {
    const key = await this.findKey(accountId, userName, accessKeyId);
    await this.meta.accessKeys.put({ ...key, status });
  }

  async deleteAccessKey(accountId: string, userName: string | undefined, accessKeyId: string): Promise<void> {
    await this.findKey(accountId, userName, accessKeyId);
    await this.meta.accessKeys.delete(accessKeyId);
  }

  // -------------------------------------------------------------------------------------------
  // Groups

  async createGroup(accountId: string, input: { groupName: string; path?: string }): Promise<IamGroupRecord> {
    const group: IamGroupRecord = {
      accountId,
      name: input.groupName,
      id: this.uniqueId('AGPA'),
      path: input.path ?? '/',
      createdAt: this.now(),
      tags: [],
      inlinePolicies: {},
      attachedPolicies: [],
    };
    await this.create(this.meta.iam.groups, group, iamTexts.holderExists('group', input.groupName));
    return group;
  }

  async getGroup(accountId: string, groupName: string): Promise<IamGroupRecord> {
    const group = await this.meta.iam.groups.get(accountId, groupName);
    if (!group) throw new IamError('NoSuchEntity', iamTexts.noSuchHolder('group', groupName));
    return group;
  }

  async listGroups(accountId: string, pathPrefix = '/'): Promise<IamGroupRecord[]> {
    return (await this.meta.iam.groups.list(accountId)).filter((g) => g.path.startsWith(pathPrefix));
  }

  async usersInGroup(accountId: string, groupName: string): Promise<IamUserRecord[]> {
    const group = await this.getGroup(accountId, groupName);
    const key = group.name.toLowerCase();
    return (await this.meta.iam.users.list(accountId)).filter((u) => u.groups.some((g) => g.toLowerCase() === key));
  }

  async deleteGroup(accountId: string, groupName: string): Promise<void> {
    const group = await this.getGroup(accountId, groupName);
    if ((await this.usersInGroup(accountId, groupName)).length > 0) throw new IamError('DeleteConflict', iamTexts.mustRemoveUsers);
    if (Object.keys(group.inlinePolicies).length > 0) throw new IamError('DeleteConflict', iamTexts.mustDeletePolicies);
    if (group.attachedPolicies.length > 0) throw new IamError('DeleteConflict', iamTexts.mustDetachPolicies);
    await this.meta.iam.groups.delete(accountId, groupName);
    this.changed(accountId);
  }

  async addUserToGroup(accountId: string, groupName: string, userName: string): Promise<void> {
    const group = await this.getGroup(accountId, groupName);
    await this.getUser(accountId, userName);
    await this.meta.iam.users.update(accountId, userName, (u) =>
      u.groups.some((g) => g.toLowerCase() === group.name.toLowerCase()) ? u : { ...u, groups: [...u.groups, group.name] },
    );
    this.changed(accountId);
  }

  async removeUserFromGroup(accountId: string, groupName: string, userName: string): Promise<void> {
    const group = await this.getGroup(accountId, groupName);
    const user = await this.getUser(accountId, userName);
    const key = group.name.toLowerCase();
    if (!user.groups.some((g) => g.toLowerCase() === key)) {
      throw new IamError('NoSuchEntity', iamTexts.noSuchHolder('user', userName));
    }
    await this.meta.iam.users.update(accountId, userName, (u) => ({ ...u, groups: u.groups.filter((g) => g.toLowerCase() !== key) }));
    this.changed(accountId);
  }

  async groupsForUser(accountId: string, userName: string): Promise<IamGroupRecord[]> {
    const user = await this.getUser(accountId, userName);
    const out: IamGroupRecord[] = [];
    for (const name of user.groups) {
      const g = await this.meta.iam.groups.get(accountId, name);
      if (g) out.push(g);
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Roles

  async createRole(
    accountId: string,
    input: {
      roleName: string;
      path?: string;
      assumeRolePolicyDocument: string;
      description?: string;
      maxSessionDuration?: number;
      permissionsBoundary?: string;
      tags?: TagRecord[];
    },
  ): Promise<IamRoleRecord> {
    await this.validatePrincipalDocument(input.assumeRolePolicyDocument, 'trust');
    if (input.permissionsBoundary !== undefined) await this.requireBoundary(accountId, input.permissionsBoundary);
    const role: IamRoleRecord = {
      accountId,
      name: input.roleName,
      id: this.uniqueId('AROA'),
      path: input.path ?? '/',
      createdAt: this.now(),
      tags: input.tags ?? [],
      inlinePolicies: {},
      attachedPolicies: [],
      assumeRolePolicyDocument: input.assumeRolePolicyDocument,
      maxSessionDuration: input.maxSessionDuration ?? 3600,
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.permissionsBoundary !== undefined ? { permissionsBoundary: input.permissionsBoundary } : {}),
    };
    await this.create(this.meta.iam.roles, role, iamTexts.holderExists('role', input.roleName));
    return role;
  }

  async getRole(accountId: string, roleName: string): Promise<IamRoleRecord> {
    const role = await this.meta.iam.roles.get(accountId, roleName);
    if (!role) throw new IamError('NoSuchEntity', iamTexts.noSuchHolder('role', roleName));
    return role;
  }

  findRole(accountId: string, roleName: string): Promise<IamRoleRecord | undefined> {
    return this.meta.iam.roles.get(accountId, roleName);
  }

  async listRoles(accountId: string, pathPrefix = '/'): Promise<IamRoleRecord[]> {
    return (await this.meta.iam.roles.list(accountId)).filter((r) => r.path.startsWith(pathPrefix));
  }

  async deleteRole(accountId: string, roleName: string): Promise<void> {
    const role = await this.getRole(accountId, roleName);
    if (Object.keys(role.inlinePolicies).length > 0) throw new IamError('DeleteConflict', iamTexts.mustDeletePolicies);
    if (role.attachedPolicies.length > 0) throw new IamError('DeleteConflict', iamTexts.mustDetachPolicies);
    await this.meta.iam.roles.delete(accountId, roleName);
    this.changed(accountId);
  }

  async updateAssumeRolePolicy(accountId: string, roleName: string, document: string): Promise<void> {
    await this.getRole(accountId, roleName);
    await this.validatePrincipalDocument(document, 'trust');
    await this.meta.iam.roles.update(accountId, roleName, (r) => ({ ...r, assumeRolePolicyDocument: document }));
    this.changed(accountId);
  }

  async updateRole(accountId: string, roleName: string, change: { description?: string; maxSessionDuration?: number }): Promise<IamRoleRecord> {
    await this.getRole(accountId, roleName);
    const updated = await this.meta.iam.roles.update(accountId, roleName, (r) => ({
      ...r,
      ...(change.description !== undefined ? { description: change.description } : {}),
      ...(change.maxSessionDuration !== undefined ? { maxSessionDuration: change.maxSessionDuration } : {}),
    }));
    this.changed(accountId);
    return updated!;
  }

  // -------------------------------------------------------------------------------------------
  // Tags and permissions boundaries of users and roles

  private holders(kind: HolderKind): IamEntityRecords<HolderRecord> {
    const r = kind === 'user' ? this.meta.iam.users : kind === 'role' ? this.meta.iam.roles : this.meta.iam.groups;
    return r as IamEntityRecords<HolderRecord>;
  }

  private async getHolder(kind: HolderKind, accountId: string, name: string): Promise<HolderRecord> {
    const h = await this.holders(kind).get(accountId, name);
    if (!h) throw new IamError('NoSuchEntity', iamTexts.noSuchHolder(kind, name));
    return h;
  }

  async tagHolder(kind: 'user' | 'role', accountId: string, name: string, tags: TagRecord[]): Promise<void> {
    await this.getHolder(kind, accountId, name);
    await this.holders(kind).update(accountId, name, (h) => ({ ...h, tags: mergeTags(h.tags, tags) }));
    this.changed(accountId);
  }

  async untagHolder(kind: 'user' | 'role', accountId: string, name: string, keys: string[]): Promise<void> {
    await this.getHolder(kind, accountId, name);
    const drop = new Set(keys.map((k) => k.toLowerCase()));
    await this.holders(kind).update(accountId, name, (h) => ({ ...h, tags: h.tags.filter((t) => !drop.has(t.Key.toLowerCase())) }));
    this.changed(accountId);
  }

  async tagsOf(kind: 'user' | 'role', accountId: string, name: string): Promise<TagRecord[]> {
    return (await this.getHolder(kind, accountId, name)).tags;
  }

  async putPermissionsBoundary(kind: 'user' | 'role', accountId: string, name: string, policyArn: string): Promise<void> {
    await this.getHolder(kind, accountId, name);
    await this.requireBoundary(accountId, policyArn);
    await this.holders(kind).update(accountId, name, (h) => ({ ...h, permissionsBoundary: policyArn }));
    this.changed(accountId);
  }

  async deletePermissionsBoundary(kind: 'user' | 'role', accountId: string, name: string): Promise<void> {
    await this.getHolder(kind, accountId, name);
    await this.holders(kind).update(accountId, name, (h) => {
      const { permissionsBoundary: _dropped, ...rest } = h as IamUserRecord;
      return rest as HolderRecord;
    });
    this.changed(accountId);
  }

  private async requireBoundary(accountId: string, policyArn: string): Promise<void> {
    if (!(await this.managedDocument(accountId, policyArn))) {
      throw new IamError('NoSuchEntity', iamTexts.boundaryNotAttachable(policyArn));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Inline policies

  async putInlinePolicy(kind: HolderKind, accountId: string, holderName: string, policyName: string, document: string): Promise<void> {
    const holder = await this.getHolder(kind, accountId, holderName);
    this.validateIdentityDocument(document);
    const others = Object.entries(holder.inlinePolicies).filter(([n]) => n !== policyName);
    const total = others.reduce((sum, [, text]) => sum + policySize(text), policySize(document));
    if (total > INLINE_LIMIT[kind]) {
      throw new IamError('LimitExceeded', iamTexts.inlineSizeQuota(kind, holder.name, INLINE_LIMIT[kind]));
    }
    await this.holders(kind).update(accountId, holderName, (h) => ({ ...h, inlinePolicies: { ...h.inlinePolicies, [policyName]: document } }));
    this.changed(accountId);
  }

  async getInlinePolicy(kind: HolderKind, accountId: string, holderName: string, policyName: string): Promise<{ holderName: string; document: string }> {
    const holder = await this.getHolder(kind, accountId, holderName);
    const document = Object.hasOwn(holder.inlinePolicies, policyName) ? holder.inlinePolicies[policyName] : undefined;
    if (document === undefined) throw new IamError('NoSuchEntity', iamTexts.noSuchInlinePolicy(kind, policyName));
    return { holderName: holder.name, document };
  }

  async listInlinePolicies(kind: HolderKind, accountId: string, holderName: string): Promise<string[]> {
    return Object.keys((await this.getHolder(kind, accountId, holderName)).inlinePolicies).sort();
  }

  async deleteInlinePolicy(kind: HolderKind, accountId: string, holderName: string, policyName: string): Promise<void> {
    await this.getInlinePolicy(kind, accountId, holderName, policyName);
    await this.holders(kind).update(accountId, holderName, (h) => {
      const rest = { ...h.inlinePolicies };
      delete rest[policyName];
      return { ...h, inlinePolicies: rest };
    });
    this.changed(accountId);
  }

  // -------------------------------------------------------------------------------------------
  // Managed policies

  async createPolicy(
    accountId: string,
    input: { policyName: string; path?: string; document: string; description?: string; tags?: TagRecord[] },
  ): Promise<ManagedPolicyView> {
    this.validateIdentityDocument(input.document);
    if (policySize(input.document) > MANAGED_POLICY_LIMIT) throw new IamError('LimitExceeded', iamTexts.managedSizeQuota);
    const now = this.now();
    const policy: IamPolicyRecord = {
      accountId,
      name: input.policyName,
      id: this.uniqueId('ANPA'),
      path: input.path ?? '/',
      createdAt: now,
      updatedAt: now,
      tags: input.tags ?? [],
      defaultVersionId: 'v1',
      nextVersion: 2,
      versions: [{ versionId: 'v1', document: input.document, createdAt: now }],
      ...(input.description !== undefined ? { description: input.description } : {}),
    };
    await this.create(this.meta.iam.policies, policy, iamTexts.policyExists(input.policyName));
    return this.viewOf(policy, { attachments: 0, boundaries: 0 });
  }

  /** The customer managed policy at `arn` in `accountId` (undefined: none, or not this account's). */
  private async customerPolicy(accountId: string, arn: string): Promise<IamPolicyRecord | undefined> {
    const parsed = parsePolicyArn(arn);
    if (!parsed || parsed.account !== accountId) return undefined;
    const policy = await this.meta.iam.policies.get(accountId, parsed.name);
    return policy && policyArnOf(accountId, policy.path, policy.name) === arn ? policy : undefined;
  }

  /** The default document of a managed policy the account can attach, or undefined. */
  async managedDocument(accountId: string, arn: string): Promise<string | undefined> {
    const aws = findAwsManagedPolicy(arn);
    if (aws) return aws.document;
    const policy = await this.customerPolicy(accountId, arn);
    return policy?.versions.find((v) => v.versionId === policy.defaultVersionId)?.document;
  }

  private async usage(accountId: string): Promise<{ attachments: Map<string, number>; boundaries: Map<string, number> }> {
    const attachments = new Map<string, number>();
    const boundaries = new Map<string, number>();
    const bump = (m: Map<string, number>, arn: string) => m.set(arn, (m.get(arn) ?? 0) + 1);
    const [users, roles, groups] = await Promise.all([
      this.meta.iam.users.list(accountId),
      this.meta.iam.roles.list(accountId),
      this.meta.iam.groups.list(accountId),
    ]);
    for (const h of [...users, ...roles, ...groups]) for (const arn of h.attachedPolicies) bump(attachments, arn);
    for (const h of [...users, ...roles]) if (h.permissionsBoundary !== undefined) bump(boundaries, h.permissionsBoundary);
    return { attachments, boundaries };
  }

  private viewOf(p: IamPolicyRecord, counts: { attachments: number; boundaries: number }): ManagedPolicyView {
    return {
      policyName: p.name,
      policyId: p.id,
      arn: policyArnOf(p.accountId, p.path, p.name),
      path: p.path,
      defaultVersionId: p.defaultVersionId,
      attachmentCount: counts.attachments,
      permissionsBoundaryUsageCount: counts.boundaries,
      isAttachable: true,
      ...(p.description !== undefined ? { description: p.description } : {}),
      createDate: p.createdAt,
      updateDate: p.updatedAt,
      tags: p.tags,
      awsManaged: false,
    };
  }

  private awsView(p: AwsManagedPolicy, counts: { attachments: number; boundaries: number }): ManagedPolicyView {
    // AWS managed policies have fixed ids in AWS; ours are derived from the ARN so they stay stable.
    const digest = createHash('sha256').update(p.arn).digest();
    let id = 'ANPA';
    for (let i = 0; i < 17; i++) id += BASE32[digest[i]! % 32];
    return {
      policyName: p.policyName,
      policyId: id,
      arn: p.arn,
      path: p.path,
      defaultVersionId: p.defaultVersionId,
      attachmentCount: counts.attachments,
      permissionsBoundaryUsageCount: counts.boundaries,
      isAttachable: true,
      description: p.description,
      createDate: new Date(p.createDate),
      updateDate: new Date(p.updateDate),
      tags: [],
      awsManaged: true,
    };
  }

  async getPolicy(accountId: string, arn: string): Promise<ManagedPolicyView> {
    const { attachments, boundaries } = await this.usage(accountId);
    const counts = { attachments: attachments.get(arn) ?? 0, boundaries: boundaries.get(arn) ?? 0 };
    const aws = findAwsManagedPolicy(arn);
    if (aws) return this.awsView(aws, counts);
    const policy = await this.customerPolicy(accountId, arn);
    if (!policy) throw new IamError('NoSuchEntity', iamTexts.policyNotFound(arn));
    return this.viewOf(policy, counts);
  }

  async listPolicies(
    accountId: string,
    opts: { scope?: string; onlyAttached?: boolean; pathPrefix?: string; usage?: string },
  ): Promise<ManagedPolicyView[]> {
    const { attachments, boundaries } = await this.usage(accountId);
    const counts = (arn: string) => ({ attachments: attachments.get(arn) ?? 0, boundaries: boundaries.get(arn) ?? 0 });
    const scope = opts.scope ?? 'All';
    let views: ManagedPolicyView[] = [];
    if (scope !== 'Local') views.push(...AWS_MANAGED_POLICIES.map((p) => this.awsView(p, counts(p.arn))));
    if (scope !== 'AWS') {
      views.push(...(await this.meta.iam.policies.list(accountId)).map((p) => this.viewOf(p, counts(policyArnOf(accountId, p.path, p.name)))));
    }
    const prefix = opts.pathPrefix ?? '/';
    views = views.filter((v) => v.path.startsWith(prefix));
    if (opts.onlyAttached) views = views.filter((v) => v.attachmentCount > 0);
    if (opts.usage === 'PermissionsBoundary') views = views.filter((v) => v.permissionsBoundaryUsageCount > 0);
    if (opts.usage === 'PermissionsPolicy') views = views.filter((v) => v.attachmentCount > 0);
    return views;
  }

  private async requireCustomerPolicy(accountId: string, arn: string): Promise<IamPolicyRecord> {
    if (findAwsManagedPolicy(arn)) throw new IamError('InvalidInput', iamTexts.awsManagedImmutable(arn));
    const policy = await this.customerPolicy(accountId, arn);
    if (!policy) throw new IamError('NoSuchEntity', iamTexts.policyNotFound(arn));
    return policy;
  }

  async deletePolicy(accountId: string, arn: string): Promise<void> {
    const policy = await this.requireCustomerPolicy(accountId, arn);
    const { attachments, boundaries } = await this.usage(accountId);
    if ((attachments.get(arn) ?? 0) > 0 || (boundaries.get(arn) ?? 0) > 0) throw new IamError('DeleteConflict', iamTexts.policyAttached);
    if (policy.versions.length > 1) throw new IamError('DeleteConflict', iamTexts.policyHasVersions);
    await this.meta.iam.policies.delete(accountId, policy.name);
    this.changed(accountId);
  }

  async createPolicyVersion(accountId: string, arn: string, document: string, setAsDefault: boolean): Promise<PolicyVersionView> {
    const policy = await this.requireCustomerPolicy(accountId, arn);
    this.validateIdentityDocument(document);
    if (policySize(document) > MANAGED_POLICY_LIMIT) throw new IamError('LimitExceeded', iamTexts.managedSizeQuota);
    if (policy.versions.length >= MAX_VERSIONS) throw new IamError('LimitExceeded', iamTexts.tooManyVersions);
    const now = this.now();
    const versionId = `v${policy.nextVersion}`;
    await this.meta.iam.policies.update(accountId, policy.name, (p) => ({
      ...p,
      nextVersion: p.nextVersion + 1,
      versions: [...p.versions, { versionId, document, createdAt: now }],
      ...(setAsDefault ? { defaultVersionId: versionId, updatedAt: now } : {}),
    }));
    this.changed(accountId);
    return { document, versionId, isDefaultVersion: setAsDefault, createDate: now };
  }

  async getPolicyVersion(accountId: string, arn: string, versionId: string): Promise<PolicyVersionView> {
    const aws = findAwsManagedPolicy(arn);
    if (aws) {
      if (versionId !== aws.defaultVersionId) throw new IamError('NoSuchEntity', iamTexts.policyVersionNotFound(arn, versionId));
      return { document: aws.document, versionId, isDefaultVersion: true, createDate: new Date(aws.updateDate) };
    }
    const policy = await this.customerPolicy(accountId, arn);
    if (!policy) throw new IamError('NoSuchEntity', iamTexts.policyNotFound(arn));
    const v = policy.versions.find((x) => x.versionId === versionId);
    if (!v) throw new IamError('NoSuchEntity', iamTexts.policyVersionNotFound(arn, versionId));
    return { document: v.document, versionId, isDefaultVersion: v.versionId === policy.defaultVersionId, createDate: v.createdAt };
  }

  async listPolicyVersions(accountId: string, arn: string): Promise<PolicyVersionView[]> {
    const aws = findAwsManagedPolicy(arn);
    if (aws) return [await this.getPolicyVersion(accountId, arn, aws.defaultVersionId)];
    const policy = await this.customerPolicy(accountId, arn);
    if (!policy) throw new IamError('NoSuchEntity', iamTexts.policyNotFound(arn));
    // Newest first, as IAM lists them.
    return [...policy.versions].reverse().map((v) => ({
      document: v.document,
      versionId: v.versionId,
      isDefaultVersion: v.versionId === policy.defaultVersionId,
      createDate: v.createdAt,
    }));
  }

  async deletePolicyVersion(accountId: string, arn: string, versionId: string): Promise<void> {
    const policy = await this.requireCustomerPolicy(accountId, arn);
    if (!policy.versions.some((v) => v.versionId === versionId)) {
      throw new IamError('NoSuchEntity', iamTexts.policyVersionNotFound(arn, versionId));
    }
    if (policy.defaultVersionId === versionId) throw new IamError('DeleteConflict', iamTexts.deleteDefaultVersion);
    await this.meta.iam.policies.update(accountId, policy.name, (p) => ({ ...p, versions: p.versions.filter((v) => v.versionId !== versionId) }));
    this.changed(accountId);
  }

  async setDefaultPolicyVersion(accountId: string, arn: string, versionId: string): Promise<void> {
    const policy = await this.requireCustomerPolicy(accountId, arn);
    if (!policy.versions.some((v) => v.versionId === versionId)) {
      throw new IamError('NoSuchEntity', iamTexts.policyVersionNotFound(arn, versionId));
    }
    await this.meta.iam.policies.update(accountId, policy.name, (p) => ({ ...p, defaultVersionId: versionId, updatedAt: this.now() }));
    this.changed(accountId);
  }

  async tagPolicy(accountId: string, arn: string, tags: TagRecord[]): Promise<void> {
    const policy = await this.requireCustomerPolicy(accountId, arn);
    await this.meta.iam.policies.update(accountId, policy.name, (p) => ({ ...p, tags: mergeTags(p.tags, tags) }));
  }

  async untagPolicy(accountId: string, arn: string, keys: string[]): Promise<void> {
    const policy = await this.requireCustomerPolicy(accountId, arn);
    const drop = new Set(keys.map((k) => k.toLowerCase()));
    await this.meta.iam.policies.update(accountId, policy.name, (p) => ({ ...p, tags: p.tags.filter((t) => !drop.has(t.Key.toLowerCase())) }));
  }

  // -------------------------------------------------------------------------------------------
  // Attachments

  async attachPolicy(kind: HolderKind, accountId: string, holderName: string, arn: string): Promise<void> {
    const holder = await this.getHolder(kind, accountId, holderName);
    if ((await this.managedDocument(accountId, arn)) === undefined) throw new IamError('NoSuchEntity', iamTexts.policyNotAttachable(arn));
    if (holder.attachedPolicies.includes(arn)) return;
    if (holder.attachedPolicies.length >= MAX_ATTACHED) throw new IamError('LimitExceeded', iamTexts.attachedQuota(kind));
    await this.holders(kind).update(accountId, holderName, (h) => ({ ...h, attachedPolicies: [...h.attachedPolicies, arn] }));
    this.changed(accountId);
  }

  async detachPolicy(kind: HolderKind, accountId: string, holderName: string, arn: string): Promise<void> {
    const holder = await this.getHolder(kind, accountId, holderName);
    if (!holder.attachedPolicies.includes(arn)) throw new IamError('NoSuchEntity', iamTexts.policyNotFound(arn));
    await this.holders(kind).update(accountId, holderName, (h) => ({ ...h, attachedPolicies: h.attachedPolicies.filter((a) => a !== arn) }));
    this.changed(accountId);
  }

  async listAttached(kind: HolderKind, accountId: string, holderName: string, pathPrefix = '/'): Promise<{ policyName: string; policyArn: string }[]> {
    const holder = await this.getHolder(kind, accountId, holderName);
    const out: { policyName: string; policyArn: string }[] = [];
    for (const arn of holder.attachedPolicies) {
      const parsed = parsePolicyArn(arn);
      if (parsed && parsed.path.startsWith(pathPrefix)) out.push({ policyName: parsed.name, policyArn: arn });
    }
    return out;
  }

  async entitiesForPolicy(accountId: string, arn: string): Promise<{ users: IamUserRecord[]; roles: IamRoleRecord[]; groups: IamGroupRecord[] }> {
    await this.getPolicy(accountId, arn);
    const [users, roles, groups] = await Promise.all([
      this.meta.iam.users.list(accountId),
      this.meta.iam.roles.list(accountId),
      this.meta.iam.groups.list(accountId),
    ]);
    const has = (h: IamPolicyHolder) => h.attachedPolicies.includes(arn);
    return { users: users.filter(has), roles: roles.filter(has), groups: groups.filter(has) };
  }

  // -------------------------------------------------------------------------------------------
  // What evaluation needs

  /**
   * The identity policies, boundary and tags of a user or a role session's role; undefined for
   * principals without identity policies (root, services) or whose entity is gone.
   */
  async identityDocuments(principal: Principal): Promise<IdentityDocuments | undefined> {
    let holder: IamUserRecord | IamRoleRecord | undefined;
    if (principal.kind === 'user') holder = await this.meta.iam.users.get(principal.accountId, principal.userName);
    else if (principal.kind === 'assumed-role') holder = await this.meta.iam.roles.get(principal.accountId, principal.roleName);
    if (!holder) return undefined;
    const policies: { arn?: string; text: string }[] = [];
    const add = async (h: IamPolicyHolder) => {
      for (const text of Object.values(h.inlinePolicies)) policies.push({ text });
      for (const arn of h.attachedPolicies) {
        const text = await this.managedDocument(principal.accountId, arn);
        if (text !== undefined) policies.push({ arn, text });
      }
    };
    await add(holder);
    if ('groups' in holder) {
      for (const name of holder.groups) {
        const group = await this.meta.iam.groups.get(principal.accountId, name);
        if (group) await add(group);
      }
    }
    let boundary: IdentityDocuments['boundary'];
    if (holder.permissionsBoundary !== undefined) {
      const text = await this.managedDocument(principal.accountId, holder.permissionsBoundary);
      // A boundary whose policy is gone allows nothing (IAM refuses to delete it while in use).
      boundary = { arn: holder.permissionsBoundary, text: text ?? '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}' };
    }
    return { policies, ...(boundary ? { boundary } : {}), tags: tagMap(holder.tags) };
  }

  // -------------------------------------------------------------------------------------------

  private async create<T extends IamEntityBase>(records: IamEntityRecords<T>, record: T, existsMessage: string): Promise<void> {
    try {
      await records.create(record);
    } catch (e) {
      if (e instanceof AlreadyExistsError) throw new IamError('EntityAlreadyExists', existsMessage);
      throw e;
    }
    this.changed(record.accountId);
  }
}
