/**
 * Lifecycle policies at work: previews and evaluations of a repository's images, through the
 * image domain's own paths — an expiry is BatchDeleteImage's `removeImage` (tags gone from the
 * registry and the API at once), a transition is UpdateImageStorageClass's `setStorageClass`.
 * Which images go is decided by the pure engine (evaluate.ts) on one snapshot of the repository.
 */
import type { Clock } from '../../clock.js';
import { parseDigest } from '../../oci/digest.js';
import type { ImageRecord, LifecyclePolicyRecord, MetaStore, RepoKey, RepositoryRecord } from '../../store/meta/meta-store.js';
import { ImageError } from '../errors.js';
import type { Images } from '../images.js';
import type { Repositories } from '../repositories.js';
import { evaluateLifecycle, type LifecycleAction, type LifecycleImage } from './evaluate.js';
import { LifecyclePolicyError, parseLifecyclePolicy, type LifecyclePolicy } from './policy.js';

/** Images read a page at a time while taking the snapshot. */
const SNAPSHOT_PAGE = 1000;

/** One line of a preview: what would happen to an image, and by which rule. */
export interface LifecyclePreviewEntry {
  imageDigest: string;
  imageTags: string[];
  imagePushedAt: Date;
  action: { type: 'EXPIRE' | 'TRANSITION'; targetStorageClass?: 'ARCHIVE' };
  appliedRulePriority: number;
  /** The image's storage class now. */
  storageClass: 'STANDARD' | 'ARCHIVE';
}

export interface LifecyclePreview {
  policyText: string;
  status: 'IN_PROGRESS' | 'COMPLETE' | 'FAILED';
  results: LifecyclePreviewEntry[];
}

/** What one evaluation of one repository's policy did. */
export interface LifecycleRunResult {
  expired: string[];
  transitioned: string[];
  /** Images the engine chose that changed under it (deleted, or listed by an index pushed meanwhile). */
  skipped: string[];
}

export interface LifecycleEvaluationSummary {
  policiesEvaluated: number;
  imagesExpired: number;
  imagesTransitioned: number;
  imagesSkipped: number;
  /** Policies that could not be evaluated (a stored text the engine now refuses, a failure). */
  policiesFailed: number;
  repositories: { registryId: string; region: string; repositoryName: string; expired: number; transitioned: number }[];
}

/** Another preview of the repository is being computed. */
export class PreviewInProgressError extends Error {
  constructor(
    readonly repositoryName: string,
    readonly registryId: string,
  ) {
    super(`a lifecycle policy preview of ${registryId}/${repositoryName} is in progress`);
  }
}

export interface LifecycleDeps {
  meta: MetaStore;
  images: Images;
  repositories: Repositories;
  clock: Clock;
}

export class Lifecycle {
  readonly #meta: MetaStore;
  readonly #images: Images;
  readonly #repositories: Repositories;
  readonly #clock: Clock;
  /** Repositories whose preview is being computed. */
  readonly #previewing = new Set<number>();

  constructor(deps: LifecycleDeps) {
    this.#meta = deps.meta;
    this.#images = deps.images;
    this.#repositories = deps.repositories;
    this.#clock = deps.clock;
  }

