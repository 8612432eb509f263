/**
 * Tag immutability as ECR applies it on push:
 *  - MUTABLE: every tag may move;
 *  - IMMUTABLE: no tag may move;
 *  - IMMUTABLE_WITH_EXCLUSION: tags matching a filter stay mutable, the rest are immutable;
 *  - MUTABLE_WITH_EXCLUSION: tags matching a filter are immutable, the rest stay mutable.
 * A filter is a WILDCARD pattern where `*` matches any run of characters (possibly none).
 * — source: the ECR model (ImageTagMutability, ImageTagMutabilityExclusionFilter) and
 *   ../shared/reference/ecr-behaviour.md §3.7
 */
export interface MutabilitySettings {
  imageTagMutability: string;
  imageTagMutabilityExclusionFilters: readonly { filterType: string; filter: string }[];
}

export function isTagImmutable(settings: MutabilitySettings, tag: string): boolean {
  const matches = () => settings.imageTagMutabilityExclusionFilters.some((f) => wildcardMatch(f.filter, tag));
  switch (settings.imageTagMutability) {
    case 'IMMUTABLE':
      return true;
    case 'IMMUTABLE_WITH_EXCLUSION':
      return !matches();
    case 'MUTABLE_WITH_EXCLUSION':
      return matches();
    default:
      return false;
  }
}

/** Whole-string match of `pattern`, where `*` stands for any characters and everything else for itself. */
export function wildcardMatch(pattern: string, text: string): boolean {
  const parts = pattern.split('*');
  const first = parts[0] ?? '';
  if (parts.length === 1) return pattern === text;
  const last = parts[parts.length - 1] ?? '';
  if (!text.startsWith(first) || text.length < first.length + last.length || !text.endsWith(last)) return false;
  // Middle pieces, left to right, each as early as possible (greedy-free, so linear).
  let at = first.length;
  const end = text.length - last.length;
  for (const piece of parts.slice(1, -1)) {
    if (piece === '') continue;
    const found = text.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}
