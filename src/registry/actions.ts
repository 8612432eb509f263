/**
 * The one place that says which IAM actions each registry route needs, on which resource.
 * — sources: ECR user guide "Private repository policies" / "Amazon ECR managed policies"
 *   (pull = ecr:BatchGetImage + ecr:GetDownloadUrlForLayer, push = ecr:InitiateLayerUpload,
 *   ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:BatchCheckLayerAvailability, ecr:PutImage),
 *   ecr-behaviour.md §3.8, and "Blob mounting in Amazon ECR" (GetDownloadUrlForLayer on the source).
 */
import type { AuthzRequest } from '../iam/authorize.js';
import { repositoryArn } from '../services/ecr/arns.js';
import type { RepoKey } from '../store/meta/meta-store.js';

export const ROUTE_ACTIONS = {
  /** Only the token is checked (ECR's `GET /v2/`). */
  base: () => [],
  /** ECR has no catalog; it is permission-checked like DescribeRepositories. */
  catalog: () => ['ecr:DescribeRepositories'],
  /** skopeo and crane list tags; ECR answers 403 without ecr:ListImages (containers/skopeo#726). */
  'tags.list': () => ['ecr:ListImages'],
  'manifest.get': () => ['ecr:BatchGetImage'],
  'manifest.put': () => ['ecr:PutImage'],
  'manifest.delete': () => ['ecr:BatchDeleteImage'],
  'referrers.list': () => ['ecr:BatchGetImage'],
  'blob.get': (method: string) => [method === 'HEAD' ? 'ecr:BatchCheckLayerAvailability' : 'ecr:GetDownloadUrlForLayer'],
  'blob.delete': () => ['ecr:BatchDeleteImage'],
  /** A monolithic `POST ?digest=` is initiate, part and complete in one request. */
  'upload.start': (_method: string, url: URL) =>
    url.searchParams.has('digest')
      ? ['ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload']
      : ['ecr:InitiateLayerUpload'],
  'upload.patch': () => ['ecr:UploadLayerPart'],
  'upload.complete': () => ['ecr:CompleteLayerUpload'],
  'upload.status': () => ['ecr:UploadLayerPart'],
  'upload.cancel': () => ['ecr:UploadLayerPart'],
} as const satisfies Record<string, (method: string, url: URL) => readonly string[]>;

export type RouteId = keyof typeof ROUTE_ACTIONS;

/** What IAM is asked before the route's handler runs. */
export function routeAuthorization(id: RouteId, method: string, url: URL, registry: RepoKey): AuthzRequest[] {
  const actions: readonly string[] = ROUTE_ACTIONS[id](method, url);
  // The catalog covers every repository of the registry, as DescribeRepositories does.
  const resource = repositoryArn(registry.region, registry.accountId, id === 'catalog' ? '*' : registry.name);
  return actions.map((action) => ({ action, resource }));
}

/** A cross-repository mount also reads the source repository. */
export function mountSourceRequests(source: RepoKey): AuthzRequest[] {
  return [{ action: 'ecr:GetDownloadUrlForLayer', resource: repositoryArn(source.region, source.accountId, source.name) }];
}
