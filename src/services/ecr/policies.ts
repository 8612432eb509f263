import { type RequestContext, authzSubjectOf } from '../../aws/context.js';
import type { ResourceFacts, ResourceResolver } from '../../iam/authorize.js';
import { parsePolicy, PolicyDocumentError, type Policy } from '../../iam/policy.js';
import {
  InvalidParameterException,
  RegistryPolicyNotFoundException,
  RepositoryPolicyNotFoundException,
} from '../../model/ecr/errors.js';
import type {
  DeleteRegistryPolicyRequest,
  DeleteRegistryPolicyResponse,
  DeleteRepositoryPolicyRequest,
  DeleteRepositoryPolicyResponse,
  GetRegistryPolicyRequest,
  GetRegistryPolicyResponse,
  GetRepositoryPolicyRequest,
  GetRepositoryPolicyResponse,
  PutRegistryPolicyRequest,
  PutRegistryPolicyResponse,
  SetRepositoryPolicyRequest,
  SetRepositoryPolicyResponse,
} from '../../model/ecr/types.js';
import type { RepoKey } from '../../store/meta/meta-store.js';
import { parseRepositoryArn, repositoryArn } from './arns.js';
import type { EcrDeps } from './deps.js';
import { messages } from './messages.js';
import { accountSetting } from './registry-settings.js';
import { registryOf } from './repositories.js';

/**
 * Repository policies and registry policies: stored as given, validated as ECR validates them, and
 * handed to the authorizer as the resource-based policies of every repository ARN.
 *
 * Registry policy scope — source: ECR User Guide, "Private registry permissions": with
 * REGISTRY_POLICY_SCOPE V1 a registry policy may only grant ecr:ReplicateImage,
 * ecr:BatchImportUpstreamImage and ecr:CreateRepository; with V2 (the default for new registries)
 * it may grant any ECR action and applies to every repository of the registry alongside the
 * repository's own policy.
 */
const V1_REGISTRY_ACTIONS = new Set(['ecr:replicateimage', 'ecr:batchimportupstreamimage', 'ecr:createrepository']);

async function registryScope(deps: Pick<EcrDeps, 'meta'>, accountId: string, region: string): Promise<string> {
  return accountSetting(deps, accountId, region, 'REGISTRY_POLICY_SCOPE');
}

/** Why a resource policy is refused: not a policy ECR accepts, or a principal that does not exist. */
type PolicyFault = 'invalid' | 'principalNotFound';

/**
 * Parses a resource policy with IAM's grammar, and resolves its `AWS` principals as ECR does:
 * an account (`123456789012`, `arn:aws:iam::123456789012:root`) is accepted whether or not simfra
 * holds it, as AWS accepts any well-formed account; a user or role of an account simfra holds must
 * exist ("Principal not found" — source: hashicorp/terraform-provider-aws#39064, a role not yet
 * visible to ECR); users and roles of accounts simfra does not hold cannot be checked and are
 * accepted. Statements may share a Sid, as ECR allows.
 */
