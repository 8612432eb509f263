/** `GET /v2/`, `/v2/_catalog`, `/v2/<name>/tags/list` and `/v2/<name>/referrers/<digest>`. */
import { MediaType } from '../oci/media-types.js';
import { messages } from '../services/ecr/messages.js';
import { digestParam } from './blobs.js';
import type { RegistryRequest } from './context.js';
import { RegistryError } from './errors.js';
import { sendBody, sendJson } from './http.js';

/** ECR's page of tags when `n` is absent, and the most it gives — source: ecr-behaviour.md §2 (tag list row). */
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

/** `n` as ECR checks it (it is DescribeImages' maxResults underneath — source: google/go-containerregistry#681). */
function pageSize(url: URL): number {
  const raw = url.searchParams.get('n');
  if (raw === null || raw === '') return DEFAULT_PAGE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new RegistryError('UNSUPPORTED', {
      message: messages.invalidParameter('maxResults', 'Member must have value greater than or equal to 1'),
    });
  }
  if (n > MAX_PAGE) {
    throw new RegistryError('UNSUPPORTED', {
      message: messages.invalidParameter('maxResults', `Member must have value less than or equal to ${MAX_PAGE}`),
    });
  }
  return n;
}

function nextLink(path: string, n: number, last: string): string {
  return `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`;
}

export async function base({ res }: RegistryRequest): Promise<void> {
  sendJson(res, 200, {});
}

/** Repositories in lexical order, paginated like tags. */
export async function catalog({ res, url, accountId, region, deps }: RegistryRequest): Promise<void> {
  const n = pageSize(url);
  const last = url.searchParams.get('last') ?? undefined;
  const page = await deps.repositories.listNames(accountId, region, { limit: n, ...(last !== undefined ? { after: last } : {}) });
  sendJson(res, 200, { repositories: page.items }, page.next !== undefined ? { link: nextLink('/v2/_catalog', n, page.next) } : {});
}

/** Tags in lexical order; `last` is a tag name (also what the Link header carries). */
export async function listTags({ res, url, repo, deps }: RegistryRequest): Promise<void> {
  const n = pageSize(url);
  const last = url.searchParams.get('last') ?? undefined;
  const page = await deps.images.listTags(repo, { limit: n, ...(last !== undefined ? { after: last } : {}) });
  // ECR serves this JSON as text/plain — source: ecr-behaviour.md §2 (tag list row).
  sendBody(res, 200, JSON.stringify({ name: repo.name, tags: page.items }), {
    'content-type': 'text/plain; charset=utf-8',
    ...(page.next !== undefined ? { link: nextLink(`/v2/${repo.name}/tags/list`, n, page.next) } : {}),
  });
}

/**
 * The manifests whose subject is `<digest>`, as an OCI index; never 404 for an unknown subject
 * — source: distribution-spec v1.1 "Listing Referrers".
 */
export async function listReferrers({ res, url, repo, ref, deps }: RegistryRequest): Promise<void> {
  const subject = digestParam(ref);
  const artifactTypes = url.searchParams.getAll('artifactType').filter((t) => t !== '');
  const referrers = await deps.images.referrers(repo, subject, { artifactTypes });
  const index = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: referrers.map((i) => ({
      mediaType: i.mediaType,
      digest: i.digest,
      size: i.manifestSize,
      ...(i.artifactType !== undefined ? { artifactType: i.artifactType } : {}),
      ...(i.annotations !== undefined ? { annotations: i.annotations } : {}),
    })),
  };
  sendBody(res, 200, JSON.stringify(index), {
    'content-type': MediaType.OciIndex,
    ...(artifactTypes.length > 0 ? { 'oci-filters-applied': 'artifactType' } : {}),
  });
}
