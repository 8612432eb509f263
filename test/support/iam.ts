import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { Credentials } from './clients.js';
import { REGION, ROOT } from './server.js';
import { adminFetch } from './admin.js';

export function iamClient(url: string, credentials: Credentials = ROOT): IAMClient {
  return new IAMClient({ endpoint: url, region: REGION, credentials, maxAttempts: 1 });
}

export function stsClient(url: string, credentials: Credentials = ROOT, region = REGION): STSClient {
  return new STSClient({ endpoint: url, region, credentials, maxAttempts: 1 });
}

export const MANAGED = {
  admin: 'arn:aws:iam::aws:policy/AdministratorAccess',
  full: 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryFullAccess',
  powerUser: 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser',
  readOnly: 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
  pullOnly: 'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly',
} as const;

export const doc = (statements: readonly Record<string, unknown>[]): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements });

/** A user with an access key, its managed policies attached and its inline policies put. */
export async function makeUser(
  url: string,
  userName: string,
  opts: { managed?: readonly string[]; inline?: Readonly<Record<string, string>>; admin?: Credentials } = {},
): Promise<Credentials & { arn: string; userId: string }> {
  const iam = iamClient(url, opts.admin ?? ROOT);
  try {
    const { User } = await iam.send(new CreateUserCommand({ UserName: userName }));
    for (const arn of opts.managed ?? []) await iam.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: arn }));
    for (const [name, text] of Object.entries(opts.inline ?? {})) {
      await iam.send(new PutUserPolicyCommand({ UserName: userName, PolicyName: name, PolicyDocument: text }));
    }
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    return { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey!, arn: User!.Arn!, userId: User!.UserId! };
  } finally {
    iam.destroy();
  }
}

/** A role trusting `trusted` (an account id or ARN), with managed policies attached. */
export async function makeRole(
  url: string,
  roleName: string,
  trusted: string,
  opts: { managed?: readonly string[]; admin?: Credentials; condition?: Record<string, unknown> } = {},
): Promise<string> {
  const iam = iamClient(url, opts.admin ?? ROOT);
  try {
    const trust = doc([
      { Effect: 'Allow', Principal: { AWS: trusted }, Action: 'sts:AssumeRole', ...(opts.condition ? { Condition: opts.condition } : {}) },
    ]);
    const { Role } = await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trust }));
    for (const arn of opts.managed ?? []) await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: arn }));
    return Role!.Arn!;
  } finally {
    iam.destroy();
  }
}

/** Temporary credentials of a role session. */
export async function assumeRole(
  url: string,
  caller: Credentials,
  roleArn: string,
  sessionName: string,
  extra: { ExternalId?: string; Policy?: string; DurationSeconds?: number } = {},
): Promise<Credentials & { arn: string }> {
  const sts = stsClient(url, caller);
  try {
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, ...extra }));
    const c = out.Credentials!;
    return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken!, arn: out.AssumedRoleUser!.Arn! };
  } finally {
    sts.destroy();
  }
}

/** A second account through the admin API; returns its root credentials. */
export async function makeAccount(url: string, accountId: string): Promise<Credentials> {
  const res = await adminFetch(url, '/accounts', { method: 'POST', body: JSON.stringify({ accountId }) });
  if (res.status !== 201) throw new Error(`account ${accountId}: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { accessKeyId: string; secretAccessKey: string };
  return { accessKeyId: body.accessKeyId, secretAccessKey: body.secretAccessKey };
}

/** AWS's implicit-deny text. */
export const noIdentityAllow = (arn: string, action: string, resource: string): string =>
  `User: ${arn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

export const noResourceAllow = (arn: string, action: string, resource: string): string =>
  `User: ${arn} is not authorized to perform: ${action} on resource: ${resource} because no resource-based policy allows the ${action} action`;

export const explicitDeny = (arn: string, action: string, resource: string, where: string): string =>
  `User: ${arn} is not authorized to perform: ${action} on resource: ${resource} with an explicit deny in ${where}`;
