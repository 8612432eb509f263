/**
 * RegisterPullTimeUpdateExclusion, DeregisterPullTimeUpdateExclusion, ListPullTimeUpdateExclusions:
 * the registry's list of IAM users and roles whose pulls leave lastRecordedPullTime unchanged.
 * Images.getManifest consults it on every pull it would record (registry GET, BatchGetImage).
 */
import type { RequestContext } from '../../aws/context.js';
import type { Principal } from '../../iam/principal.js';
import { MAX_PULL_TIME_EXCLUSIONS, type Puller } from '../../images/pull-exclusions.js';
import { ExclusionAlreadyExistsException, ExclusionNotFoundException, LimitExceededException } from '../../model/ecr/errors.js';
import type {
  DeregisterPullTimeUpdateExclusionRequest,
  DeregisterPullTimeUpdateExclusionResponse,
  ListPullTimeUpdateExclusionsRequest,
  ListPullTimeUpdateExclusionsResponse,
  RegisterPullTimeUpdateExclusionRequest,
  RegisterPullTimeUpdateExclusionResponse,
} from '../../model/ecr/types.js';
import type { EcrDeps } from './deps.js';
import { messages } from './messages.js';
import { decodeToken, encodeToken } from './paging.js';

/** The caller as exclusions see it: an assumed-role session pulls as its role. */
export function pullerOf(principal: Principal): Puller {
  switch (principal.kind) {
    case 'user':
      return { accountId: principal.accountId, kind: 'user', name: principal.userName };
    case 'assumed-role':
      return { accountId: principal.accountId, kind: 'role', name: principal.roleName };
    default:
      return { accountId: principal.accountId, kind: 'other' };
  }
}

export function registerPullTimeUpdateExclusion(deps: EcrDeps) {
  return async (ctx: RequestContext, input: RegisterPullTimeUpdateExclusionRequest): Promise<RegisterPullTimeUpdateExclusionResponse> => {
    const existing = await deps.meta.pullTimeExclusions.all(ctx.accountId, ctx.region);
    if (existing.some((e) => e.principalArn === input.principalArn)) {
      throw new ExclusionAlreadyExistsException(messages.exclusionAlreadyExists(input.principalArn, ctx.accountId));
    }
    if (existing.length >= MAX_PULL_TIME_EXCLUSIONS) {
      throw new LimitExceededException(messages.exclusionLimitExceeded(MAX_PULL_TIME_EXCLUSIONS));
    }
    const record = { principalArn: input.principalArn, createdAt: ctx.clock.now() };
    if (!(await deps.meta.pullTimeExclusions.add(ctx.accountId, ctx.region, record))) {
      throw new ExclusionAlreadyExistsException(messages.exclusionAlreadyExists(input.principalArn, ctx.accountId));
    }
    return { principalArn: record.principalArn, createdAt: record.createdAt };
  };
}

export function deregisterPullTimeUpdateExclusion(deps: EcrDeps) {
  return async (ctx: RequestContext, input: DeregisterPullTimeUpdateExclusionRequest): Promise<DeregisterPullTimeUpdateExclusionResponse> => {
    if (!(await deps.meta.pullTimeExclusions.remove(ctx.accountId, ctx.region, input.principalArn))) {
      throw new ExclusionNotFoundException(messages.exclusionNotFound(input.principalArn, ctx.accountId));
    }
    return { principalArn: input.principalArn };
  };
}

/** 100 a page unless maxResults says otherwise — source: ECR model, ListPullTimeUpdateExclusionsRequest. */
const DEFAULT_PAGE = 100;

export function listPullTimeUpdateExclusions(deps: EcrDeps) {
  return async (ctx: RequestContext, input: ListPullTimeUpdateExclusionsRequest): Promise<ListPullTimeUpdateExclusionsResponse> => {
    const scope = `pull-time-exclusions/${ctx.accountId}/${ctx.region}`;
    const after = input.nextToken === undefined ? undefined : decodeToken(input.nextToken, scope);
    const all = (await deps.meta.pullTimeExclusions.all(ctx.accountId, ctx.region)).map((e) => e.principalArn);
    const rest = after === undefined ? all : all.filter((arn) => arn > after);
    const limit = input.maxResults ?? DEFAULT_PAGE;
    const page = rest.slice(0, limit);
    return {
      pullTimeUpdateExclusions: page,
      ...(rest.length > limit ? { nextToken: encodeToken(page[page.length - 1]!, scope) } : {}),
    };
  };
}
