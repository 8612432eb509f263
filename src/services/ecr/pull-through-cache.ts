/**
 * Pull-through cache rules (issue 14): Create / Describe / Update / Delete /
 * ValidatePullThroughCacheRule. The pull itself is pull-through.ts.
 *
 * Rules — sources: ECR API reference (CreatePullThroughCacheRule and the others), user guide
 * "Sync an upstream registry with an Amazon ECR private registry", "Creating a pull through
 * cache rule", "Customizing repository prefixes for ECR to ECR pull through cache":
 * - `ecrRepositoryPrefix` has "an assumed / applied to the end"; `ROOT` covers every repository
 *   no other rule covers (ECR-to-ECR);
 * - `upstreamRegistryUrl` per upstream registry: registry-1.docker.io, public.ecr.aws, quay.io,
 *   registry.k8s.io, ghcr.io, <custom>.azurecr.io, registry.gitlab.com, cgr.dev,
 *   <account>.dkr.ecr.<region>.amazonaws.com; without `upstreamRegistry` the URL names it;
 * - "Docker Hub, Microsoft Azure Container Registry, GitHub Container Registry, GitLab Container
 *   Registry and Chainguard Registry (requires authentication with … Secrets Manager secret)";
 *   ECR Public, Kubernetes and Quay do not (a secret may still be given); ECR "requires
 *   authentication with … IAM role". The secret's name begins with `ecr-pullthroughcache/`, it
 *   is in the rule's account and Region, and holds `username` and `accessToken`;
 * - `customRoleArn` and `upstreamRepositoryPrefix` are ECR-to-ECR only; the role is required when
 *   the upstream registry is another account's and must be in the registry's account;
 *   `upstreamRepositoryPrefix` only with a non-ROOT `ecrRepositoryPrefix`;
 * - 50 rules per registry (ECR service quotas).
 */
import type { RequestContext } from '../../aws/context.js';
import {
  InvalidParameterException,
  LimitExceededException,
  PullThroughCacheRuleAlreadyExistsException,
  PullThroughCacheRuleNotFoundException,
  SecretNotFoundException,
  UnableToAccessSecretException,
  UnableToDecryptSecretValueException,
  UnsupportedUpstreamRegistryException,
} from '../../model/ecr/errors.js';
import type {
  CreatePullThroughCacheRuleRequest,
  CreatePullThroughCacheRuleResponse,
  DeletePullThroughCacheRuleRequest,
  DeletePullThroughCacheRuleResponse,
  DescribePullThroughCacheRulesRequest,
  DescribePullThroughCacheRulesResponse,
  PullThroughCacheRule,
  UpdatePullThroughCacheRuleRequest,
  UpdatePullThroughCacheRuleResponse,
  ValidatePullThroughCacheRuleRequest,
  ValidatePullThroughCacheRuleResponse,
} from '../../model/ecr/types.js';
import type { UpstreamRegistry } from '../../model/ecr/enums.js';
import { AlreadyExistsError, type PullThroughCacheRuleRecord } from '../../store/meta/meta-store.js';
import type { EcrDeps } from './deps.js';
import { ptcMessages } from './messages.js';
import { decodeToken, encodeToken } from './paging.js';
import { SecretReadError, type PullThroughCache } from './pull-through.js';

export const ROOT_PREFIX = 'ROOT';

/** Rules per registry — source: ECR user guide, "Amazon ECR service quotas" (pull through cache rules). */
export const MAX_PULL_THROUGH_CACHE_RULES = 50;

interface UpstreamKind {
  url: RegExp;
  /** `required`: the registry needs a secret; `optional`: one may be given; `none`: ECR-to-ECR (IAM). */
  credentials: 'required' | 'optional' | 'none';
}

