/**
 * ECR replication (issue 13 item 1) — source: ECR user guide "Private image replication in
 * Amazon ECR" and API reference PutReplicationConfiguration / DescribeImageReplicationStatus.
 *
 * - The registry's replication configuration (up to 10 rules, up to 25 unique destinations over
 *   all rules, up to 100 `PREFIX_MATCH` filters a rule) is stored as a setting of the registry
 *   and DescribeRegistry shows it.
 * - Every push to a repository a rule matches (no filters: every repository) records one
 *   IN_PROGRESS copy per destination (table ecr_replications), then kicks the `ecr-replication`
 *   job, which copies the image through the image domain (Images.copyImage: blobs linked,
 *   children before an index, the subject before its referrer, tags as in the source) and marks
 *   the copy COMPLETE or FAILED. Replicas are not replicated onward; deletes are not replicated.
 * - A cross-account copy needs the destination registry's policy to allow the source account's
 *   root `ecr:CreateRepository` and `ecr:ReplicateImage`; a same-account copy to another region
 *   needs nothing. A destination repository that does not exist is created with the REPLICATION
 *   creation template that applies, else with ECR's defaults.
 */
import type { RequestContext } from '../../aws/context.js';
import type { Clock } from '../../clock.js';
import { AccessDeniedError } from '../../iam/authorize.js';
import { rootPrincipal } from '../../iam/principal.js';
import { parseDigest } from '../../oci/digest.js';
import type { ImageRecord } from '../../images/images.js';
import { InvalidParameterException } from '../../model/ecr/errors.js';
import type {
  DescribeImageReplicationStatusRequest,
  DescribeImageReplicationStatusResponse,
  PutReplicationConfigurationRequest,
  PutReplicationConfigurationResponse,
  ReplicationConfiguration,
} from '../../model/ecr/types.js';
import type { RepoKey, ReplicationRecord } from '../../store/meta/meta-store.js';
import { repositoryArn } from './arns.js';
import { ensureRepository } from './creation-templates.js';
import type { EcrDeps } from './deps.js';
import { answerId, getImageById, repoKeyOf } from './image-ids.js';
import { messages } from './messages.js';
import { REPLICATION_CONFIGURATION } from './registry-settings.js';

/** Unique destinations over all rules — source: ECR user guide, replication considerations. */
export const MAX_REPLICATION_DESTINATIONS = 25;

/** Failure codes of a FAILED copy. // UNVERIFIED: ECR documents no list of its failure codes. */
export const REPLICATION_FAILURE = {
  accessDenied: 'ACCESS_DENIED',
  noSuchAccount: 'DESTINATION_REGISTRY_NOT_FOUND',
  copyFailed: 'REPLICATION_FAILED',
} as const;

export async function replicationConfigurationOf(deps: Pick<EcrDeps, 'meta'>, accountId: string, region: string): Promise<ReplicationConfiguration> {
  const stored = await deps.meta.settings.get(accountId, region, REPLICATION_CONFIGURATION);
  return stored ? (JSON.parse(stored) as ReplicationConfiguration) : { rules: [] };
}

/** The unique destinations of the rules that match repository `name`, in rule order. */
export function destinationsFor(config: ReplicationConfiguration, name: string): { region: string; registryId: string }[] {
  const seen = new Map<string, { region: string; registryId: string }>();
  for (const rule of config.rules) {
    const filters = rule.repositoryFilters ?? [];
    if (filters.length > 0 && !filters.some((f) => f.filterType === 'PREFIX_MATCH' && name.startsWith(f.filter))) continue;
    for (const d of rule.destinations) seen.set(`${d.registryId}/${d.region}`, { region: d.region, registryId: d.registryId });
  }
  return [...seen.values()];
}

export function putReplicationConfiguration(deps: EcrDeps) {
  return async (ctx: RequestContext, input: PutReplicationConfigurationRequest): Promise<PutReplicationConfigurationResponse> => {
    const rules = input.replicationConfiguration.rules;
    const unique = new Set<string>();
    for (const rule of rules) {
      for (const d of rule.destinations) {
        if (d.region === ctx.region && d.registryId === ctx.accountId) {
          throw new InvalidParameterException(messages.replicationToSelf());
        }
        unique.add(`${d.registryId}/${d.region}`);
      }
    }
    if (unique.size > MAX_REPLICATION_DESTINATIONS) {
      throw new InvalidParameterException(messages.replicationTooManyDestinations(MAX_REPLICATION_DESTINATIONS));
    }
    const replicationConfiguration: ReplicationConfiguration = {
      rules: rules.map((r) => ({
        destinations: r.destinations.map((d) => ({ region: d.region, registryId: d.registryId })),
        ...(r.repositoryFilters !== undefined && r.repositoryFilters.length > 0
          ? { repositoryFilters: r.repositoryFilters.map((f) => ({ filter: f.filter, filterType: f.filterType })) }
          : {}),
      })),
    };
    await deps.meta.settings.put(ctx.accountId, ctx.region, REPLICATION_CONFIGURATION, JSON.stringify(replicationConfiguration));
    return { replicationConfiguration };
  };
}

