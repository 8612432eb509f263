/**
 * ECR managed signing (issue 14) — source: ECR user guide "Managed signing" and the API reference
 * of PutSigningConfiguration, GetSigningConfiguration, DeleteSigningConfiguration and
 * DescribeImageSigningStatus.
 *
 * - The registry's signing configuration (up to 10 rules; a rule is a signing profile ARN and up
 *   to 100 WILDCARD_MATCH repository filters, none meaning every repository) is a setting of the
 *   registry (account + region).
 * - A push (PutImage or a registry manifest PUT) to a repository some rule matches records one
 *   IN_PROGRESS signature per distinct profile (table ecr_signing_statuses) and kicks the
 *   `ecr-signing` job, which signs and marks each COMPLETE or FAILED. The rows are the queue, so
 *   a restart signs what a crash left IN_PROGRESS. Pushing a referrer (a manifest with a
 *   `subject`: a signature, an SBOM, an attestation) signs nothing. // UNVERIFIED: the guide does
 *   not say which manifests ECR signs; simfra signs every pushed image manifest and index that
 *   is not a referrer, and does not sign an image again that a profile already signed.
 * - The signature is a Notary Project signature (JWS envelope, ES384) pushed as an OCI referrer of
 *   the image (oci/notary-signature.ts): the referrers API lists it and deleting the image
 *   deletes it, as for any referrer.
 * - simfra has no AWS Signer API. Every well-formed profile ARN in the registry's own account and
 *   region is taken to be an active `Notation-OCI-SHA384-ECDSA` profile (AWS Signer's Notation
 *   platform), whose key and certificate simfra makes (signing-keys.ts); a profile of another
 *   account or region cannot be used: its signature FAILS with a reason.
 */
import type { RequestContext } from '../../aws/context.js';
import type { Clock } from '../../clock.js';
import type { ImageRecord } from '../../images/images.js';
import { SigningConfigurationNotFoundException } from '../../model/ecr/errors.js';
import type {
  DeleteSigningConfigurationRequest,
  DeleteSigningConfigurationResponse,
  DescribeImageSigningStatusRequest,
  DescribeImageSigningStatusResponse,
  GetSigningConfigurationRequest,
  GetSigningConfigurationResponse,
  PutSigningConfigurationRequest,
  PutSigningConfigurationResponse,
  SigningConfiguration,
} from '../../model/ecr/types.js';
import { parseDigest } from '../../oci/digest.js';
import { EMPTY_JSON, EMPTY_JSON_DIGEST, NotaryMediaType, signNotary, THUMBPRINT_ANNOTATION } from '../../oci/notary-signature.js';
import { MediaType } from '../../oci/media-types.js';
import type { RepoKey, SigningStatusRecord } from '../../store/meta/meta-store.js';
import { Readable } from 'node:stream';
import type { EcrDeps } from './deps.js';
import { answerId, getImageById, repoKeyOf } from './image-ids.js';
import { messages } from './messages.js';
import type { SigningKeys } from './signing-keys.js';

export const SIGNING_CONFIGURATION = 'signing-configuration';

/** AWS Signer's platform for Notation signatures of OCI artifacts, which simfra's profiles stand for. */
export const SIGNING_PLATFORM = 'Notation-OCI-SHA384-ECDSA';

/**
 * How long a signature is good for: AWS Signer's default signature validity period, 135 months
 * — source: AWS Signer developer guide, "Procedure for signing an image" ("If no validity period
 * is specified, the default value of 135 months is used"). // UNVERIFIED that managed signing
 * writes it as the Notary `expiry` header.
 */
export const SIGNATURE_VALIDITY_MONTHS = 135;

/** The signing agent simfra writes in the envelope's unprotected header. */
export const SIGNING_AGENT = 'simfra-ecr-managed-signing/1.0';

/** Failure codes of a FAILED signature. // UNVERIFIED: ECR documents no list of them. */
export const SIGNING_FAILURE = {
  profileNotFound: 'SIGNING_PROFILE_NOT_FOUND',
  imageNotFound: 'IMAGE_NOT_FOUND',
  signingFailed: 'SIGNING_FAILED',
} as const;

const PROFILE_ARN = /^arn:aws(-[a-z]+)*:signer:([a-z0-9-]+):([0-9]{12}):\/signing-profiles\/([a-zA-Z0-9_]{2,})$/;

/** Whether `name` matches a WILDCARD_MATCH filter: `*` is any sequence (also empty, also `/`). */
export function wildcardMatch(filter: string, name: string): boolean {
  const pattern = filter
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(name);
}

/** The distinct signing profiles of the rules that match repository `name`, in rule order. */
export function profilesFor(config: SigningConfiguration, name: string): string[] {
  const seen = new Set<string>();
  for (const rule of config.rules) {
    const filters = rule.repositoryFilters ?? [];
    if (filters.length > 0 && !filters.some((f) => f.filterType === 'WILDCARD_MATCH' && wildcardMatch(f.filter, name))) continue;
    seen.add(rule.signingProfileArn);
  }
  return [...seen];
}

