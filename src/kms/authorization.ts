import type { AuthzSubject, PolicyAuthorizer, ResourceFacts, ResourceResolver } from '../iam/authorize.js';
import type { IamDirectory } from '../iam/directory.js';
import { IamError } from '../iam/errors.js';
import type { Policy } from '../iam/policy.js';
import type { MetaStore } from '../store/meta/meta-store.js';
import { KmsError } from './errors.js';
import { grantsPolicy, parseKmsArn, type KeyPolicyChecks } from './keys.js';
import { kmsMessages } from './messages.js';

/**
 * The resource side of a KMS request for the authorizer: a key ARN brings its key policy as the
 * primary control (`primary`: without an Allow in it nothing is allowed, see evaluate.ts) and its
 * tags (aws:ResourceTag, kms:ResourceTag). Alias ARNs have no policy: IAM policies decide.
 */
export function kmsResources(meta: Pick<MetaStore, 'kms'>): ResourceResolver {
  return async (arn): Promise<ResourceFacts | undefined> => {
    const parsed = parseKmsArn(arn);
    if (!parsed || parsed.kind !== 'key') return undefined;
    const key = await meta.kms.getKey(parsed.id);
    // A key that is gone has no policy that could allow anything.
    if (!key || key.accountId !== parsed.accountId) return { policies: [], primary: true };
    const tags = key.tags.length > 0 ? Object.fromEntries(key.tags.map((t) => [t.Key, t.Value])) : undefined;
    const grants = grantsPolicy(key.grants ?? []);
    return { policies: grants ? [key.policy, grants] : [key.policy], primary: true, ...(tags ? { tags } : {}) };
  };
}

/** Key policy checks on the IAM engine: IAM's validator (principals must exist) and the lock-out rule. */
export function keyPolicyChecks(directory: IamDirectory, authorizer: PolicyAuthorizer): KeyPolicyChecks {
  return {
    async validate(text: string): Promise<Policy> {
      try {
        return await directory.validatePrincipalDocument(text, 'resource', { allowLegacyVersion: true });
      } catch (e) {
        if (e instanceof IamError) {
          const principals = /principal/i.test(e.message);
          throw new KmsError('MalformedPolicyDocument', principals ? kmsMessages.invalidPrincipals : kmsMessages.malformedPolicy);
        }
        throw e;
      }
    },
    allowsPutKeyPolicy(subject: AuthzSubject, keyArn: string, text: string): Promise<boolean> {
      return authorizer.allowedUnderPrimaryPolicy(subject, { action: 'kms:PutKeyPolicy', resource: keyArn, context: { 'kms:CallerAccount': subject.principal.accountId } }, text);
    },
  };
}