  /**
   * Computes a preview of `policyText` on the repository as it is now and stores it as the
   * repository's preview; changes no image. Throws PreviewInProgressError while another preview
   * of the repository is being computed, LifecyclePolicyError for a policy ECR refuses.
   */
  async startPreview(key: RepoKey, policyText: string): Promise<LifecyclePreview> {
    const policy = parseLifecyclePolicy(policyText);
    const repo = await this.#repositories.get(key);
    if (this.#previewing.has(repo.id)) throw new PreviewInProgressError(key.name, key.accountId);
    this.#previewing.add(repo.id);
    try {
      const startedAt = this.#clock.now();
      const { actions, images } = await this.#plan(repo, policy, startedAt);
      const results = actions.map((a) => previewEntry(a, images.get(a.digest)!));
      await this.#meta.lifecycle.putPreview(key, { policyText, status: 'COMPLETE', startedAt, results: JSON.stringify(results) });
      return { policyText, status: 'COMPLETE', results };
    } finally {
      this.#previewing.delete(repo.id);
    }
  }

  /** The repository's latest preview, or undefined. Throws RepositoryNotFound. */
  async getPreview(key: RepoKey): Promise<LifecyclePreview | undefined> {
    await this.#repositories.get(key);
    const stored = await this.#meta.lifecycle.getPreview(key);
    if (stored === undefined) return undefined;
    const raw = JSON.parse(stored.results) as (Omit<LifecyclePreviewEntry, 'imagePushedAt'> & { imagePushedAt: string })[];
    return {
      policyText: stored.policyText,
      status: stored.status,
      results: raw.map((r) => ({ ...r, imagePushedAt: new Date(r.imagePushedAt) })),
    };
  }

  /** Evaluates the repository's stored policy now and carries out what it selects. */
  async evaluate(record: LifecyclePolicyRecord): Promise<LifecycleRunResult> {
    const policy = parseLifecyclePolicy(record.policyText);
    const repo = await this.#repositories.get(record);
    const now = this.#clock.now();
    const { actions, images } = await this.#plan(repo, policy, now);
    const result: LifecycleRunResult = { expired: [], transitioned: [], skipped: [] };
    for (const action of actions) {
      const ref = { kind: 'digest', digest: parseDigest(action.digest) } as const;
      // A push may have tagged the image (or a pull refreshed it) since the snapshot: then the
      // decision no longer holds, and the image waits for the next evaluation.
      const current = await this.#images.findImage(record, ref);
      if (current === undefined) {
        // A referrer is deleted with its subject (the same path as BatchDeleteImage's): gone already.
        (action.withSubject !== undefined ? result.expired : result.skipped).push(action.digest);
        continue;
      }
      if (changedSince(images.get(action.digest)!, current)) {
        result.skipped.push(action.digest);
        continue;
      }
      try {
        if (action.type === 'EXPIRE') {
          await this.#images.removeImage(record, ref);
          result.expired.push(action.digest);
        } else {
          await this.#images.setStorageClass(record, ref, 'ARCHIVE');
          result.transitioned.push(action.digest);
        }
      } catch (e) {
        // Changed since the snapshot (deleted, or listed by an index pushed meanwhile): left as
        // it is; the next evaluation sees the new state.
        if (e instanceof ImageError && (e.kind === 'ImageNotFound' || e.kind === 'ImageReferencedByManifestList')) {
          result.skipped.push(action.digest);
          continue;
        }
        throw e;
      }
    }
    await this.#meta.lifecycle.recordEvaluation(repo.id, now);
    return result;
  }

  /** Evaluates every stored policy of every account and region (the `ecr-lifecycle` job). */
  async evaluateAll(onError: (record: LifecyclePolicyRecord, e: unknown) => void = () => undefined): Promise<LifecycleEvaluationSummary> {
    const summary: LifecycleEvaluationSummary = {
      policiesEvaluated: 0,
      imagesExpired: 0,
      imagesTransitioned: 0,
      imagesSkipped: 0,
      policiesFailed: 0,
      repositories: [],
    };
    for (const record of await this.#meta.lifecycle.list()) {
      let result: LifecycleRunResult;
      try {
        result = await this.evaluate(record);
      } catch (e) {
        // A repository deleted meanwhile is no failure; anything else is reported and the
        // other repositories still get their turn.
        if (e instanceof ImageError && e.kind === 'RepositoryNotFound') continue;
        if (!(e instanceof LifecyclePolicyError)) onError(record, e);
        summary.policiesFailed++;
        continue;
      }
      summary.policiesEvaluated++;
      summary.imagesExpired += result.expired.length;
      summary.imagesTransitioned += result.transitioned.length;
      summary.imagesSkipped += result.skipped.length;
      if (result.expired.length + result.transitioned.length > 0) {
        summary.repositories.push({
          registryId: record.accountId,
          region: record.region,
          repositoryName: record.name,
          expired: result.expired.length,
          transitioned: result.transitioned.length,
        });
      }
    }
    return summary;
  }

  /** One snapshot of the repository and the engine's decision on it. */
  async #plan(
    repo: RepositoryRecord,
    policy: LifecyclePolicy,
    now: Date,
  ): Promise<{ actions: LifecycleAction[]; images: Map<string, ImageRecord> }> {
    const key: RepoKey = { accountId: repo.accountId, region: repo.region, name: repo.name };
    const images = new Map<string, ImageRecord>();
    let after: string | undefined;
    do {
      const page = await this.#images.listImages(key, { status: 'ANY', limit: SNAPSHOT_PAGE, ...(after !== undefined ? { after } : {}) });
      for (const image of page.items) images.set(image.digest, image);
      after = page.next;
    } while (after !== undefined);
    const children = new Map<string, string[]>();
    for (const { parent, child } of await this.#meta.lifecycle.indexEdges(repo.id)) {
      const list = children.get(parent);
      if (list === undefined) children.set(parent, [child]);
      else list.push(child);
    }
    const snapshot: LifecycleImage[] = [];
    for (const image of images.values()) snapshot.push(lifecycleImage(image, children.get(image.digest) ?? [], now));
    return { actions: evaluateLifecycle(policy, snapshot, now), images };
  }
}

/** Whether what a rule looks at changed between the snapshot and now. */
function changedSince(before: ImageRecord, now: ImageRecord): boolean {
  return (
    before.tags.join('\n') !== now.tags.join('\n') ||
    before.storageClass !== now.storageClass ||
    before.lastPulledAt?.getTime() !== now.lastPulledAt?.getTime()
  );
}

function lifecycleImage(image: ImageRecord, children: readonly string[], now: Date): LifecycleImage {
  const restored = image.storageClass === 'STANDARD' ? image.restoredAt : undefined;
  return {
    digest: image.digest,
    tags: image.tags,
    pushedAt: image.pushedAt,
    ...(image.lastPulledAt !== undefined ? { lastPulledAt: image.lastPulledAt } : {}),
    storageClass: image.storageClass,
    ...(image.lastArchivedAt !== undefined ? { lastArchivedAt: image.lastArchivedAt } : {}),
    ...(restored !== undefined ? (restored > now ? { activating: true } : { lastActivatedAt: restored }) : {}),
    ...(image.subject !== undefined ? { subject: image.subject } : {}),
    children,
  };
}

function previewEntry(action: LifecycleAction, image: ImageRecord): LifecyclePreviewEntry {
  return {
    imageDigest: image.digest,
    imageTags: image.tags,
    imagePushedAt: image.pushedAt,
    action: { type: action.type, ...(action.targetStorageClass !== undefined ? { targetStorageClass: action.targetStorageClass } : {}) },
    appliedRulePriority: action.rulePriority,
    storageClass: image.storageClass,
  };
}