/** Every `upstreamRegistry` of the model with its URL and authentication. */
export const UPSTREAM_REGISTRIES: Readonly<Record<UpstreamRegistry, UpstreamKind>> = {
  ecr: { url: /^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com$/, credentials: 'none' },
  'ecr-public': { url: /^public\.ecr\.aws$/, credentials: 'optional' },
  quay: { url: /^quay\.io$/, credentials: 'optional' },
  k8s: { url: /^registry\.k8s\.io$/, credentials: 'optional' },
  'docker-hub': { url: /^registry-1\.docker\.io$/, credentials: 'required' },
  'github-container-registry': { url: /^ghcr\.io$/, credentials: 'required' },
  'azure-container-registry': { url: /^[a-z0-9]{5,50}\.azurecr\.io$/, credentials: 'required' },
  'gitlab-container-registry': { url: /^registry\.gitlab\.com$/, credentials: 'required' },
  chainguard: { url: /^cgr\.dev$/, credentials: 'required' },
};

/** The `<account>` and `<region>` of an ECR upstream URL. */
export function ecrUpstreamOf(url: string): { accountId: string; region: string } | undefined {
  const m = UPSTREAM_REGISTRIES.ecr.url.exec(url);
  return m ? { accountId: m[1]!, region: m[2]! } : undefined;
}

/** Whether `prefix` covers repository `name` (`prod` covers `prod/app`; `ROOT` covers all). */
export function ruleCovers(prefix: string, name: string): boolean {
  if (prefix === ROOT_PREFIX) return true;
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return name.startsWith(base) && name.length > base.length;
}

/** The rule for repository `name`: the longest prefix that covers it, else ROOT. */
export function matchRule<T extends Pick<PullThroughCacheRuleRecord, 'prefix'>>(rules: readonly T[], name: string): T | undefined {
  let best: T | undefined;
  for (const r of rules) {
    if (r.prefix === ROOT_PREFIX || !ruleCovers(r.prefix, name)) continue;
    if (best === undefined || trim(r.prefix).length > trim(best.prefix).length) best = r;
  }
  return best ?? rules.find((r) => r.prefix === ROOT_PREFIX);
}

/** The upstream repository of cached repository `name` under `rule`. */
export function upstreamNameOf(rule: Pick<PullThroughCacheRuleRecord, 'prefix' | 'upstreamRepositoryPrefix'>, name: string): string {
  const rest = rule.prefix === ROOT_PREFIX ? name : name.slice(trim(rule.prefix).length + 1);
  const up = rule.upstreamRepositoryPrefix;
  return up === undefined || up === ROOT_PREFIX ? rest : `${trim(up)}/${rest}`;
}

const trim = (prefix: string): string => prefix.replace(/\/$/, '');

function ruleOutput(r: PullThroughCacheRuleRecord): PullThroughCacheRule {
  return {
    ecrRepositoryPrefix: r.prefix,
    upstreamRegistryUrl: r.upstreamRegistryUrl,
    createdAt: r.createdAt,
    registryId: r.accountId,
    ...(r.credentialArn !== undefined ? { credentialArn: r.credentialArn } : {}),
    ...(r.customRoleArn !== undefined ? { customRoleArn: r.customRoleArn } : {}),
    ...(r.upstreamRepositoryPrefix !== undefined ? { upstreamRepositoryPrefix: r.upstreamRepositoryPrefix } : {}),
    upstreamRegistry: r.upstreamRegistry as UpstreamRegistry,
    updatedAt: r.updatedAt,
  };
}

/** The upstream registry a URL names (when `upstreamRegistry` is not given). */
function upstreamOfUrl(url: string): UpstreamRegistry | undefined {
  for (const [name, kind] of Object.entries(UPSTREAM_REGISTRIES)) if (kind.url.test(url)) return name as UpstreamRegistry;
  return undefined;
}

const SECRET_ARN = /^arn:aws(?:-\w+)*:secretsmanager:([a-z0-9-]+):(\d{12}):secret:ecr-pullthroughcache\/.+$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]+$/;

/** Checks a credentialArn as ECR does: in the rule's account and Region, and readable. */
async function checkCredential(ctx: RequestContext, deps: EcrDeps, arn: string): Promise<void> {
  const m = SECRET_ARN.exec(arn);
  if (!m || m[1] !== ctx.region || m[2] !== ctx.accountId) throw new InvalidParameterException(ptcMessages.credentialElsewhere(arn));
  await readCredentials(deps, ctx.accountId, ctx.region, arn);
}

