import type { MetaStore } from '../store/meta/meta-store.js';
import type { Principal } from './principal.js';

/**
 * What makes a principal this one and not a later namesake: the unique id IAM gave the user
 * (`AIDA…`) or the role (`AROA…`), and for an account's root the moment the account was created.
 * A user deleted and created again under the same name, a role re-created, an account deleted and
 * re-created with the same id: each is another identity, so what was issued to the old one (a
 * registry token) no longer works — as in AWS, where the ids never repeat. Undefined when the
 * principal no longer exists.
 */
export async function principalIdentity(meta: MetaStore, p: Principal): Promise<string | undefined> {
  switch (p.kind) {
    case 'root': {
      const account = await meta.accounts.get(p.accountId);
      return account && `account:${p.accountId}:${account.createdAt.getTime()}`;
    }
    case 'user':
      return (await meta.iam.users.get(p.accountId, p.userName))?.id;
    case 'assumed-role':
      return (await meta.iam.roles.get(p.accountId, p.roleName))?.id;
    case 'service':
      return `service:${p.serviceName}`;
  }
}
