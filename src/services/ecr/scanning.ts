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
  ImageArchivedException,
  LimitExceededException,
  ScanNotFoundException,
  UnsupportedImageTypeException,
} from '../../model/ecr/errors.js';
import type {
  DescribeImageScanFindingsRequest,
  DescribeImageScanFindingsResponse,
  ImageScanFindingsSummary,
  ImageScanStatus,
  StartImageScanRequest,
  StartImageScanResponse,
} from '../../model/ecr/types.js';
import { parseDigest } from '../../oci/digest.js';
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
