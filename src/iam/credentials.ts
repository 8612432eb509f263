import type { AccessKeyRecord, MetaStore } from '../store/meta/meta-store.js';
import { rootPrincipal, type Principal } from './principal.js';

export interface ResolvedCredential {
  secretAccessKey: string;
  /** Required for temporary (ASIA…) credentials; must match X-Amz-Security-Token. */
  sessionToken?: string;
  principal: Principal;
  expiresAt?: Date;
}

/** Finds the secret and principal of an access key (for SigV4 verification). */
export interface CredentialResolver {
  resolve(accessKeyId: string): ResolvedCredential | undefined;
}

/** The principal an access key stands for. */
export function principalOfKey(key: AccessKeyRecord): Principal {
  const { accountId, accessKeyId } = key;
  switch (key.owner.kind) {
    case 'root':
      return rootPrincipal(accountId, accessKeyId);
    case 'user':
      return {
        kind: 'user',
        accountId,
        accessKeyId,
        userName: key.owner.userName,
        path: '/',
        arn: `arn:aws:iam::${accountId}:user/${key.owner.userName}`,
        userId: accessKeyId,
      };
    case 'assumed-role':
      return {
        kind: 'assumed-role',
        accountId,
        accessKeyId,
        roleName: key.owner.roleName,
        roleArn: `arn:aws:iam::${accountId}:role/${key.owner.roleName}`,
        sessionName: key.owner.sessionName,
        arn: `arn:aws:sts::${accountId}:assumed-role/${key.owner.roleName}/${key.owner.sessionName}`,
        userId: `${accessKeyId}:${key.owner.sessionName}`,
        expiresAt: key.expiresAt ?? new Date(8.64e15),
      };
  }
}

/** Resolves access keys for SigV4 from the metadata store (cached there). */
export class StoredCredentials implements CredentialResolver {
  constructor(private readonly meta: MetaStore) {}

  resolve(accessKeyId: string): ResolvedCredential | undefined {
    const key = this.meta.accessKeys.getSync(accessKeyId);
    if (!key || key.status !== 'Active') return undefined;
    return {
      secretAccessKey: key.secretAccessKey,
      ...(key.sessionToken !== undefined ? { sessionToken: key.sessionToken } : {}),
      ...(key.expiresAt ? { expiresAt: key.expiresAt } : {}),
      principal: principalOfKey(key),
    };
  }
}
