import type { AccessKeyRecord, MetaStore } from '../store/meta/meta-store.js';
import { assumedRoleArn, roleArn, rootPrincipal, userArn, type Principal } from './principal.js';

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
    case 'user': {
      const path = key.owner.path ?? '/';
      return {
        kind: 'user',
        accountId,
        accessKeyId,
        userName: key.owner.userName,
        path,
        arn: userArn(accountId, path, key.owner.userName),
        userId: key.owner.userId ?? accessKeyId,
      };
    }
    case 'assumed-role': {
      const o = key.owner;
      return {
        kind: 'assumed-role',
        accountId,
        accessKeyId,
        roleName: o.roleName,
        roleArn: roleArn(accountId, o.rolePath ?? '/', o.roleName),
        sessionName: o.sessionName,
        arn: assumedRoleArn(accountId, o.roleName, o.sessionName),
        userId: `${o.roleId ?? accessKeyId}:${o.sessionName}`,
        expiresAt: key.expiresAt ?? new Date(8.64e15),
        ...(o.sessionPolicy !== undefined ? { sessionPolicy: o.sessionPolicy } : {}),
        ...(o.sessionPolicyArns !== undefined ? { sessionPolicyArns: o.sessionPolicyArns } : {}),
        ...(o.sessionTags !== undefined ? { sessionTags: o.sessionTags } : {}),
      };
    }
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