async function parseResourcePolicy(deps: EcrDeps, text: string): Promise<Policy | PolicyFault> {
  const named: string[] = [];
  let policy: Policy;
  try {
    policy = parsePolicy(text, 'resource', {
      allowLegacyVersion: true,
      allowDuplicateSids: true,
      principalExists: (value) => {
        named.push(value);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof PolicyDocumentError) return 'invalid';
    throw e;
  }
  for (const value of named) {
    if (/^\d{12}$/.test(value) || /^arn:aws[a-z-]*:iam::\d{12}:root$/.test(value)) continue;
    const account = /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/.exec(value)?.[1];
    if (account !== undefined && (await deps.meta.accounts.get(account)) === undefined) continue;
    if (!(await deps.iam.directory.principalExists(value))) return 'principalNotFound';
  }
  return policy;
}

/**
 * A repository policy is an IAM resource policy with ECR actions only and no Resource element
 * (the repository is implied) — source: awsdocs/amazon-ecr-user-guide#20, aws/aws-cdk#3590.
 */
export async function checkRepositoryPolicy(deps: EcrDeps, text: string): Promise<void> {
  const policy = await parseResourcePolicy(deps, text);
  if (policy === 'principalNotFound') throw new InvalidParameterException(messages.principalNotFound);
  const ok =
    policy !== 'invalid' &&
    policy.document.Statement.every(
      (s) =>
        s.Resource === undefined &&
        s.NotResource === undefined &&
        (s.Action ?? s.NotAction ?? []).every((a) => a === '*' || a.toLowerCase().startsWith('ecr:')),
    );
  if (!ok) throw new InvalidParameterException(messages.invalidRepositoryPolicy);
}

async function checkRegistryPolicy(deps: EcrDeps, text: string, scope: string): Promise<void> {
  const policy = await parseResourcePolicy(deps, text);
  if (policy === 'principalNotFound') throw new InvalidParameterException(messages.principalNotFound);
  const allowed = (a: string) => {
    const lower = a.toLowerCase();
    return scope === 'V1' ? V1_REGISTRY_ACTIONS.has(lower) : lower.startsWith('ecr:');
  };
  const ok = policy !== 'invalid' && policy.document.Statement.every((s) => (s.Action ?? s.NotAction ?? []).every(allowed));
  if (!ok) throw new InvalidParameterException(messages.invalidRegistryPolicy);
}

function repoKey(ctx: RequestContext, input: { registryId?: string; repositoryName: string }): RepoKey {
  return { accountId: registryOf(ctx, input), region: ctx.region, name: input.repositoryName };
}

export function setRepositoryPolicy(deps: EcrDeps) {
  return async (ctx: RequestContext, input: SetRepositoryPolicyRequest): Promise<SetRepositoryPolicyResponse> => {
    const key = repoKey(ctx, input);
    await deps.repositories.get(key);
    await checkRepositoryPolicy(deps, input.policyText);
    if (!input.force) {
      // The lock-out guard: without `force`, a policy that would deny the caller the next
      // SetRepositoryPolicy is refused — source: the model's documentation of `force`.
      const denies = await deps.iam.authorizer.resourcePolicyDenies(
        authzSubjectOf(ctx),
        { action: 'ecr:SetRepositoryPolicy', resource: repositoryArn(key.region, key.accountId, key.name) },
        input.policyText,
      );
      if (denies) throw new InvalidParameterException(messages.repositoryPolicyLockOut);
    }
    if (!(await deps.meta.resourcePolicies.putRepositoryPolicy(key, input.policyText))) await deps.repositories.get(key);
    return { registryId: key.accountId, repositoryName: key.name, policyText: input.policyText };
  };
}

export function getRepositoryPolicy(deps: EcrDeps) {
  return async (ctx: RequestContext, input: GetRepositoryPolicyRequest): Promise<GetRepositoryPolicyResponse> => {
    const key = repoKey(ctx, input);
    await deps.repositories.get(key);
    const policyText = await deps.meta.resourcePolicies.getRepositoryPolicy(key);
    if (policyText === undefined) throw new RepositoryPolicyNotFoundException(messages.repositoryPolicyNotFound(key.name, key.accountId));
    return { registryId: key.accountId, repositoryName: key.name, policyText };
  };
}

export function deleteRepositoryPolicy(deps: EcrDeps) {
  return async (ctx: RequestContext, input: DeleteRepositoryPolicyRequest): Promise<DeleteRepositoryPolicyResponse> => {
    const key = repoKey(ctx, input);
    await deps.repositories.get(key);
    const policyText = await deps.meta.resourcePolicies.deleteRepositoryPolicy(key);
    if (policyText === undefined) throw new RepositoryPolicyNotFoundException(messages.repositoryPolicyNotFound(key.name, key.accountId));
    return { registryId: key.accountId, repositoryName: key.name, policyText };
  };
}

export function putRegistryPolicy(deps: EcrDeps) {
  return async (ctx: RequestContext, input: PutRegistryPolicyRequest): Promise<PutRegistryPolicyResponse> => {
    await checkRegistryPolicy(deps, input.policyText, await registryScope(deps, ctx.accountId, ctx.region));
    await deps.meta.resourcePolicies.putRegistryPolicy(ctx.accountId, ctx.region, input.policyText);
    return { registryId: ctx.accountId, policyText: input.policyText };
  };
}

export function getRegistryPolicy(deps: EcrDeps) {
  return async (ctx: RequestContext, _input: GetRegistryPolicyRequest): Promise<GetRegistryPolicyResponse> => {
    const policyText = await deps.meta.resourcePolicies.getRegistryPolicy(ctx.accountId, ctx.region);
    if (policyText === undefined) throw new RegistryPolicyNotFoundException(messages.registryPolicyNotFound(ctx.accountId));
    return { registryId: ctx.accountId, policyText };
  };
}

export function deleteRegistryPolicy(deps: EcrDeps) {
  return async (ctx: RequestContext, _input: DeleteRegistryPolicyRequest): Promise<DeleteRegistryPolicyResponse> => {
    const policyText = await deps.meta.resourcePolicies.deleteRegistryPolicy(ctx.accountId, ctx.region);
    if (policyText === undefined) throw new RegistryPolicyNotFoundException(messages.registryPolicyNotFound(ctx.accountId));
    return { registryId: ctx.accountId, policyText };
  };
}

/**
 * The resource side of an ECR request for the authorizer: for a repository ARN, the registry
 * policy (when its scope covers the action) and the repository policy, and the repository's tags
 * (aws:ResourceTag / ecr:ResourceTag).
 */
export function ecrResources(deps: Pick<EcrDeps, 'meta'>): ResourceResolver {
  return async (arn, action): Promise<ResourceFacts | undefined> => {
    const parsed = parseRepositoryArn(arn);
    if (!parsed) return undefined;
    const key: RepoKey = { accountId: parsed.accountId, region: parsed.region, name: parsed.name };
    const policies: string[] = [];
    const registryPolicy = await deps.meta.resourcePolicies.getRegistryPolicy(key.accountId, key.region);
    if (registryPolicy !== undefined) {
      const scope = await registryScope(deps, key.accountId, key.region);
      if (scope === 'V2' || V1_REGISTRY_ACTIONS.has(action.toLowerCase())) policies.push(registryPolicy);
    }
    if (parsed.name.includes('*')) return { policies };
    const repositoryPolicy = await deps.meta.resourcePolicies.getRepositoryPolicy(key);
    if (repositoryPolicy !== undefined) policies.push(repositoryPolicy);
    const repo = await deps.meta.repositories.get(key);
    const tags = repo && repo.tags.length > 0 ? Object.fromEntries(repo.tags.map((t) => [t.Key, t.Value])) : undefined;
    return { policies, ...(tags ? { tags } : {}) };
  };
}
