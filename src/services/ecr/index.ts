import type { RequestContext } from '../../aws/context.js';
import type { AwsService, Handler, Handlers } from '../../aws/service.js';
import type { AuthzRequest } from '../../iam/authorize.js';
import { ecrModel } from '../../model/ecr/index.js';
import type { EcrOperations } from '../../model/ecr/operations.js';
import { repositoryArn } from './arns.js';
import { getAuthorizationToken } from './auth.js';
import type { EcrDeps } from './deps.js';
import {
  batchDeleteImage,
  batchGetImage,
  describeImages,
  listImageReferrers,
  listImages,
  putImage,
  updateImageStorageClass,
} from './images.js';
import {
  batchCheckLayerAvailability,
  completeLayerUpload,
  getDownloadUrlForLayer,
  initiateLayerUpload,
  uploadLayerPart,
} from './layers.js';
import {
  deleteLifecyclePolicy,
  getLifecyclePolicy,
  getLifecyclePolicyPreview,
  putLifecyclePolicy,
  startLifecyclePolicyPreview,
} from './lifecycle.js';
import { withEcrErrors } from './map-errors.js';
import {
  deleteRegistryPolicy,
  deleteRepositoryPolicy,
  getRegistryPolicy,
  getRepositoryPolicy,
  putRegistryPolicy,
  setRepositoryPolicy,
} from './policies.js';
import {
  createRepositoryCreationTemplate,
  deleteRepositoryCreationTemplate,
  describeRepositoryCreationTemplates,
  updateRepositoryCreationTemplate,
} from './creation-templates.js';
import {
  deregisterPullTimeUpdateExclusion,
  listPullTimeUpdateExclusions,
  registerPullTimeUpdateExclusion,
} from './pull-time-exclusions.js';
import {
  createPullThroughCacheRule,
  deletePullThroughCacheRule,
  describePullThroughCacheRules,
  updatePullThroughCacheRule,
  validatePullThroughCacheRule,
} from './pull-through-cache.js';
import { describeImageReplicationStatus, putReplicationConfiguration } from './replication.js';
import {
  deleteSigningConfiguration,
  describeImageSigningStatus,
  getSigningConfiguration,
  putSigningConfiguration,
} from './signing.js';
import { describeRegistry, getAccountSetting, putAccountSetting } from './registry-settings.js';
import {
  createRepository,
  deleteRepository,
  describeRepositories,
  putImageScanningConfiguration,
  putImageTagMutability,
} from './repositories.js';
import {
  batchGetRepositoryScanningConfiguration,
  describeImageScanFindings,
  getRegistryScanningConfiguration,
  putRegistryScanningConfiguration,
  startImageScan,
} from './scanning.js';
import { listTagsForResource, tagResource, untagResource } from './tags.js';

/**
 * Operations authorized by another operation's action. "The IAM principal invoking this
 * operation must have the ecr:BatchGetImage permission." — source: ECR model, ListImageReferrers.
 */
const ACTION_OF: Readonly<Record<string, string>> = { ListImageReferrers: 'ecr:BatchGetImage' };

/** The IAM action and resource ARN(s) of an ECR operation — source: the service authorization reference. */
export function ecrAuthorization(operation: string, input: unknown, ctx: RequestContext): AuthzRequest[] {
  const action = ACTION_OF[operation] ?? `ecr:${operation}`;
  const i = input as {
    registryId?: string;
    repositoryName?: string;
    repositoryNames?: string[];
    resourceArn?: string;
    tags?: { Key: string; Value: string }[];
    tagKeys?: string[];
  };
  const registryId = i.registryId ?? ctx.accountId;
  if (i.resourceArn !== undefined) {
    const keys = i.tags?.map((t) => t.Key) ?? i.tagKeys;
    const context: Record<string, string | string[]> = {};
    if (keys) context['aws:TagKeys'] = keys;
    for (const t of i.tags ?? []) context[`aws:RequestTag/${t.Key}`] = t.Value;
    return [{ action, resource: i.resourceArn, context }];
  }
  if (i.repositoryName !== undefined) {
    const context: Record<string, string | string[]> = {};
    if (i.tags) {
      context['aws:TagKeys'] = i.tags.map((t) => t.Key);
      for (const t of i.tags) context[`aws:RequestTag/${t.Key}`] = t.Value;
    }
    return [{ action, resource: repositoryArn(ctx.region, registryId, i.repositoryName), context }];
  }
  if (i.repositoryNames !== undefined) {
    return i.repositoryNames.map((name) => ({ action, resource: repositoryArn(ctx.region, registryId, name) }));
  }
  if (operation === 'DescribeRepositories') {
    return [{ action, resource: repositoryArn(ctx.region, registryId, '*') }];
  }
  return [{ action, resource: '*' }];
}

