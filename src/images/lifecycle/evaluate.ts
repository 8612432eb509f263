/**
 * The lifecycle engine (pure): which images of one repository a policy expires or archives at
 * `now`. Preview and evaluation both call `evaluateLifecycle`, so a preview shows exactly what an
 * evaluation would do.
 *
 * ECR's semantics — source: ECR user guide, "How lifecycle policies work" and "Examples of
 * lifecycle policies" (filtering on multiple rules):
 * - rules apply in priority order (lowest rulePriority first), each to the images of its storage
 *   class only (archived images are seen by `storageClass: archive` rules only);
 * - an image is acted on by at most one rule;
 * - an image that matches the tag requirements of a higher-priority rule cannot be acted on by a
 *   lower-priority rule, whether or not that rule acted on it; lower rules still count it (they
 *   "identify them as if they haven't been expired");
 * - `imageCountMoreThan` keeps the newest countNumber images the rule selects (by push time) and
 *   selects the rest; `sinceImagePushed` / `sinceImagePulled` / `sinceImageTransitioned` select the
 *   images whose push / last recorded pull (push time when never pulled) / archiving is more than
 *   countNumber days before `now`;
 * - a manifest list / image index protects the images it lists: they are left alone while an
 *   index that lists them stays (ECR refuses to delete them too: ImageReferencedByManifestList);
 * - an image being restored from the archive (ACTIVATING) is left alone;
 * - OCI referrers (signatures, SBOMs, attestations) follow their subject: rules never select a
 *   referrer whose subject is in the repository, and expiring a subject expires its referrers —
 *   source: "Diving into OCI image and distribution 1.1 support in Amazon ECR" (AWS blog).
 */
import { MAX_WILDCARDS, type LifecyclePolicy, type LifecycleRule } from './policy.js';

const DAY_MS = 24 * 3600 * 1000;

/** What the engine needs to know of an image. */
export interface LifecycleImage {
  digest: string;
  tags: readonly string[];
  pushedAt: Date;
  lastPulledAt?: Date;
  storageClass: 'STANDARD' | 'ARCHIVE';
  lastArchivedAt?: Date;
  /**
   * When the latest restore from the archive completed (ECR's lastActivatedAt); `activating` while
   * it runs. A restore is use: `sinceImagePulled` counts from it, and a restoring image is left alone.
   */
  lastActivatedAt?: Date;
  activating?: boolean;
  /** The digest of the image this one refers to (OCI 1.1 `subject`). */
  subject?: string;
  /** The manifests an index lists (empty for an image manifest). */
  children: readonly string[];
}

export interface LifecycleAction {
  digest: string;
  type: 'EXPIRE' | 'TRANSITION';
  /** ARCHIVE for a transition. */
  targetStorageClass?: 'ARCHIVE';
  /** The rule that acted (for a referrer: the rule that expired its subject). */
  rulePriority: number;
  /** Set on a referrer expired with its subject: the subject's digest. */
  withSubject?: string;
}

/**
 * The actions in the order they can be carried out: an index before the images it lists, a
 * subject before its referrers.
 */
