/**
 * Basic image scanning: StartImageScan and DescribeImageScanFindings, and how a scan shows in
 * DescribeImages. simfra has no vulnerability database: a scan of a container image completes at
 * once with no findings, and says so in its description; it never invents findings. Scan on push
 * is recorded by the image domain (images/images.ts, basicScan) for registry pushes and
 * PutImage alike.
 */
import type { RequestContext } from '../../aws/context.js';
import { imageStatus, isScannable, type ImageRecord, type ScanRecord } from '../../images/images.js';
import {
  parseScanningConfig,
  REGISTRY_SCANNING_SETTING,
  repositoryScanning,
  type RegistryScanningConfig,
} from '../../images/scanning-rules.js';
import {
  ImageArchivedException,
  LimitExceededException,
  ScanNotFoundException,
  UnsupportedImageTypeException,
  ValidationException,
} from '../../model/ecr/errors.js';
import type {
  BatchGetRepositoryScanningConfigurationRequest,
  BatchGetRepositoryScanningConfigurationResponse,
  DescribeImageScanFindingsRequest,
  DescribeImageScanFindingsResponse,
  GetRegistryScanningConfigurationRequest,
  GetRegistryScanningConfigurationResponse,
  ImageScanFindingsSummary,
  ImageScanStatus,
  PutRegistryScanningConfigurationRequest,
  PutRegistryScanningConfigurationResponse,
  RegistryScanningConfiguration,
  RepositoryScanningConfiguration,
  RepositoryScanningConfigurationFailure,
  StartImageScanRequest,
  StartImageScanResponse,
} from '../../model/ecr/types.js';
import { parseDigest } from '../../oci/digest.js';
import { repositoryArn } from './arns.js';
import type { EcrDeps } from './deps.js';
import { answerId, getImageById, repoKeyOf } from './image-ids.js';
import { messages } from './messages.js';
import { decodeToken } from './paging.js';

/**
 * "A basic image scan can only be started once per 24 hours on an individual image. This limit
 * includes if an image was scanned on initial push." — source: ECR model, StartImageScan.
 */
export const SCAN_INTERVAL_MS = 24 * 3600 * 1000;

/** The imageScanStatus of an image's latest scan, as of `now`. */
export function scanStatusOf(image: ImageRecord, scan: ScanRecord, now: Date): ImageScanStatus {
  if (imageStatus(image, now) === 'ARCHIVED') return { status: 'IMAGE_ARCHIVED', description: messages.imageArchived };
  if (scan.status === 'UNSUPPORTED_IMAGE') return { status: 'UNSUPPORTED_IMAGE', description: messages.scanUnsupported };
  // A scan on restore completes with the restore.
  if (scan.completedAt === undefined || scan.completedAt > now) return { status: 'IN_PROGRESS' };
  return { status: 'COMPLETE', description: messages.scanComplete };
}

/** The findings summary of a completed scan: no findings, so no counts. */
export function scanSummaryOf(scan: ScanRecord, now: Date): ImageScanFindingsSummary | undefined {
  if (scan.status !== 'COMPLETE' || scan.completedAt === undefined || scan.completedAt > now) return undefined;
  return { imageScanCompletedAt: scan.completedAt, findingSeverityCounts: {} };
}

export function startImageScan(deps: EcrDeps) {
  return async (ctx: RequestContext, input: StartImageScanRequest): Promise<StartImageScanResponse> => {
    const key = repoKeyOf(ctx, input);
    const image = await getImageById(deps.images, key, input.imageId);
    const now = ctx.clock.now();
    if (imageStatus(image, now) !== 'ACTIVE') throw new ImageArchivedException(messages.imageArchived);
    if (!isScannable(image)) throw new UnsupportedImageTypeException(messages.unsupportedImageType);
    if (image.scan !== undefined && now.getTime() - image.scan.startedAt.getTime() < SCAN_INTERVAL_MS) {
      throw new LimitExceededException(messages.scanQuotaExceeded);
    }
    await deps.images.recordScan(key, parseDigest(image.digest));
    // ECR answers while the scan runs; DescribeImageScanFindings shows it COMPLETE.
    return {
      registryId: key.accountId,
      repositoryName: key.name,
      imageId: answerId(image, input.imageId),
      imageScanStatus: { status: 'IN_PROGRESS' },
    };
  };
}

