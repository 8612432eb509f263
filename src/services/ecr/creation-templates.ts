/**
 * Repository creation templates: Create / Describe / Update / DeleteRepositoryCreationTemplate,
 * and `createFromTemplate`, which every path where ECR creates a repository for the user goes
 * through (create on push today; replication and pull-through cache when they exist).
 *
 * Rules — sources: ECR API reference (CreateRepositoryCreationTemplate) and user guide
 * ("Private repository creation templates"):
 * - a prefix `prod` applies to `prod/…` ("there is always an assumed / applied to the end of the
 *   prefix"); `ROOT` applies to every repository no other template covers; the longest matching
 *   prefix wins;
 * - a template applies only to the scenarios in its `appliedFor` (REPLICATION,
 *   PULL_THROUGH_CACHE, CREATE_ON_PUSH);
 * - its settings apply only when the repository is created, never to existing ones.
 */
import type { RequestContext } from '../../aws/context.js';
import type { AuthzRequest } from '../../iam/authorize.js';
import { isImageError } from '../../images/errors.js';
import type { RepositorySettings } from '../../images/repositories.js';
import { InvalidParameterException, TemplateAlreadyExistsException, TemplateNotFoundException } from '../../model/ecr/errors.js';
import type {
  CreateRepositoryCreationTemplateRequest,
  CreateRepositoryCreationTemplateResponse,
  DeleteRepositoryCreationTemplateRequest,
  DeleteRepositoryCreationTemplateResponse,
  DescribeRepositoryCreationTemplatesRequest,
  DescribeRepositoryCreationTemplatesResponse,
  ImageTagMutabilityExclusionFilter,
  RepositoryCreationTemplate,
  UpdateRepositoryCreationTemplateRequest,
  UpdateRepositoryCreationTemplateResponse,
} from '../../model/ecr/types.js';
import { AlreadyExistsError, type CreationTemplateRecord, type RepoKey, type RepositoryRecord } from '../../store/meta/meta-store.js';
import { repositoryArn } from './arns.js';
import type { EcrDeps } from './deps.js';
import { messages } from './messages.js';
import { decodeToken, encodeToken } from './paging.js';
import { checkRepositoryPolicy } from './policies.js';
import { parseLifecyclePolicy } from '../../images/lifecycle/policy.js';
import { checkMutability, checkTags, encryptionOf, mergeTags } from './repositories.js';

export type CreationScenario = 'REPLICATION' | 'PULL_THROUGH_CACHE' | 'CREATE_ON_PUSH';

export const ROOT_PREFIX = 'ROOT';

/** Whether `prefix` covers the repository `name` (`prod` covers `prod/app`, not `production`). */
export function prefixCovers(prefix: string, name: string): boolean {
  if (prefix === ROOT_PREFIX) return true;
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return name.startsWith(base);
}

/** The template that applies to `name` in `scenario`: the longest matching prefix, else ROOT. */
export function matchTemplate<T extends Pick<CreationTemplateRecord, 'prefix' | 'appliedFor'>>(
  templates: readonly T[],
  name: string,
  scenario: CreationScenario,
): T | undefined {
  let best: T | undefined;
  for (const t of templates) {
    if (t.prefix === ROOT_PREFIX || !t.appliedFor.includes(scenario) || !prefixCovers(t.prefix, name)) continue;
    if (best === undefined || t.prefix.replace(/\/$/, '').length > best.prefix.replace(/\/$/, '').length) best = t;
  }
  return best ?? templates.find((t) => t.prefix === ROOT_PREFIX && t.appliedFor.includes(scenario));
}

