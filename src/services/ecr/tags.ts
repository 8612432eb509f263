import type { RequestContext } from '../../aws/context.js';
import { InvalidParameterException } from '../../model/ecr/errors.js';
import type {
  ListTagsForResourceRequest,
  ListTagsForResourceResponse,
  TagResourceRequest,
  TagResourceResponse,
  UntagResourceRequest,
  UntagResourceResponse,
} from '../../model/ecr/types.js';
import type { RepoKey } from '../../store/meta/meta-store.js';
import { parseRepositoryArn } from './arns.js';
import type { EcrDeps } from './deps.js';
import { messages } from './messages.js';
import { checkTags, mergeTags } from './repositories.js';

/** Only repositories are taggable in ECR; the ARN must name one in the caller's region. */
function repoOfArn(ctx: RequestContext, arn: string): RepoKey {
  const parsed = parseRepositoryArn(arn);
  if (!parsed || parsed.region !== ctx.region) throw new InvalidParameterException(messages.invalidResourceArn(arn));
  return parsed;
}

export function tagResource(deps: EcrDeps) {
  return async (ctx: RequestContext, input: TagResourceRequest): Promise<TagResourceResponse> => {
    const key = repoOfArn(ctx, input.resourceArn);
    checkTags(input.tags);
    let merged: ReturnType<typeof mergeTags> = [];
    await deps.repositories.update(key, (r) => {
      merged = mergeTags(r.tags, input.tags);
      checkTags(merged);
      return { ...r, tags: merged };
    });
    return {};
  };
}

export function untagResource(deps: EcrDeps) {
  return async (ctx: RequestContext, input: UntagResourceRequest): Promise<UntagResourceResponse> => {
    const key = repoOfArn(ctx, input.resourceArn);
    const drop = new Set(input.tagKeys);
    await deps.repositories.update(key, (r) => ({ ...r, tags: r.tags.filter((t) => !drop.has(t.Key)) }));
    return {};
  };
}

export function listTagsForResource(deps: EcrDeps) {
  return async (ctx: RequestContext, input: ListTagsForResourceRequest): Promise<ListTagsForResourceResponse> => {
    const repo = await deps.repositories.get(repoOfArn(ctx, input.resourceArn));
    return { tags: repo.tags };
  };
}