export function describeImageScanFindings(deps: EcrDeps) {
  return async (ctx: RequestContext, input: DescribeImageScanFindingsRequest): Promise<DescribeImageScanFindingsResponse> => {
    const key = repoKeyOf(ctx, input);
    const image = await getImageById(deps.images, key, input.imageId);
    // There are never findings to page through, so no token of ours can exist.
    if (input.nextToken !== undefined) decodeToken(input.nextToken, `scan-findings/${key.accountId}/${key.region}/${key.name}/${image.digest}`);
    const scan = image.scan;
    if (scan === undefined) {
      throw new ScanNotFoundException(messages.scanNotFound(input.imageId.imageDigest, input.imageId.imageTag, key.name, key.accountId));
    }
    const now = ctx.clock.now();
    const status = scanStatusOf(image, scan, now);
    return {
      registryId: key.accountId,
      repositoryName: key.name,
      imageId: answerId(image, input.imageId),
      imageScanStatus: status,
      ...(status.status === 'COMPLETE' && scan.completedAt !== undefined
        ? { imageScanFindings: { imageScanCompletedAt: scan.completedAt, findingSeverityCounts: {}, findings: [] } }
        : {}),
    };
  };
}

const asModel = (c: RegistryScanningConfig): RegistryScanningConfiguration => c as RegistryScanningConfiguration;

export function getRegistryScanningConfiguration(deps: EcrDeps) {
  return async (ctx: RequestContext, _input: GetRegistryScanningConfigurationRequest): Promise<GetRegistryScanningConfigurationResponse> => {
    const stored = await deps.meta.settings.get(ctx.accountId, ctx.region, REGISTRY_SCANNING_SETTING);
    return { registryId: ctx.accountId, scanningConfiguration: asModel(parseScanningConfig(stored)) };
  };
}

/**
 * Replaces the registry's scanning configuration. With BASIC scanning only SCAN_ON_PUSH rules
 * make sense — source: ECR model, RegistryScanningRule.scanFrequency. ENHANCED (Amazon
 * Inspector) is stored and reported, but scans stay simfra's local ones.
 */
export function putRegistryScanningConfiguration(deps: EcrDeps) {
  return async (ctx: RequestContext, input: PutRegistryScanningConfigurationRequest): Promise<PutRegistryScanningConfigurationResponse> => {
    const config: RegistryScanningConfig = {
      scanType: input.scanType ?? 'BASIC',
      rules: (input.rules ?? []).map((r) => ({ scanFrequency: r.scanFrequency, repositoryFilters: r.repositoryFilters.map((f) => ({ ...f })) })),
    };
    const unsupported = config.scanType === 'BASIC' ? config.rules.find((r) => r.scanFrequency === 'CONTINUOUS_SCAN') : undefined;
    if (unsupported !== undefined) throw new ValidationException(messages.continuousScanNeedsEnhanced);
    await deps.meta.settings.put(ctx.accountId, ctx.region, REGISTRY_SCANNING_SETTING, JSON.stringify(config));
    return { registryScanningConfiguration: asModel(config) };
  };
}

export function batchGetRepositoryScanningConfiguration(deps: EcrDeps) {
  return async (
    ctx: RequestContext,
    input: BatchGetRepositoryScanningConfigurationRequest,
  ): Promise<BatchGetRepositoryScanningConfigurationResponse> => {
    const config = parseScanningConfig(await deps.meta.settings.get(ctx.accountId, ctx.region, REGISTRY_SCANNING_SETTING));
    const scanningConfigurations: RepositoryScanningConfiguration[] = [];
    const failures: RepositoryScanningConfigurationFailure[] = [];
    for (const name of input.repositoryNames) {
      const repo = await deps.repositories.find({ accountId: ctx.accountId, region: ctx.region, name });
      if (repo === undefined) {
        // — source: moto (failureReason repeats the code); ECR's own text is not documented.
        failures.push({ repositoryName: name, failureCode: 'REPOSITORY_NOT_FOUND', failureReason: 'REPOSITORY_NOT_FOUND' });
        continue;
      }
      const scanning = repositoryScanning(config, repo);
      scanningConfigurations.push({
        repositoryArn: repositoryArn(repo.region, repo.accountId, repo.name),
        repositoryName: repo.name,
        scanOnPush: scanning.scansOnPush,
        scanFrequency: scanning.scanFrequency,
        appliedScanFilters: scanning.appliedScanFilters as RepositoryScanningConfiguration['appliedScanFilters'],
      });
    }
    return { scanningConfigurations, failures };
  };
}