/** The secret's username and accessToken; Secrets Manager's failures as ECR's exceptions. */
export async function readCredentials(
  deps: Pick<EcrDeps, 'pullThrough'>,
  accountId: string,
  region: string,
  arn: string,
): Promise<{ username: string; password: string }> {
  try {
    return await deps.pullThrough!.credentials(accountId, region, arn);
  } catch (e) {
    if (!(e instanceof SecretReadError)) throw e;
    switch (e.kind) {
      case 'not-found':
        throw new SecretNotFoundException(ptcMessages.secretNotFound(arn));
      case 'decrypt':
        throw new UnableToDecryptSecretValueException(ptcMessages.secretUndecryptable(arn));
      case 'access':
        throw new UnableToAccessSecretException(ptcMessages.secretUnreadable(arn));
    }
  }
}

function checkCustomRole(ctx: RequestContext, arn: string): void {
  // "This role must be in the same account as the registry that you are configuring." — API reference.
  const m = ROLE_ARN.exec(arn);
  if (!m || m[1] !== ctx.accountId) throw new InvalidParameterException(ptcMessages.customRoleInvalid(arn));
}

export function createPullThroughCacheRule(deps: EcrDeps) {
  return async (ctx: RequestContext, input: CreatePullThroughCacheRuleRequest): Promise<CreatePullThroughCacheRuleResponse> => {
    const prefix = input.ecrRepositoryPrefix;
    // The URL is a host name as the API reference lists them (no scheme, no path).
    const url = input.upstreamRegistryUrl;
    const upstreamRegistry = input.upstreamRegistry ?? upstreamOfUrl(url);
    if (upstreamRegistry === undefined) throw new UnsupportedUpstreamRegistryException(ptcMessages.unsupportedUpstreamUrl(input.upstreamRegistryUrl));
    const kind = UPSTREAM_REGISTRIES[upstreamRegistry];
    if (!kind.url.test(url)) throw new UnsupportedUpstreamRegistryException(ptcMessages.unsupportedUpstreamUrl(input.upstreamRegistryUrl));
    const isEcr = upstreamRegistry === 'ecr';
    if (prefix === ROOT_PREFIX && !isEcr) throw new InvalidParameterException(ptcMessages.rootOnlyForEcr);
    if (!isEcr && input.customRoleArn !== undefined) throw new InvalidParameterException(ptcMessages.onlyForEcr('customRoleArn'));
    if (!isEcr && input.upstreamRepositoryPrefix !== undefined) throw new InvalidParameterException(ptcMessages.onlyForEcr('upstreamRepositoryPrefix'));
    if (input.upstreamRepositoryPrefix !== undefined && input.upstreamRepositoryPrefix !== ROOT_PREFIX && prefix === ROOT_PREFIX) {
      throw new InvalidParameterException(ptcMessages.upstreamPrefixWithRoot);
    }
    if (kind.credentials === 'none' && input.credentialArn !== undefined) throw new InvalidParameterException(ptcMessages.credentialNotAllowed(upstreamRegistry));
    if (kind.credentials === 'required' && input.credentialArn === undefined) throw new InvalidParameterException(ptcMessages.credentialRequired(upstreamRegistry));
    if (isEcr) {
      const up = ecrUpstreamOf(url)!;
      if (up.accountId === ctx.accountId && up.region === ctx.region) throw new InvalidParameterException(ptcMessages.upstreamIsSelf);
      if (input.customRoleArn !== undefined) checkCustomRole(ctx, input.customRoleArn);
      else if (up.accountId !== ctx.accountId) throw new InvalidParameterException(ptcMessages.customRoleRequired);
    }
    const existing = await deps.meta.pullThroughCache.all(ctx.accountId, ctx.region);
    if (existing.some((r) => trim(r.prefix) === trim(prefix))) {
      throw new PullThroughCacheRuleAlreadyExistsException(ptcMessages.ruleAlreadyExists(prefix, ctx.accountId));
    }
    if (existing.length >= MAX_PULL_THROUGH_CACHE_RULES) {
      throw new LimitExceededException(ptcMessages.limitExceeded(MAX_PULL_THROUGH_CACHE_RULES, ctx.accountId));
    }
    if (input.credentialArn !== undefined) await checkCredential(ctx, deps, input.credentialArn);
    const now = ctx.clock.now();
    const record: PullThroughCacheRuleRecord = {
      accountId: ctx.accountId,
      region: ctx.region,
      prefix,
      upstreamRegistry,
      upstreamRegistryUrl: url,
      ...(input.credentialArn !== undefined ? { credentialArn: input.credentialArn } : {}),
      ...(input.customRoleArn !== undefined ? { customRoleArn: input.customRoleArn } : {}),
      ...(isEcr ? { upstreamRepositoryPrefix: input.upstreamRepositoryPrefix ?? ROOT_PREFIX } : {}),
      createdAt: now,
      updatedAt: now,
    };
    try {
      await deps.meta.pullThroughCache.create(record);
    } catch (e) {
      if (e instanceof AlreadyExistsError) throw new PullThroughCacheRuleAlreadyExistsException(ptcMessages.ruleAlreadyExists(prefix, ctx.accountId));
      throw e;
    }
    const out = ruleOutput(record);
    return {
      ecrRepositoryPrefix: out.ecrRepositoryPrefix!,
      upstreamRegistryUrl: out.upstreamRegistryUrl!,
      createdAt: record.createdAt,
      registryId: ctx.accountId,
      upstreamRegistry,
      ...(record.credentialArn !== undefined ? { credentialArn: record.credentialArn } : {}),
      ...(record.customRoleArn !== undefined ? { customRoleArn: record.customRoleArn } : {}),
      ...(record.upstreamRepositoryPrefix !== undefined ? { upstreamRepositoryPrefix: record.upstreamRepositoryPrefix } : {}),
    };
  };
}

