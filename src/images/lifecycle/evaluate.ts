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
  const byDigest = new Map(images.map((i) => [i.digest, i]));
  const parents = new Map<string, string[]>();
  for (const image of images) {
    for (const child of image.children) {
      if (!byDigest.has(child)) continue;
      const list = parents.get(child);
      if (list === undefined) parents.set(child, [image.digest]);
      else list.push(image.digest);
    }
  }
  const referrers = new Map<string, string[]>();
  for (const image of images) {
    if (image.subject === undefined || !byDigest.has(image.subject)) continue;
    const list = referrers.get(image.subject);
    if (list === undefined) referrers.set(image.subject, [image.digest]);
    else list.push(image.digest);
  }
  // Referrers of an image in the repository are not the rules' to select.
  const selectable = images.filter((i) => i.subject === undefined || !byDigest.has(i.subject));

  const decided = new Map<string, { type: 'EXPIRE' | 'TRANSITION'; rulePriority: number }>();
  const seen = new Set<string>();
  for (const rule of policy.rules) {
    const matches = tagMatcher(rule);
    const storageClass = rule.selection.storageClass === 'archive' ? 'ARCHIVE' : 'STANDARD';
    const candidates = selectable.filter((i) => i.storageClass === storageClass && matches(i.tags));
    for (const image of selected(rule, candidates, now)) {
      if (seen.has(image.digest) || decided.has(image.digest)) continue;
      decided.set(image.digest, { type: rule.action.type === 'expire' ? 'EXPIRE' : 'TRANSITION', rulePriority: rule.rulePriority });
    }
    for (const image of candidates) seen.add(image.digest);
  }

  // An image an index lists stays while that index stays (is not expired in this run; for a
  // transition, is not left in the standard class either). Dropping an index's action can in turn
  // protect what it lists, so repeat until nothing changes.
  let changed = true;
  while (changed) {
    changed = false;
    for (const [digest, action] of decided) {
      const protectedBy = (parents.get(digest) ?? []).some((p) => {
        const parentAction = decided.get(p);
        if (action.type === 'EXPIRE') return parentAction?.type !== 'EXPIRE';
        return parentAction === undefined && byDigest.get(p)?.storageClass !== 'ARCHIVE';
      });
      if (protectedBy) {
        decided.delete(digest);
        changed = true;
      }
    }
  }

  const actions: LifecycleAction[] = [];
  const emitted = new Set<string>();
  const emit = (digest: string, action: LifecycleAction): void => {
    if (emitted.has(digest)) return;
    emitted.add(digest);
    // Indexes that list it and are also going: first.
    for (const p of parents.get(digest) ?? []) {
      const pa = decided.get(p);
      if (pa !== undefined) emit(p, toAction(p, pa));
    }
    actions.push(action);
    if (action.type !== 'EXPIRE') return;
    for (const r of referrers.get(digest) ?? []) {
      emit(r, { digest: r, type: 'EXPIRE', rulePriority: action.rulePriority, withSubject: digest });
    }
  };
  // Oldest first, as ECR expires ("ordered by pushed_at_time").
  const order = [...decided.keys()].sort((a, b) => byDigest.get(a)!.pushedAt.getTime() - byDigest.get(b)!.pushedAt.getTime());
  for (const digest of order) emit(digest, toAction(digest, decided.get(digest)!));
  return actions;
}

function toAction(digest: string, d: { type: 'EXPIRE' | 'TRANSITION'; rulePriority: number }): LifecycleAction {
  return d.type === 'TRANSITION'
    ? { digest, type: 'TRANSITION', targetStorageClass: 'ARCHIVE', rulePriority: d.rulePriority }
    : { digest, type: 'EXPIRE', rulePriority: d.rulePriority };
}

/** The time a rule's count looks at. */
function timeOf(rule: LifecycleRule, image: LifecycleImage): number {
  switch (rule.selection.countType) {
    case 'sinceImagePulled':
      // Never pulled: ECR counts from the push — source: ECR user guide, "sinceImagePulled".
      return (image.lastPulledAt ?? image.pushedAt).getTime();
    case 'sinceImageTransitioned':
      return (image.lastArchivedAt ?? image.pushedAt).getTime();
    default:
      return image.pushedAt.getTime();
  }
}

/** The images of `candidates` the rule's count selects. */
function selected(rule: LifecycleRule, candidates: readonly LifecycleImage[], now: Date): LifecycleImage[] {
  const { countType, countNumber } = rule.selection;
  if (countType === 'imageCountMoreThan') {
    // Newest first (ties: the larger digest first, so the answer never depends on input order).
    const newestFirst = [...candidates].sort((a, b) => b.pushedAt.getTime() - a.pushedAt.getTime() || (a.digest < b.digest ? 1 : -1));
    return newestFirst.slice(countNumber);
  }
  const limit = now.getTime() - countNumber * DAY_MS;
  return candidates.filter((i) => timeOf(rule, i) < limit);
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
