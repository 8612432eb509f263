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
}

export interface ServicePrincipal extends PrincipalBase {
  kind: 'service';
  /** e.g. lambda.amazonaws.com */
  serviceName: string;
}

export function rootPrincipal(accountId: string, accessKeyId?: string): RootPrincipal {
  return { kind: 'root', accountId, arn: `arn:aws:iam::${accountId}:root`, userId: accountId, accessKeyId };
}