const DEFAULT_PAGE = 100;

export function describePullThroughCacheRules(deps: EcrDeps) {
  return async (ctx: RequestContext, input: DescribePullThroughCacheRulesRequest): Promise<DescribePullThroughCacheRulesResponse> => {
    const scope = `ptc/${ctx.accountId}/${ctx.region}`;
    const after = input.nextToken === undefined ? undefined : decodeToken(input.nextToken, scope);
    let all = await deps.meta.pullThroughCache.all(ctx.accountId, ctx.region);
    if (input.ecrRepositoryPrefixes !== undefined) {
      const have = new Set(all.map((r) => r.prefix));
      const missing = input.ecrRepositoryPrefixes.find((p) => !have.has(p));
      if (missing !== undefined) throw new PullThroughCacheRuleNotFoundException(ptcMessages.ruleNotFound(missing, ctx.accountId));
      const wanted = new Set(input.ecrRepositoryPrefixes);
      all = all.filter((r) => wanted.has(r.prefix));
    }
    const rest = after === undefined ? all : all.filter((r) => r.prefix > after);
    const limit = input.maxResults ?? DEFAULT_PAGE;
    const page = rest.slice(0, limit);
    return {
      pullThroughCacheRules: page.map(ruleOutput),
      ...(rest.length > limit ? { nextToken: encodeToken(page[page.length - 1]!.prefix, scope) } : {}),
    };
  };
}

async function requireRule(ctx: RequestContext, deps: EcrDeps, prefix: string): Promise<PullThroughCacheRuleRecord> {
  const rule = await deps.meta.pullThroughCache.get(ctx.accountId, ctx.region, prefix);
  if (!rule) throw new PullThroughCacheRuleNotFoundException(ptcMessages.ruleNotFound(prefix, ctx.accountId));
  return rule;
}

