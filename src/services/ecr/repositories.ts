import { type RequestContext, authzSubjectOf } from '../../aws/context.js';
import type { RepositorySettings } from '../../images/repositories.js';
import { AccessDeniedError, type AuthzSubject } from '../../iam/authorize.js';
import { keyForNewRepository } from '../../images/encryption.js';
import { KmsError } from '../../kms/errors.js';
import {
  InvalidParameterException,
  InvalidTagParameterException,
  KmsException,
  RepositoryAlreadyExistsException,
  TooManyTagsException,
} from '../../model/ecr/errors.js';
import type {
  CreateRepositoryRequest,
  CreateRepositoryResponse,
  DeleteRepositoryRequest,
  DeleteRepositoryResponse,
  DescribeRepositoriesRequest,
  DescribeRepositoriesResponse,
  ImageTagMutabilityExclusionFilter,
  PutImageScanningConfigurationRequest,
  PutImageScanningConfigurationResponse,
  PutImageTagMutabilityRequest,
  PutImageTagMutabilityResponse,
  Repository,
  Tag,
} from '../../model/ecr/types.js';
import type { EncryptionType } from '../../model/ecr/enums.js';
import type { RepositoryRecord } from '../../store/meta/meta-store.js';
import { repositoryArn } from './arns.js';
import type { EcrDeps } from './deps.js';
import { messages } from './messages.js';
import { decodeToken, encodeToken } from './paging.js';

export const MAX_TAGS = 50;

/** The registry an operation addresses: `registryId` when given, else the caller's own. */
export const registryOf = (ctx: RequestContext, input: { registryId?: string }): string =>
  input.registryId ?? ctx.accountId;

export function repositoryOutput(r: RepositoryRecord, deps: EcrDeps): Repository {
  return {
    repositoryArn: repositoryArn(r.region, r.accountId, r.name),
    registryId: r.accountId,
    repositoryName: r.name,
    repositoryUri: `${deps.endpoints.registryHost(r.accountId, r.region)}/${r.name}`,
    createdAt: r.createdAt,
    imageTagMutability: r.imageTagMutability as Repository['imageTagMutability'],
    ...(r.imageTagMutabilityExclusionFilters.length > 0
      ? { imageTagMutabilityExclusionFilters: r.imageTagMutabilityExclusionFilters as ImageTagMutabilityExclusionFilter[] }
      : {}),
    imageScanningConfiguration: { scanOnPush: r.scanOnPush },
    encryptionConfiguration: {
      encryptionType: r.encryptionType as EncryptionType,
      ...(r.kmsKey ? { kmsKey: r.kmsKey } : {}),
    },
  };
}

export function checkTags(tags: readonly Tag[]): void {
  for (const t of tags) {
    if (t.Key.length < 1 || t.Key.length > 128) {
      throw new InvalidTagParameterException('Tag keys must be between 1 and 128 characters long.');
    }
    if (t.Value.length > 256) throw new InvalidTagParameterException('Tag values must be at most 256 characters long.');
    if (t.Key.toLowerCase().startsWith('aws:')) {
      throw new InvalidTagParameterException("Tag keys beginning with 'aws:' are reserved for AWS use.");
    }
  }
  if (tags.length > MAX_TAGS) throw new TooManyTagsException(messages.tooManyTags(tags.length));
}

/** Later tags with the same key win, as in TagResource. */
export function mergeTags(existing: readonly Tag[], added: readonly Tag[]): Tag[] {
  const byKey = new Map(existing.map((t) => [t.Key, t.Value]));
  for (const t of added) byKey.set(t.Key, t.Value);
  return [...byKey].map(([Key, Value]) => ({ Key, Value }));
}

export function checkMutability(
  mutability: string,
  filters: readonly ImageTagMutabilityExclusionFilter[] | undefined,
): ImageTagMutabilityExclusionFilter[] {
  const withExclusion = mutability.endsWith('_WITH_EXCLUSION');
  if (withExclusion && (!filters || filters.length === 0)) {
    throw new InvalidParameterException(
      messages.invalidParameter(
        'imageTagMutabilityExclusionFilters',
        `imageTagMutabilityExclusionFilters must be specified when imageTagMutability is ${mutability}`,
      ),
    );
  }
  if (!withExclusion && filters && filters.length > 0) {
    throw new InvalidParameterException(
      messages.invalidParameter(
        'imageTagMutabilityExclusionFilters',
        `imageTagMutabilityExclusionFilters can only be specified when imageTagMutability is IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION`,
      ),
    );
  }
  return filters ? [...filters] : [];
}

/**
 * The encryption configuration a new repository stores: AES256 by default; KMS and KMS_DSSE
 * with the key validated as ECR does (images/encryption.ts keyForNewRepository) and reported by
 * its key ARN, whatever form the request named it in. A key ECR cannot use answers KmsException
 * with KMS's exception name in `kmsError` and KMS's text as the message. Without a subject the
 * repository is made by ECR itself (a creation template), and only the key's state is checked.
 */