function templateOutput(t: CreationTemplateRecord): RepositoryCreationTemplate {
  return {
    prefix: t.prefix,
    ...(t.description !== undefined ? { description: t.description } : {}),
    encryptionConfiguration: { encryptionType: t.encryptionType as 'AES256', ...(t.kmsKey !== undefined ? { kmsKey: t.kmsKey } : {}) },
    resourceTags: t.resourceTags,
    imageTagMutability: t.imageTagMutability as RepositoryCreationTemplate['imageTagMutability'],
    ...(t.imageTagMutabilityExclusionFilters.length > 0
      ? { imageTagMutabilityExclusionFilters: t.imageTagMutabilityExclusionFilters as ImageTagMutabilityExclusionFilter[] }
      : {}),
    ...(t.repositoryPolicy !== undefined ? { repositoryPolicy: t.repositoryPolicy } : {}),
    ...(t.lifecyclePolicy !== undefined ? { lifecyclePolicy: t.lifecyclePolicy } : {}),
    appliedFor: t.appliedFor as CreationScenario[],
    ...(t.customRoleArn !== undefined ? { customRoleArn: t.customRoleArn } : {}),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

type TemplateInput = Omit<CreateRepositoryCreationTemplateRequest, 'prefix' | 'appliedFor'> & { appliedFor?: CreationScenario[] };

/**
 * Checks a template's settings as ECR does, and returns them with ECR's defaults. Every check
 * runs before anything is stored (bad input never changes state).
 */
async function templateSettings(ctx: RequestContext, deps: EcrDeps, input: TemplateInput, base?: CreationTemplateRecord) {
  const appliedFor = input.appliedFor ?? (base?.appliedFor as CreationScenario[] | undefined) ?? [];
  if (appliedFor.length === 0) {
    throw new InvalidParameterException(messages.invalidParameter('appliedFor', messages.templateAppliedForEmpty));
  }
  const resourceTags = input.resourceTags ?? base?.resourceTags ?? [];
  checkTags(resourceTags);
  const imageTagMutability = input.imageTagMutability ?? base?.imageTagMutability ?? 'MUTABLE';
  const filters = checkMutability(
    imageTagMutability,
    input.imageTagMutabilityExclusionFilters ??
      (input.imageTagMutability === undefined ? (base?.imageTagMutabilityExclusionFilters as ImageTagMutabilityExclusionFilter[]) : undefined),
  );
  const encryption = input.encryptionConfiguration ?? (base ? { encryptionType: base.encryptionType as 'AES256', ...(base.kmsKey ? { kmsKey: base.kmsKey } : {}) } : undefined);
  const encryptionType = encryption?.encryptionType ?? 'AES256';
  const kmsKey = encryption?.kmsKey === '' ? undefined : encryption?.kmsKey;
  if (encryptionType === 'AES256' && kmsKey !== undefined) {
    throw new InvalidParameterException(
      messages.invalidParameter('encryptionConfiguration.kmsKey', 'kmsKey can only be specified with encryption type KMS or KMS_DSSE'),
    );
  }
  const repositoryPolicy = input.repositoryPolicy ?? base?.repositoryPolicy;
  if (repositoryPolicy !== undefined && repositoryPolicy !== '') await checkRepositoryPolicy(deps, repositoryPolicy);
  const lifecyclePolicy = input.lifecyclePolicy ?? base?.lifecyclePolicy;
  // Checked with PutLifecyclePolicy's rule language (LifecyclePolicyError → its ECR text).
  if (lifecyclePolicy !== undefined && lifecyclePolicy !== '') parseLifecyclePolicy(lifecyclePolicy);
  const customRoleArn = input.customRoleArn ?? base?.customRoleArn;
  if (customRoleArn !== undefined && customRoleArn !== '') {
    // "This role must be in the same account as the registry that you are configuring." — source:
    // ECR API reference, CreateRepositoryCreationTemplate.
    const m = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]+$/.exec(customRoleArn);
    if (!m || m[1] !== ctx.accountId) throw new InvalidParameterException(messages.templateInvalidCustomRole(customRoleArn));
  }
  const description = input.description ?? base?.description;
  return {
    ...(description !== undefined && description !== '' ? { description } : {}),
    encryptionType,
    ...(kmsKey !== undefined ? { kmsKey } : {}),
    resourceTags: mergeTags([], resourceTags),
    imageTagMutability,
    imageTagMutabilityExclusionFilters: filters,
    ...(repositoryPolicy !== undefined && repositoryPolicy !== '' ? { repositoryPolicy } : {}),
    ...(lifecyclePolicy !== undefined && lifecyclePolicy !== '' ? { lifecyclePolicy } : {}),
    appliedFor: [...new Set(appliedFor)],
    ...(customRoleArn !== undefined && customRoleArn !== '' ? { customRoleArn } : {}),
  };
}

export function createRepositoryCreationTemplate(deps: EcrDeps) {
  return async (ctx: RequestContext, input: CreateRepositoryCreationTemplateRequest): Promise<CreateRepositoryCreationTemplateResponse> => {
    const settings = await templateSettings(ctx, deps, input);
    const now = ctx.clock.now();
    const record: CreationTemplateRecord = { accountId: ctx.accountId, region: ctx.region, prefix: input.prefix, ...settings, createdAt: now, updatedAt: now };
    try {
      await deps.meta.creationTemplates.create(record);
    } catch (e) {
      if (e instanceof AlreadyExistsError) throw new TemplateAlreadyExistsException(messages.templateAlreadyExists(input.prefix, ctx.accountId));
      throw e;
    }
    return { registryId: ctx.accountId, repositoryCreationTemplate: templateOutput(record) };
  };
}

/** 100 templates a page unless maxResults says otherwise, as ECR's other listings. */
const DEFAULT_PAGE = 100;

export function describeRepositoryCreationTemplates(deps: EcrDeps) {
  return async (ctx: RequestContext, input: DescribeRepositoryCreationTemplatesRequest): Promise<DescribeRepositoryCreationTemplatesResponse> => {
    const scope = `templates/${ctx.accountId}/${ctx.region}`;
    const after = input.nextToken === undefined ? undefined : decodeToken(input.nextToken, scope);
    let all = await deps.meta.creationTemplates.all(ctx.accountId, ctx.region);
    if (input.prefixes !== undefined) {
      const wanted = new Set(input.prefixes);
      all = all.filter((t) => wanted.has(t.prefix));
    }
    const rest = after === undefined ? all : all.filter((t) => t.prefix > after);
    const limit = input.maxResults ?? DEFAULT_PAGE;
    const page = rest.slice(0, limit);
    return {
      registryId: ctx.accountId,
      repositoryCreationTemplates: page.map(templateOutput),
      ...(rest.length > limit ? { nextToken: encodeToken(page[page.length - 1]!.prefix, scope) } : {}),
    };
  };
}

export function updateRepositoryCreationTemplate(deps: EcrDeps) {
  return async (ctx: RequestContext, input: UpdateRepositoryCreationTemplateRequest): Promise<UpdateRepositoryCreationTemplateResponse> => {
    const existing = await deps.meta.creationTemplates.get(ctx.accountId, ctx.region, input.prefix);
    if (!existing) throw new TemplateNotFoundException(messages.templateNotFound(input.prefix, ctx.accountId));
    const settings = await templateSettings(ctx, deps, input, existing);
    const record: CreationTemplateRecord = {
      accountId: existing.accountId,
      region: existing.region,
      prefix: existing.prefix,
      ...settings,
      createdAt: existing.createdAt,
      updatedAt: ctx.clock.now(),
    };
    if (!(await deps.meta.creationTemplates.replace(record))) {
      throw new TemplateNotFoundException(messages.templateNotFound(input.prefix, ctx.accountId));
    }
    return { registryId: ctx.accountId, repositoryCreationTemplate: templateOutput(record) };
  };
}

export function deleteRepositoryCreationTemplate(deps: EcrDeps) {
  return async (ctx: RequestContext, input: DeleteRepositoryCreationTemplateRequest): Promise<DeleteRepositoryCreationTemplateResponse> => {
    const removed = await deps.meta.creationTemplates.delete(ctx.accountId, ctx.region, input.prefix);
    if (!removed) throw new TemplateNotFoundException(messages.templateNotFound(input.prefix, ctx.accountId));
    return { registryId: ctx.accountId, repositoryCreationTemplate: templateOutput(removed) };
  };
}

/**
 * Creates `key` as ECR does on the user's behalf in `scenario`, with the settings of the template
 * that applies; undefined when no template applies (the caller answers as if there were no
 * feature: NAME_UNKNOWN for a push). The caller has authorized the creation.
 */
export async function createFromTemplate(
  deps: Pick<EcrDeps, 'meta' | 'repositories' | 'ids' | 'kms'>,
  key: RepoKey,
  scenario: CreationScenario,
): Promise<RepositoryRecord | undefined> {
  const template = matchTemplate(await deps.meta.creationTemplates.all(key.accountId, key.region), key.name, scenario);
  if (!template) return undefined;
  const encryption = await encryptionOf(
    { region: key.region },
    key.accountId,
    { encryptionConfiguration: { encryptionType: template.encryptionType as 'AES256', ...(template.kmsKey ? { kmsKey: template.kmsKey } : {}) } },
    deps as EcrDeps,
  );
  const settings: RepositorySettings = {
    imageTagMutability: template.imageTagMutability,
    imageTagMutabilityExclusionFilters: template.imageTagMutabilityExclusionFilters,
    scanOnPush: false,
    ...encryption,
    tags: template.resourceTags,
  };
  const repo = await deps.repositories.create(key, settings);
  if (template.repositoryPolicy !== undefined) await deps.meta.resourcePolicies.putRepositoryPolicy(key, template.repositoryPolicy);
  if (template.lifecyclePolicy !== undefined) await deps.meta.lifecycle.put(key, template.lifecyclePolicy);
  return repo;
}

/**
 * A repository that replication or the pull-through cache needs and that does not exist yet:
 * from the scenario's template when one applies, else with ECR's defaults (mutable tags, AES256,
 * no scan on push). One that already exists (made meanwhile by a racing call) is left as it is.
 */
export async function ensureRepository(
  deps: Pick<EcrDeps, 'meta' | 'repositories' | 'ids' | 'kms'>,
  key: RepoKey,
  scenario: Exclude<CreationScenario, 'CREATE_ON_PUSH'>,
): Promise<void> {
  try {
    if ((await createFromTemplate(deps, key, scenario)) !== undefined) return;
    await deps.repositories.create(key, {
      imageTagMutability: 'MUTABLE',
      imageTagMutabilityExclusionFilters: [],
      scanOnPush: false,
      encryptionType: 'AES256',
      tags: [],
    });
  } catch (e) {
    if (!isImageError(e, 'RepositoryAlreadyExists')) throw e;
  }
}

/**
 * Create on push: a push (upload or manifest) to a repository that does not exist creates it
 * when a CREATE_ON_PUSH template applies, and the pusher may `ecr:CreateRepository` it —
 * source: ECR "creating repositories on push" (2025-12), user guide "Private repository creation
 * templates". Without such a template nothing happens and the push fails with NAME_UNKNOWN.
 */
export function createOnPush(deps: Parameters<typeof createFromTemplate>[0]) {
  return async (key: RepoKey, authorize: (requests: readonly AuthzRequest[]) => Promise<void>): Promise<void> => {
    if (await deps.repositories.find(key)) return;
    const template = matchTemplate(await deps.meta.creationTemplates.all(key.accountId, key.region), key.name, 'CREATE_ON_PUSH');
    if (!template) return;
    const context: Record<string, string | string[]> = {};
    if (template.resourceTags.length > 0) {
      context['aws:TagKeys'] = template.resourceTags.map((t) => t.Key);
      for (const t of template.resourceTags) context[`aws:RequestTag/${t.Key}`] = t.Value;
    }
    await authorize([{ action: 'ecr:CreateRepository', resource: repositoryArn(key.region, key.accountId, key.name), context }]);
    try {
      await createFromTemplate(deps, key, 'CREATE_ON_PUSH');
    } catch (e) {
      // Two first pushes at once: the other one created it.
      if (!isImageError(e, 'RepositoryAlreadyExists')) throw e;
    }
  };
}