export function updatePullThroughCacheRule(deps: EcrDeps) {
  return async (ctx: RequestContext, input: UpdatePullThroughCacheRuleRequest): Promise<UpdatePullThroughCacheRuleResponse> => {
    const rule = await requireRule(ctx, deps, input.ecrRepositoryPrefix);
    if (input.credentialArn === undefined && input.customRoleArn === undefined) throw new InvalidParameterException(ptcMessages.updateNothing);
    const kind = UPSTREAM_REGISTRIES[rule.upstreamRegistry as UpstreamRegistry];
    if (input.credentialArn !== undefined && kind.credentials === 'none') throw new InvalidParameterException(ptcMessages.credentialNotAllowed(rule.upstreamRegistry));
    if (input.customRoleArn !== undefined && rule.upstreamRegistry !== 'ecr') throw new InvalidParameterException(ptcMessages.onlyForEcr('customRoleArn'));
    if (input.customRoleArn !== undefined) checkCustomRole(ctx, input.customRoleArn);
    if (input.credentialArn !== undefined) await checkCredential(ctx, deps, input.credentialArn);
    const updated: PullThroughCacheRuleRecord = {
      ...rule,
      ...(input.credentialArn !== undefined ? { credentialArn: input.credentialArn } : {}),
      ...(input.customRoleArn !== undefined ? { customRoleArn: input.customRoleArn } : {}),
      updatedAt: ctx.clock.now(),
    };
    if (!(await deps.meta.pullThroughCache.replace(updated))) {
      throw new PullThroughCacheRuleNotFoundException(ptcMessages.ruleNotFound(input.ecrRepositoryPrefix, ctx.accountId));
    }
    return {
      ecrRepositoryPrefix: updated.prefix,
      registryId: ctx.accountId,
      updatedAt: updated.updatedAt,
      ...(updated.credentialArn !== undefined ? { credentialArn: updated.credentialArn } : {}),
      ...(updated.customRoleArn !== undefined ? { customRoleArn: updated.customRoleArn } : {}),
      ...(updated.upstreamRepositoryPrefix !== undefined ? { upstreamRepositoryPrefix: updated.upstreamRepositoryPrefix } : {}),
    };
  };
}

export function deletePullThroughCacheRule(deps: EcrDeps) {
  return async (ctx: RequestContext, input: DeletePullThroughCacheRuleRequest): Promise<DeletePullThroughCacheRuleResponse> => {
    const removed = await deps.meta.pullThroughCache.delete(ctx.accountId, ctx.region, input.ecrRepositoryPrefix);
    if (!removed) throw new PullThroughCacheRuleNotFoundException(ptcMessages.ruleNotFound(input.ecrRepositoryPrefix, ctx.accountId));
    return {
      ecrRepositoryPrefix: removed.prefix,
      upstreamRegistryUrl: removed.upstreamRegistryUrl,
      createdAt: removed.createdAt,
      registryId: ctx.accountId,
      ...(removed.credentialArn !== undefined ? { credentialArn: removed.credentialArn } : {}),
      ...(removed.customRoleArn !== undefined ? { customRoleArn: removed.customRoleArn } : {}),
      ...(removed.upstreamRepositoryPrefix !== undefined ? { upstreamRepositoryPrefix: removed.upstreamRepositoryPrefix } : {}),
    };
  };
}

/** Tries the upstream with the rule's credentials (or role) and says whether it works. */
export function validatePullThroughCacheRule(deps: EcrDeps) {
  return async (ctx: RequestContext, input: ValidatePullThroughCacheRuleRequest): Promise<ValidatePullThroughCacheRuleResponse> => {
    const rule = await requireRule(ctx, deps, input.ecrRepositoryPrefix);
    const failure = await (deps.pullThrough as PullThroughCache).validate(rule);
    return {
      ecrRepositoryPrefix: rule.prefix,
      registryId: ctx.accountId,
      upstreamRegistryUrl: rule.upstreamRegistryUrl,
      ...(rule.credentialArn !== undefined ? { credentialArn: rule.credentialArn } : {}),
      ...(rule.customRoleArn !== undefined ? { customRoleArn: rule.customRoleArn } : {}),
      ...(rule.upstreamRepositoryPrefix !== undefined ? { upstreamRepositoryPrefix: rule.upstreamRepositoryPrefix } : {}),
      isValid: failure === undefined,
      ...(failure !== undefined ? { failure } : {}),
    };
  };
}