export function evaluateLifecycle(policy: LifecyclePolicy, images: readonly LifecycleImage[], now: Date): LifecycleAction[] {
  // Images are numbered by their place in `images`; the bookkeeping is typed arrays of those numbers.
  const n = images.length;
  const indexOf = new Map<string, number>();
  images.forEach((image, i) => indexOf.set(image.digest, i));
  // Most images have neither: the lists exist only where there is something in them.
  const parents: (number[] | undefined)[] = new Array<number[] | undefined>(n);
  const referrers: (number[] | undefined)[] = new Array<number[] | undefined>(n);
  const isReferrer = new Uint8Array(n);
  images.forEach((image, i) => {
    for (const child of image.children) {
      const c = indexOf.get(child);
      if (c !== undefined) (parents[c] ??= []).push(i);
    }
    const subject = image.subject === undefined ? undefined : indexOf.get(image.subject);
    if (subject !== undefined) {
      (referrers[subject] ??= []).push(i);
      isReferrer[i] = 1;
    }
  });
  const NONE: readonly number[] = [];
  const parentsOf = (i: number): readonly number[] => parents[i] ?? NONE;
  // Referrers of an image in the repository are not the rules' to select. The rest, newest
  // first (ties: the larger digest first, so the answer never depends on input order), sorted
  // once: every rule's candidates keep this order.
  const pushed = images.map((i) => i.pushedAt.getTime());
  const newestFirst: number[] = [];
  for (let i = 0; i < n; i++) if (isReferrer[i] === 0 && images[i]!.activating !== true) newestFirst.push(i);
  newestFirst.sort((a, b) => pushed[b]! - pushed[a]! || (images[a]!.digest < images[b]!.digest ? 1 : images[a]!.digest > images[b]!.digest ? -1 : 0));

  /** 0: no action; else the index + 1 of the rule that acts. */
  const decided = new Int32Array(n);
  const seen = new Uint8Array(n);
  const rules = policy.rules;
  rules.forEach((rule, r) => {
    const matches = tagMatcher(rule);
    const storageClass = rule.selection.storageClass === 'archive' ? 'ARCHIVE' : 'STANDARD';
    const candidates = newestFirst.filter((i) => images[i]!.storageClass === storageClass && matches(images[i]!.tags));
    for (const i of selected(rule, candidates, images, now)) {
      if (seen[i] === 0 && decided[i] === 0) decided[i] = r + 1;
    }
    for (const i of candidates) seen[i] = 1;
  });
  const typeOf = (i: number): 'EXPIRE' | 'TRANSITION' => (rules[decided[i]! - 1]!.action.type === 'expire' ? 'EXPIRE' : 'TRANSITION');

  // An image an index lists stays while that index stays (is not expired in this run; for a
  // transition, is not left in the standard class either). Dropping an index's action can in turn
  // protect what it lists, so repeat until nothing changes.
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = 0; i < n; i++) {
      const listedBy = parents[i];
      if (decided[i] === 0 || listedBy === undefined) continue;
      const type = typeOf(i);
      const protectedBy = listedBy.some((p) =>
        type === 'EXPIRE' ? decided[p] === 0 || typeOf(p) !== 'EXPIRE' : decided[p] === 0 && images[p]!.storageClass !== 'ARCHIVE',
      );
      if (protectedBy) {
        decided[i] = 0;
        changed = true;
      }
    }
  }

  const actions: LifecycleAction[] = [];
  const emitted = new Uint8Array(n);
  const ruleAction = (i: number): LifecycleAction => {
    const priority = rules[decided[i]! - 1]!.rulePriority;
    const digest = images[i]!.digest;
    return typeOf(i) === 'TRANSITION'
      ? { digest, type: 'TRANSITION', targetStorageClass: 'ARCHIVE', rulePriority: priority }
      : { digest, type: 'EXPIRE', rulePriority: priority };
  };
  const emit = (i: number, action: LifecycleAction): void => {
    if (emitted[i] === 1) return;
    emitted[i] = 1;
    // Indexes that list it and are also going: first.
    for (const p of parentsOf(i)) if (decided[p] !== 0) emit(p, ruleAction(p));
    actions.push(action);
    if (action.type !== 'EXPIRE') return;
    for (const r of referrers[i] ?? NONE) {
      // A referrer an index still lists stays, like any listed image.
      if (parentsOf(r).some((p) => decided[p] === 0 || typeOf(p) !== 'EXPIRE')) continue;
      emit(r, { digest: images[r]!.digest, type: 'EXPIRE', rulePriority: action.rulePriority, withSubject: images[i]!.digest });
    }
  };
  // Oldest first, as ECR expires ("ordered by pushed_at_time").
  for (let k = newestFirst.length - 1; k >= 0; k--) {
    const i = newestFirst[k]!;
    if (decided[i] !== 0) emit(i, ruleAction(i));
  }
  return actions;
}

/** The time a rule's count looks at. */
function timeOf(rule: LifecycleRule, image: LifecycleImage): number {
  switch (rule.selection.countType) {
    case 'sinceImagePulled':
      // Never pulled: ECR counts from the push — source: ECR user guide, "sinceImagePulled". A
      // restore from the archive counts as use too (simfra's choice: else a policy would archive
      // again, at its next run, an image just restored to be pulled).
      return Math.max((image.lastPulledAt ?? image.pushedAt).getTime(), image.lastActivatedAt?.getTime() ?? 0);
    case 'sinceImageTransitioned':
      return (image.lastArchivedAt ?? image.pushedAt).getTime();
    default:
      return image.pushedAt.getTime();
  }
}

/** The images of `candidates` (numbers into `images`, newest first) the rule's count selects. */
function selected(rule: LifecycleRule, candidates: readonly number[], images: readonly LifecycleImage[], now: Date): readonly number[] {
  const { countType, countNumber } = rule.selection;
  if (countType === 'imageCountMoreThan') return candidates.slice(countNumber);
  const limit = now.getTime() - countNumber * DAY_MS;
  return candidates.filter((i) => timeOf(rule, images[i]!) < limit);
}

/**
 * The tag requirement of a rule. A list means every entry must match one of the image's tags:
 * "If you specify multiple tags, only the images with all specified tags are selected" — source:
 * ECR user guide, "Tag pattern list" / "Tag prefix list".
 */
export function tagMatcher(rule: Pick<LifecycleRule, 'selection'>): (tags: readonly string[]) => boolean {
  const { tagStatus, tagPrefixList, tagPatternList } = rule.selection;
  if (tagStatus === 'any') return () => true;
  if (tagStatus === 'untagged') return (tags) => tags.length === 0;
  if (tagPrefixList !== undefined) {
    return (tags) => tagPrefixList.every((p) => tags.some((t) => t.startsWith(p)));
  }
  const patterns = (tagPatternList ?? []).map(wildcardPattern);
  return (tags) => tags.length > 0 && patterns.every((re) => tags.some((t) => re.test(t)));
}

/** A tagPatternList entry as a whole-tag regular expression: `*` matches any run of characters. */
export function wildcardPattern(pattern: string): RegExp {
  if ((pattern.match(/\*/g)?.length ?? 0) > MAX_WILDCARDS) throw new Error(`more than ${MAX_WILDCARDS} wildcards: ${pattern}`);
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}
