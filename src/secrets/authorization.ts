import type { ResourceFacts, ResourceResolver } from '../iam/authorize.js';
import type { MetaStore } from '../store/meta/meta-store.js';

/**
 * The resource side of a Secrets Manager request for the authorizer: a secret's tags
 * (aws:ResourceTag/*, secretsmanager:ResourceTag/*). Resource policies on secrets are not
 * emulated, so IAM identity policies (and account boundaries) decide.
 */
export function secretsResources(meta: Pick<MetaStore, 'secretsManager'>): ResourceResolver {
  return async (arn): Promise<ResourceFacts | undefined> => {
    const secret = await meta.secretsManager.get(arn);
    if (!secret || secret.tags.length === 0) return undefined;
    return { policies: [], tags: Object.fromEntries(secret.tags.map((t) => [t.Key, t.Value])) };
  };
}
