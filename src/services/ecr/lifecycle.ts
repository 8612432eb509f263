/**
 * ECR lifecycle policies: PutLifecyclePolicy, GetLifecyclePolicy, DeleteLifecyclePolicy,
 * StartLifecyclePolicyPreview and GetLifecyclePolicyPreview. Policies are validated by the rule
 * language of images/lifecycle/policy.ts (a refused text changes nothing) and evaluated by the
 * `ecr-lifecycle` job; a preview runs the same engine without changing anything.
 */
import type { RequestContext } from '../../aws/context.js';
import type { LifecyclePreviewEntry } from '../../images/lifecycle/lifecycle.js';
import { parseLifecyclePolicy } from '../../images/lifecycle/policy.js';
import {
  InvalidParameterException,
  LifecyclePolicyNotFoundException,
  LifecyclePolicyPreviewNotFoundException,
} from '../../model/ecr/errors.js';
import type {
  DeleteLifecyclePolicyRequest,
  DeleteLifecyclePolicyResponse,
  GetLifecyclePolicyPreviewRequest,
  GetLifecyclePolicyPreviewResponse,
  GetLifecyclePolicyRequest,
  GetLifecyclePolicyResponse,
  LifecyclePolicyPreviewResult,
  LifecyclePolicyPreviewSummary,
  PutLifecyclePolicyRequest,
  PutLifecyclePolicyResponse,
  StartLifecyclePolicyPreviewRequest,
  StartLifecyclePolicyPreviewResponse,
} from '../../model/ecr/types.js';
import type { LifecyclePolicyRecord, RepoKey } from '../../store/meta/meta-store.js';
import type { EcrDeps } from './deps.js';
import { repoKeyOf } from './image-ids.js';
import { messages } from './messages.js';
import { decodeToken, encodeToken } from './paging.js';

/** GetLifecyclePolicyPreview answers 100 a page without maxResults — source: ECR model (LifecyclePreviewMaxResults 1–100). */
const DEFAULT_PREVIEW_PAGE = 100;

export function putLifecyclePolicy(deps: EcrDeps) {
  return async (ctx: RequestContext, input: PutLifecyclePolicyRequest): Promise<PutLifecyclePolicyResponse> => {
    const key = repoKeyOf(ctx, input);
    await deps.repositories.get(key);
    parseLifecyclePolicy(input.lifecyclePolicyText);
    // The repository may go between the check and the write: then it is not found after all.
    if (!(await deps.meta.lifecycle.put(key, input.lifecyclePolicyText))) await deps.repositories.get(key);
    return { registryId: key.accountId, repositoryName: key.name, lifecyclePolicyText: input.lifecyclePolicyText };
  };
}

/** Get's and Delete's answer: the repository's policy as it was, or LifecyclePolicyNotFoundException. */
function storedPolicyAnswer(key: RepoKey, policy: LifecyclePolicyRecord | undefined): GetLifecyclePolicyResponse & DeleteLifecyclePolicyResponse {
  if (policy === undefined) throw new LifecyclePolicyNotFoundException(messages.lifecyclePolicyNotFound(key.name, key.accountId));
  return {
    registryId: key.accountId,
    repositoryName: key.name,
    lifecyclePolicyText: policy.policyText,
    ...(policy.lastEvaluatedAt !== undefined ? { lastEvaluatedAt: policy.lastEvaluatedAt } : {}),
  };
}

export function getLifecyclePolicy(deps: EcrDeps) {
  return async (ctx: RequestContext, input: GetLifecyclePolicyRequest): Promise<GetLifecyclePolicyResponse> => {
    const key = repoKeyOf(ctx, input);
    await deps.repositories.get(key);
    return storedPolicyAnswer(key, await deps.meta.lifecycle.get(key));
  };
}

export function deleteLifecyclePolicy(deps: EcrDeps) {
  return async (ctx: RequestContext, input: DeleteLifecyclePolicyRequest): Promise<DeleteLifecyclePolicyResponse> => {
    const key = repoKeyOf(ctx, input);
    await deps.repositories.get(key);
    return storedPolicyAnswer(key, await deps.meta.lifecycle.delete(key));
  };
}

/**
 * Previews the given policy text, or the repository's own policy without one. simfra computes
 * the preview before answering; the answer still says IN_PROGRESS, as ECR's first answer does,
 * and GetLifecyclePolicyPreview then reports COMPLETE (the SDK waiter LifecyclePolicyPreviewComplete
 * succeeds at once).
 */