/** Whether simfra can sign with `arn` for the registry (accountId, region): undefined if so, else why not. */
export function unusableProfile(arn: string, accountId: string, region: string): string | undefined {
  const m = PROFILE_ARN.exec(arn);
  if (m === null || m[2] !== region || m[3] !== accountId) return messages.signingProfileNotFound(arn);
  return undefined;
}

export async function signingConfigurationOf(
  deps: Pick<EcrDeps, 'meta'>,
  accountId: string,
  region: string,
): Promise<SigningConfiguration | undefined> {
  const stored = await deps.meta.settings.get(accountId, region, SIGNING_CONFIGURATION);
  return stored !== undefined ? (JSON.parse(stored) as SigningConfiguration) : undefined;
}

export function putSigningConfiguration(deps: EcrDeps) {
  return async (ctx: RequestContext, input: PutSigningConfigurationRequest): Promise<PutSigningConfigurationResponse> => {
    const signingConfiguration: SigningConfiguration = {
      rules: input.signingConfiguration.rules.map((r) => ({
        signingProfileArn: r.signingProfileArn,
        ...(r.repositoryFilters !== undefined && r.repositoryFilters.length > 0
          ? { repositoryFilters: r.repositoryFilters.map((f) => ({ filter: f.filter, filterType: f.filterType })) }
          : {}),
      })),
    };
    await deps.meta.settings.put(ctx.accountId, ctx.region, SIGNING_CONFIGURATION, JSON.stringify(signingConfiguration));
    return { signingConfiguration };
  };
}

export function getSigningConfiguration(deps: EcrDeps) {
  return async (ctx: RequestContext, _input: GetSigningConfigurationRequest): Promise<GetSigningConfigurationResponse> => {
    const signingConfiguration = await signingConfigurationOf(deps, ctx.accountId, ctx.region);
    if (signingConfiguration === undefined) throw new SigningConfigurationNotFoundException(messages.signingConfigurationNotFound(ctx.accountId));
    return { registryId: ctx.accountId, signingConfiguration };
  };
}

export function deleteSigningConfiguration(deps: EcrDeps) {
  return async (ctx: RequestContext, _input: DeleteSigningConfigurationRequest): Promise<DeleteSigningConfigurationResponse> => {
    const signingConfiguration = await signingConfigurationOf(deps, ctx.accountId, ctx.region);
    if (signingConfiguration === undefined) throw new SigningConfigurationNotFoundException(messages.signingConfigurationNotFound(ctx.accountId));
    // Existing signatures stay — source: API reference, DeleteSigningConfiguration.
    await deps.meta.settings.delete(ctx.accountId, ctx.region, SIGNING_CONFIGURATION);
    return { registryId: ctx.accountId, signingConfiguration };
  };
}

export function describeImageSigningStatus(deps: EcrDeps) {
  return async (ctx: RequestContext, input: DescribeImageSigningStatusRequest): Promise<DescribeImageSigningStatusResponse> => {
    const key = repoKeyOf(ctx, input);
    const image = await getImageById(deps.images, key, input.imageId);
    const rows = await deps.meta.signing.statusesOf(key, image.digest);
    return {
      repositoryName: key.name,
      imageId: answerId(image, input.imageId),
      registryId: key.accountId,
      signingStatuses: rows.map((r) => ({
        signingProfileArn: r.signingProfileArn,
        status: r.status as 'IN_PROGRESS',
        ...(r.failureCode !== undefined ? { failureCode: r.failureCode } : {}),
        ...(r.failureReason !== undefined ? { failureReason: r.failureReason } : {}),
      })),
    };
  };
}

export interface ManagedSignerDeps extends Pick<EcrDeps, 'meta' | 'images'> {
  keys: SigningKeys;
  clock: Clock;
  /** Asks for a run of the `ecr-signing` job soon (app.ts: Jobs.run, not awaited). */
  kick?: () => void;
  warn?: (details: Record<string, unknown>, message: string) => void;
}

export interface SigningRunSummary {
  signed: number;
  failed: number;
}

/** The queue of signatures and the worker that makes them (the `ecr-signing` job runs `drain`). */
export class ManagedSigner {
  private runWaiting = false;

  constructor(private readonly deps: ManagedSignerDeps) {}

