/**
 * Who is calling. Every AWS request and every registry request resolves to one of these; the
 * IAM engine evaluates policies for it. Root is the account itself; users, assumed-role sessions
 * and service principals come from the IAM and STS services.
 */
export type Principal = RootPrincipal | UserPrincipal | AssumedRolePrincipal | ServicePrincipal;

interface PrincipalBase {
  accountId: string;
  /** The ARN AWS names in denials and GetCallerIdentity. */
  arn: string;
  /** GetCallerIdentity's UserId: the account id for root, AIDA… for users, AROA…:session for roles. */
  userId: string;
  /** Access key the request was signed with, if any. */
  accessKeyId?: string;
}

export interface RootPrincipal extends PrincipalBase {
  kind: 'root';
}

export interface UserPrincipal extends PrincipalBase {
  kind: 'user';
  userName: string;
  path: string;
}

export interface AssumedRolePrincipal extends PrincipalBase {
  kind: 'assumed-role';
  roleName: string;
  roleArn: string;
  sessionName: string;
  /** When the temporary credentials stop working. */
  expiresAt: Date;
  /** Session policies passed to AssumeRole; they bound what the session may do. */
  sessionPolicy?: string;
  sessionPolicyArns?: string[];
  /** Session tags (aws:PrincipalTag), overriding the role's tags of the same key. */
  sessionTags?: Record<string, string>;
}

export interface ServicePrincipal extends PrincipalBase {
  kind: 'service';
  /** e.g. lambda.amazonaws.com */
  serviceName: string;
}

export function rootPrincipal(accountId: string, accessKeyId?: string): RootPrincipal {
  return { kind: 'root', accountId, arn: `arn:aws:iam::${accountId}:root`, userId: accountId, accessKeyId };
}

export const userArn = (accountId: string, path: string, userName: string): string =>
  `arn:aws:iam::${accountId}:user${path}${userName}`;
export const roleArn = (accountId: string, path: string, roleName: string): string =>
  `arn:aws:iam::${accountId}:role${path}${roleName}`;
export const assumedRoleArn = (accountId: string, roleName: string, sessionName: string): string =>
  `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;

/** A service principal acting for `accountId` (the account whose resource it reaches for), e.g. Lambda pulling an image. */
export function servicePrincipal(serviceName: string, accountId: string): ServicePrincipal {
  return { kind: 'service', serviceName, accountId, arn: serviceName, userId: serviceName };
}