export function startLifecyclePolicyPreview(deps: EcrDeps) {
  return async (ctx: RequestContext, input: StartLifecyclePolicyPreviewRequest): Promise<StartLifecyclePolicyPreviewResponse> => {
    const key = repoKeyOf(ctx, input);
    await deps.repositories.get(key);
    let text = input.lifecyclePolicyText;
    if (text === undefined) {
      const stored = await deps.meta.lifecycle.get(key);
      // "none saved and none given → LifecyclePolicyNotFoundException" — source: ecr-behaviour.md §3.6.
      if (stored === undefined) throw new LifecyclePolicyNotFoundException(messages.lifecyclePolicyNotFound(key.name, key.accountId));
      text = stored.policyText;
    }
    await deps.lifecycle.startPreview(key, text);
    return { registryId: key.accountId, repositoryName: key.name, lifecyclePolicyText: text, status: 'IN_PROGRESS' };
  };
}

const resultOf = (e: LifecyclePreviewEntry): LifecyclePolicyPreviewResult => ({
  ...(e.imageTags.length > 0 ? { imageTags: e.imageTags } : {}),
  imageDigest: e.imageDigest,
  imagePushedAt: e.imagePushedAt,
  action: e.action,
  appliedRulePriority: e.appliedRulePriority,
  storageClass: e.storageClass,
});

function summaryOf(entries: readonly LifecyclePreviewEntry[]): LifecyclePolicyPreviewSummary {
  const transitioning = entries.filter((e) => e.action.type === 'TRANSITION').length;
  return {
    expiringImageTotalCount: entries.filter((e) => e.action.type === 'EXPIRE').length,
    // "This field is only present if at least one image will be transitioned" — source: ECR model.
    ...(transitioning > 0 ? { transitioningImageTotalCounts: [{ targetStorageClass: 'ARCHIVE', imageTotalCount: transitioning }] } : {}),
  };
}

/**
 * The latest preview: its results filtered by `imageIds` (digest or tag) or by `filter.tagStatus`,
 * paged by `maxResults`/`nextToken` (not with imageIds); the summary counts the whole preview.
 */
export function getLifecyclePolicyPreview(deps: EcrDeps) {
  return async (ctx: RequestContext, input: GetLifecyclePolicyPreviewRequest): Promise<GetLifecyclePolicyPreviewResponse> => {
    const key = repoKeyOf(ctx, input);
    if (input.imageIds !== undefined && (input.maxResults !== undefined || input.nextToken !== undefined)) {
      // "This option cannot be used when you specify images with imageIds." — source: ECR model, nextToken.
      throw new InvalidParameterException(messages.previewImageIdsWithPaging);
    }
    const preview = await deps.lifecycle.getPreview(key);
    if (preview === undefined) {
      throw new LifecyclePolicyPreviewNotFoundException(messages.lifecyclePolicyPreviewNotFound(key.name, key.accountId));
    }
    let entries = preview.results;
    if (input.imageIds !== undefined) {
      const ids = input.imageIds;
      entries = entries.filter((e) =>
        ids.some(
          (id) =>
            (id.imageDigest === undefined || id.imageDigest === e.imageDigest) &&
            (id.imageTag === undefined || e.imageTags.includes(id.imageTag)) &&
            (id.imageDigest !== undefined || id.imageTag !== undefined),
        ),
      );
    }
    const tagStatus = input.filter?.tagStatus ?? 'ANY';
    if (tagStatus !== 'ANY') entries = entries.filter((e) => (e.imageTags.length > 0) === (tagStatus === 'TAGGED'));
    const scope = `lifecycle-preview/${key.accountId}/${key.region}/${key.name}`;
    const limit = input.maxResults ?? DEFAULT_PREVIEW_PAGE;
    const start = input.nextToken !== undefined ? Number(decodeToken(input.nextToken, scope)) || 0 : 0;
    const page = input.imageIds !== undefined ? entries : entries.slice(start, start + limit);
    const more = input.imageIds === undefined && start + limit < entries.length;
    return {
      registryId: key.accountId,
      repositoryName: key.name,
      lifecyclePolicyText: preview.policyText,
      status: preview.status,
      previewResults: page.map(resultOf),
      summary: summaryOf(preview.results),
      ...(more ? { nextToken: encodeToken(String(start + limit), scope) } : {}),
    };
  };
}