  /** A client pushed `image` to `key`: records a pending signature per matching profile. */
  async imagePushed(key: RepoKey, image: ImageRecord): Promise<void> {
    // A referrer (above all a signature) is not signed, or each signature would ask for another.
    if (image.subject !== undefined || image.artifactType === NotaryMediaType.Signature) return;
    const config = await signingConfigurationOf(this.deps, key.accountId, key.region);
    if (config === undefined) return;
    const profiles = profilesFor(config, key.name);
    if (profiles.length === 0) return;
    const existing = new Map((await this.deps.meta.signing.statusesOf(key, image.digest)).map((r) => [r.signingProfileArn, r.status]));
    const now = this.deps.clock.now();
    let queued = false;
    for (const signingProfileArn of profiles) {
      const status = existing.get(signingProfileArn);
      if (status === 'IN_PROGRESS') continue;
      // Signed already — unless the image (and its signatures with it) was deleted and pushed anew.
      if (status === 'COMPLETE' && (await this.signedBy(key, image.digest, signingProfileArn))) continue;
      await this.deps.meta.signing.putStatus({
        accountId: key.accountId,
        region: key.region,
        repositoryName: key.name,
        imageDigest: image.digest,
        signingProfileArn,
        status: 'IN_PROGRESS',
        updatedAt: now,
      });
      queued = true;
    }
    if (queued && !this.runWaiting && this.deps.kick) {
      this.runWaiting = true;
      this.deps.kick();
    }
  }

  /** Whether the image has a Notary signature by the profile's certificate (the thumbprint annotation's first entry). */
  private async signedBy(key: RepoKey, digest: string, signingProfileArn: string): Promise<boolean> {
    const leaf = await this.deps.keys.leafThumbprint(key.accountId, signingProfileArn);
    if (leaf === undefined) return false;
    const signatures = await this.deps.images.referrers(key, parseDigest(digest), { artifactTypes: [NotaryMediaType.Signature], status: 'ANY' });
    return signatures.some((s) => {
      try {
        return (JSON.parse(s.annotations?.[THUMBPRINT_ANNOTATION] ?? '[]') as unknown[])[0] === leaf;
      } catch {
        return false;
      }
    });
  }

  /** Makes every pending signature (also those a push adds meanwhile). */
  async drain(): Promise<SigningRunSummary> {
    this.runWaiting = false;
    const summary: SigningRunSummary = { signed: 0, failed: 0 };
    const tried = new Set<string>();
    for (;;) {
      const batch = (await this.deps.meta.signing.pending(100)).filter((r) => !tried.has(rowId(r)));
      if (batch.length === 0) return summary;
      for (const row of batch) {
        tried.add(rowId(row));
        const failure = await this.sign(row);
        await this.deps.meta.signing.putStatus({
          accountId: row.accountId,
          region: row.region,
          repositoryName: row.repositoryName,
          imageDigest: row.imageDigest,
          signingProfileArn: row.signingProfileArn,
          status: failure === undefined ? 'COMPLETE' : 'FAILED',
          ...(failure !== undefined ? { failureCode: failure.code, failureReason: failure.reason } : {}),
          updatedAt: this.deps.clock.now(),
        });
        if (failure === undefined) summary.signed++;
        else summary.failed++;
      }
    }
  }

  /** One signature; why it failed, or undefined when it is stored. */
  private async sign(row: SigningStatusRecord): Promise<{ code: string; reason: string } | undefined> {
    const key: RepoKey = { accountId: row.accountId, region: row.region, name: row.repositoryName };
    const unusable = unusableProfile(row.signingProfileArn, row.accountId, row.region);
    if (unusable !== undefined) return { code: SIGNING_FAILURE.profileNotFound, reason: unusable };
    try {
      const digest = parseDigest(row.imageDigest);
      const image = await this.deps.images.findImage(key, { kind: 'digest', digest }).catch(() => undefined);
      if (image === undefined) return { code: SIGNING_FAILURE.imageNotFound, reason: messages.signingImageGone(row.imageDigest) };
      // A crash after the signature was stored but before its status was: it is there, done.
      if (await this.signedBy(key, image.digest, row.signingProfileArn)) return undefined;
      const profile = await this.deps.keys.profile(row.accountId, row.signingProfileArn);
      const signingTime = this.deps.clock.now();
      const expiry = new Date(signingTime);
      expiry.setUTCMonth(expiry.getUTCMonth() + SIGNATURE_VALIDITY_MONTHS);
      const signature = signNotary({
        target: { mediaType: image.mediaType, digest: image.digest, size: image.manifestSize },
        chain: profile.chain,
        sign: profile.sign,
        signingTime,
        expiry,
        signingAgent: SIGNING_AGENT,
      });
      await this.deps.images.pushBlob(key, EMPTY_JSON_DIGEST, Readable.from([EMPTY_JSON]));
      await this.deps.images.pushBlob(key, signature.envelopeDigest, Readable.from([signature.envelope]));
      await this.deps.images.putManifest(key, { manifest: signature.manifest, mediaType: MediaType.OciManifest, digest: signature.manifestDigest });
      return undefined;
    } catch (e) {
      this.deps.warn?.({ err: e, repositoryName: row.repositoryName, imageDigest: row.imageDigest, signingProfileArn: row.signingProfileArn }, 'image signing failed');
      return { code: SIGNING_FAILURE.signingFailed, reason: messages.signingFailed(e instanceof Error ? e.message : String(e)) };
    }
  }
}

const rowId = (r: SigningStatusRecord): string =>
  `${r.accountId}/${r.region}/${r.repositoryName}/${r.imageDigest}/${r.signingProfileArn}`;