export function describeImageReplicationStatus(deps: EcrDeps) {
  return async (ctx: RequestContext, input: DescribeImageReplicationStatusRequest): Promise<DescribeImageReplicationStatusResponse> => {
    const key = repoKeyOf(ctx, input);
    const image = await getImageById(deps.images, key, input.imageId);
    const rows = await deps.meta.replications.ofImage(key, image.digest);
    return {
      repositoryName: key.name,
      imageId: answerId(image, input.imageId),
      replicationStatuses: rows.map((r) => ({
        region: r.destRegion,
        registryId: r.destRegistryId,
        status: r.status as 'IN_PROGRESS',
        ...(r.failureCode !== undefined ? { failureCode: r.failureCode } : {}),
      })),
    };
  };
}

export interface ReplicatorDeps extends Pick<EcrDeps, 'meta' | 'images' | 'repositories' | 'ids' | 'iam' | 'kms'> {
  clock: Clock;
  /** Asks for a run of the `ecr-replication` job soon (app.ts: Jobs.run, not awaited). */
  kick?: () => void;
  /** Where unexpected copy failures are reported. */
  warn?: (details: Record<string, unknown>, message: string) => void;
}

export interface ReplicationRunSummary {
  copied: number;
  failed: number;
}

/** The queue of copies and the worker that makes them (the `ecr-replication` job runs `drain`). */
export class Replicator {
  /** A kicked run has not started yet: a further push need not kick again (that run sees it). */
  private runWaiting = false;

  constructor(private readonly deps: ReplicatorDeps) {}

  /** A client pushed `image` to `key`: records a pending copy per matching destination. */
  async imagePushed(key: RepoKey, image: ImageRecord): Promise<void> {
    const config = await replicationConfigurationOf(this.deps, key.accountId, key.region);
    const destinations = destinationsFor(config, key.name);
    if (destinations.length === 0) return;
    const now = this.deps.clock.now();
    for (const d of destinations) {
      await this.deps.meta.replications.put({
        accountId: key.accountId,
        region: key.region,
        repositoryName: key.name,
        imageDigest: image.digest,
        destRegion: d.region,
        destRegistryId: d.registryId,
        status: 'IN_PROGRESS',
        updatedAt: now,
      });
    }
    if (!this.runWaiting && this.deps.kick) {
      this.runWaiting = true;
      this.deps.kick();
    }
  }

  /** Makes every pending copy (also those a push adds meanwhile). */
  async drain(): Promise<ReplicationRunSummary> {
    this.runWaiting = false;
    const summary: ReplicationRunSummary = { copied: 0, failed: 0 };
    const tried = new Set<string>();
    for (;;) {
      const batch = (await this.deps.meta.replications.pending(100)).filter((r) => !tried.has(rowId(r)));
      if (batch.length === 0) return summary;
      for (const row of batch) {
        tried.add(rowId(row));
        const failureCode = await this.copy(row);
        // A push of the image again meanwhile asked for another copy: leave that one pending.
        const current = (await this.deps.meta.replications.ofImage(sourceOf(row), row.imageDigest)).find((r) => rowId(r) === rowId(row));
        if (current !== undefined && current.updatedAt.getTime() !== row.updatedAt.getTime()) {
          tried.delete(rowId(row));
          continue;
        }
        // (A FAILED row's earlier failureCode goes: `row` is a pending one, which has none.)
        await this.deps.meta.replications.put({
          ...row,
          status: failureCode === undefined ? 'COMPLETE' : 'FAILED',
          ...(failureCode !== undefined ? { failureCode } : {}),
          updatedAt: this.deps.clock.now(),
        });
        if (failureCode === undefined) summary.copied++;
        else summary.failed++;
      }
    }
  }

  /** One copy; the failure code, or undefined when it is done. */
  private async copy(row: ReplicationRecord): Promise<string | undefined> {
    const source = sourceOf(row);
    const target: RepoKey = { accountId: row.destRegistryId, region: row.destRegion, name: row.repositoryName };
    try {
      if ((await this.deps.meta.accounts.get(target.accountId)) === undefined) return REPLICATION_FAILURE.noSuchAccount;
      if (target.accountId !== source.accountId) {
        // The destination's registry policy must let the source account replicate into it.
        const arn = repositoryArn(target.region, target.accountId, target.name);
        await this.deps.iam.authorizer.authorize(
          { principal: rootPrincipal(source.accountId), sourceIp: 'ecr.amazonaws.com', secureTransport: true, now: this.deps.clock.now(), region: target.region },
          [
            { action: 'ecr:CreateRepository', resource: arn },
            { action: 'ecr:ReplicateImage', resource: arn },
          ],
        );
      }
      if ((await this.deps.repositories.find(target)) === undefined) await ensureRepository(this.deps, target, 'REPLICATION');
      await this.deps.images.copyImage(source, target, parseDigest(row.imageDigest));
      return undefined;
    } catch (e) {
      if (e instanceof AccessDeniedError) return REPLICATION_FAILURE.accessDenied;
      // Anything else (the source image deleted before its copy, a KMS key unusable, an immutable
      // tag in the destination): the copy fails and is logged; the next push tries again.
      this.deps.warn?.({ err: e, repositoryName: row.repositoryName, imageDigest: row.imageDigest, destination: `${target.accountId}/${target.region}` }, 'image replication failed');
      return REPLICATION_FAILURE.copyFailed;
    }
  }

}

const sourceOf = (r: ReplicationRecord): RepoKey => ({ accountId: r.accountId, region: r.region, name: r.repositoryName });
const rowId = (r: ReplicationRecord): string => `${r.accountId}/${r.region}/${r.repositoryName}/${r.imageDigest}/${r.destRegistryId}/${r.destRegion}`;