export async function encryptionOf(
  where: { region: string; subject?: AuthzSubject },
  registryId: string,
  input: Pick<CreateRepositoryRequest, 'encryptionConfiguration'>,
  deps: EcrDeps,
): Promise<{ encryptionType: string; kmsKey?: string }> {
  const type = input.encryptionConfiguration?.encryptionType ?? 'AES256';
  const kmsKey = input.encryptionConfiguration?.kmsKey;
  if (type === 'AES256') {
    if (kmsKey !== undefined) {
      throw new InvalidParameterException(
        messages.invalidParameter('encryptionConfiguration.kmsKey', 'kmsKey can only be specified with encryption type KMS or KMS_DSSE'),
      );
    }
    return { encryptionType: type };
  }
  try {
    return { encryptionType: type, kmsKey: await keyForNewRepository(deps.kms, where.subject, { accountId: registryId, region: where.region }, kmsKey) };
  } catch (e) {
    if (e instanceof KmsError) throw new KmsException(messages.kmsError(e.message), { kmsError: e.wireName });
    // KMS refuses the caller the key (its key policy, or IAM where the policy defers to it).
    if (e instanceof AccessDeniedError) throw new KmsException(messages.kmsError(e.message), { kmsError: 'AccessDeniedException' });
    throw e;
  }
}

export function createRepository(deps: EcrDeps) {
  return async (ctx: RequestContext, input: CreateRepositoryRequest): Promise<CreateRepositoryResponse> => {
    const tags = input.tags ?? [];
    checkTags(tags);
    const imageTagMutability = input.imageTagMutability ?? 'MUTABLE';
    const registryId = registryOf(ctx, input);
    const key = { accountId: registryId, region: ctx.region, name: input.repositoryName };
    // An existing name is refused before any KMS work (which may create alias/aws/ecr).
    if ((await deps.repositories.find(key)) !== undefined) {
      throw new RepositoryAlreadyExistsException(messages.repositoryAlreadyExists(input.repositoryName, registryId));
    }
    const settings: RepositorySettings = {
      imageTagMutability,
      imageTagMutabilityExclusionFilters: checkMutability(imageTagMutability, input.imageTagMutabilityExclusionFilters),
      scanOnPush: input.imageScanningConfiguration?.scanOnPush ?? false,
      ...(await encryptionOf(
        { region: ctx.region, subject: authzSubjectOf(ctx) },
        registryId,
        input,
        deps,
      )),
      tags: mergeTags([], tags),
    };
    const repo = await deps.repositories.create(key, settings);
    return { repository: repositoryOutput(repo, deps) };
  };
}

/** DescribeRepositories answers 100 repositories a page when maxResults is not given. */
const DEFAULT_PAGE = 100;

export function describeRepositories(deps: EcrDeps) {
  return async (ctx: RequestContext, input: DescribeRepositoriesRequest): Promise<DescribeRepositoriesResponse> => {
    const registryId = registryOf(ctx, input);
    if (input.repositoryNames) {
      if (input.maxResults !== undefined || input.nextToken !== undefined) {
        throw new InvalidParameterException(
          messages.invalidParameter('maxResults', 'maxResults and nextToken cannot be specified with repositoryNames'),
        );
      }
      const repositories: Repository[] = [];
      for (const name of input.repositoryNames) {
        const repo = await deps.repositories.get({ accountId: registryId, region: ctx.region, name });
        repositories.push(repositoryOutput(repo, deps));
      }
      return { repositories };
    }
    const scope = `repos/${registryId}/${ctx.region}`;
    const after = input.nextToken === undefined ? undefined : decodeToken(input.nextToken, scope);
    const page = await deps.repositories.list(registryId, ctx.region, { limit: input.maxResults ?? DEFAULT_PAGE, after });
    return {
      repositories: page.items.map((r) => repositoryOutput(r, deps)),
      ...(page.next ? { nextToken: encodeToken(page.next, scope) } : {}),
    };
  };
}

export function deleteRepository(deps: EcrDeps) {
  return async (ctx: RequestContext, input: DeleteRepositoryRequest): Promise<DeleteRepositoryResponse> => {
    const repo = await deps.repositories.delete(
      { accountId: registryOf(ctx, input), region: ctx.region, name: input.repositoryName },
      input.force ?? false,
    );
    return { repository: repositoryOutput(repo, deps) };
  };
}

export function putImageTagMutability(deps: EcrDeps) {
  return async (ctx: RequestContext, input: PutImageTagMutabilityRequest): Promise<PutImageTagMutabilityResponse> => {
    const filters = checkMutability(input.imageTagMutability, input.imageTagMutabilityExclusionFilters);
    const registryId = registryOf(ctx, input);
    const repo = await deps.repositories.update(
      { accountId: registryId, region: ctx.region, name: input.repositoryName },
      (r) => ({ ...r, imageTagMutability: input.imageTagMutability, imageTagMutabilityExclusionFilters: filters }),
    );
    return {
      registryId,
      repositoryName: repo.name,
      imageTagMutability: input.imageTagMutability,
      ...(filters.length > 0 ? { imageTagMutabilityExclusionFilters: filters } : {}),
    };
  };
}

export function putImageScanningConfiguration(deps: EcrDeps) {
  return async (
    ctx: RequestContext,
    input: PutImageScanningConfigurationRequest,
  ): Promise<PutImageScanningConfigurationResponse> => {
    const registryId = registryOf(ctx, input);
    const scanOnPush = input.imageScanningConfiguration.scanOnPush ?? false;
    const repo = await deps.repositories.update(
      { accountId: registryId, region: ctx.region, name: input.repositoryName },
      (r) => ({ ...r, scanOnPush }),
    );
    return { registryId, repositoryName: repo.name, imageScanningConfiguration: { scanOnPush } };
  };
}