export function ecrService(deps: EcrDeps): AwsService {
  const handlers = {
    CreateRepository: createRepository(deps),
    DescribeRepositories: describeRepositories(deps),
    DeleteRepository: deleteRepository(deps),
    PutImageTagMutability: putImageTagMutability(deps),
    PutImageScanningConfiguration: putImageScanningConfiguration(deps),
    TagResource: tagResource(deps),
    UntagResource: untagResource(deps),
    ListTagsForResource: listTagsForResource(deps),
    DescribeRegistry: describeRegistry(deps),
    PutReplicationConfiguration: putReplicationConfiguration(deps),
    DescribeImageReplicationStatus: describeImageReplicationStatus(deps),
    PutSigningConfiguration: putSigningConfiguration(deps),
    GetSigningConfiguration: getSigningConfiguration(deps),
    DeleteSigningConfiguration: deleteSigningConfiguration(deps),
    DescribeImageSigningStatus: describeImageSigningStatus(deps),
    GetAuthorizationToken: getAuthorizationToken(deps),
    GetAccountSetting: getAccountSetting(deps),
    PutAccountSetting: putAccountSetting(deps),
    SetRepositoryPolicy: setRepositoryPolicy(deps),
    GetRepositoryPolicy: getRepositoryPolicy(deps),
    DeleteRepositoryPolicy: deleteRepositoryPolicy(deps),
    PutRegistryPolicy: putRegistryPolicy(deps),
    GetRegistryPolicy: getRegistryPolicy(deps),
    DeleteRegistryPolicy: deleteRegistryPolicy(deps),
    ListImages: listImages(deps),
    DescribeImages: describeImages(deps),
    BatchGetImage: batchGetImage(deps),
    PutImage: putImage(deps),
    BatchDeleteImage: batchDeleteImage(deps),
    ListImageReferrers: listImageReferrers(deps),
    UpdateImageStorageClass: updateImageStorageClass(deps),
    BatchCheckLayerAvailability: batchCheckLayerAvailability(deps),
    InitiateLayerUpload: initiateLayerUpload(deps),
    UploadLayerPart: uploadLayerPart(deps),
    CompleteLayerUpload: completeLayerUpload(deps),
    GetDownloadUrlForLayer: getDownloadUrlForLayer(deps),
    StartImageScan: startImageScan(deps),
    DescribeImageScanFindings: describeImageScanFindings(deps),
    GetRegistryScanningConfiguration: getRegistryScanningConfiguration(deps),
    PutRegistryScanningConfiguration: putRegistryScanningConfiguration(deps),
    BatchGetRepositoryScanningConfiguration: batchGetRepositoryScanningConfiguration(deps),
    RegisterPullTimeUpdateExclusion: registerPullTimeUpdateExclusion(deps),
    DeregisterPullTimeUpdateExclusion: deregisterPullTimeUpdateExclusion(deps),
    ListPullTimeUpdateExclusions: listPullTimeUpdateExclusions(deps),
    CreateRepositoryCreationTemplate: createRepositoryCreationTemplate(deps),
    DescribeRepositoryCreationTemplates: describeRepositoryCreationTemplates(deps),
    UpdateRepositoryCreationTemplate: updateRepositoryCreationTemplate(deps),
    DeleteRepositoryCreationTemplate: deleteRepositoryCreationTemplate(deps),
    CreatePullThroughCacheRule: createPullThroughCacheRule(deps),
    DescribePullThroughCacheRules: describePullThroughCacheRules(deps),
    UpdatePullThroughCacheRule: updatePullThroughCacheRule(deps),
    DeletePullThroughCacheRule: deletePullThroughCacheRule(deps),
    ValidatePullThroughCacheRule: validatePullThroughCacheRule(deps),
    PutLifecyclePolicy: putLifecyclePolicy(deps),
    GetLifecyclePolicy: getLifecyclePolicy(deps),
    DeleteLifecyclePolicy: deleteLifecyclePolicy(deps),
    StartLifecyclePolicyPreview: startLifecyclePolicyPreview(deps),
    GetLifecyclePolicyPreview: getLifecyclePolicyPreview(deps),
  } satisfies Partial<Handlers<EcrOperations>>;
  const wrapped: Record<string, Handler<never, unknown>> = {};
  for (const [name, fn] of Object.entries(handlers)) {
    wrapped[name] = withEcrErrors(fn as (ctx: RequestContext, input: never) => Promise<unknown>);
  }
  return { signingName: 'ecr', protocol: 'json', model: ecrModel, handlers: wrapped, authorization: ecrAuthorization };
}
