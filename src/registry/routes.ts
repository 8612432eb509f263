/**
 * The registry's routes: method + path pattern → handler. Repository names may contain `/`, so
 * `<name>` is greedy and the fixed suffix (`/manifests/<ref>`, `/blobs/uploads/…`) anchors it.
 * IAM actions per route live in actions.ts, keyed by the same ids.
 */
import type { RouteId } from './actions.js';
import { deleteBlob, getBlob } from './blobs.js';
import type { RegistryHandler } from './context.js';
import { base, catalog, listReferrers, listTags } from './listings.js';
import { deleteManifest, getManifest, putManifest } from './manifests.js';
import { cancelUpload, completeUpload, patchUpload, startUpload, uploadStatus } from './uploads.js';

export interface Route {
  id: RouteId;
  methods: readonly string[];
  path: RegExp;
  handle: RegistryHandler;
}

const NAME = '(?<name>.+)';

/** In match order: upload paths before `/blobs/<digest>`, which would otherwise take `uploads`. */
export const ROUTES: readonly Route[] = [
  { id: 'base', methods: ['GET', 'HEAD'], path: /^\/v2\/?$/, handle: base },
  { id: 'catalog', methods: ['GET'], path: /^\/v2\/_catalog\/?$/, handle: catalog },
  { id: 'tags.list', methods: ['GET'], path: new RegExp(`^/v2/${NAME}/tags/list/?$`), handle: listTags },
  { id: 'manifest.get', methods: ['GET', 'HEAD'], path: new RegExp(`^/v2/${NAME}/manifests/(?<ref>[^/]+)$`), handle: getManifest },
  { id: 'manifest.put', methods: ['PUT'], path: new RegExp(`^/v2/${NAME}/manifests/(?<ref>[^/]+)$`), handle: putManifest },
  { id: 'manifest.delete', methods: ['DELETE'], path: new RegExp(`^/v2/${NAME}/manifests/(?<ref>[^/]+)$`), handle: deleteManifest },
  { id: 'upload.start', methods: ['POST'], path: new RegExp(`^/v2/${NAME}/blobs/uploads/?$`), handle: startUpload },
  { id: 'upload.patch', methods: ['PATCH'], path: new RegExp(`^/v2/${NAME}/blobs/uploads/(?<uuid>[^/]+)$`), handle: patchUpload },
  { id: 'upload.complete', methods: ['PUT'], path: new RegExp(`^/v2/${NAME}/blobs/uploads/(?<uuid>[^/]+)$`), handle: completeUpload },
  { id: 'upload.status', methods: ['GET'], path: new RegExp(`^/v2/${NAME}/blobs/uploads/(?<uuid>[^/]+)$`), handle: uploadStatus },
  { id: 'upload.cancel', methods: ['DELETE'], path: new RegExp(`^/v2/${NAME}/blobs/uploads/(?<uuid>[^/]+)$`), handle: cancelUpload },
  { id: 'blob.get', methods: ['GET', 'HEAD'], path: new RegExp(`^/v2/${NAME}/blobs/(?<ref>[^/]+)$`), handle: getBlob },
  { id: 'blob.delete', methods: ['DELETE'], path: new RegExp(`^/v2/${NAME}/blobs/(?<ref>[^/]+)$`), handle: deleteBlob },
  { id: 'referrers.list', methods: ['GET'], path: new RegExp(`^/v2/${NAME}/referrers/(?<ref>[^/]+)$`), handle: listReferrers },
];

export type RouteMatch =
  | { kind: 'route'; route: Route; name: string; ref: string; uuid: string }
  | { kind: 'method-not-allowed' }
  | { kind: 'not-found' };

export function matchRoute(method: string, path: string): RouteMatch {
  let pathMatched = false;
  for (const route of ROUTES) {
    const m = route.path.exec(path);
    if (m === null) continue;
    if (!route.methods.includes(method)) {
      pathMatched = true;
      continue;
    }
    const g = m.groups ?? {};
    return { kind: 'route', route, name: decode(g.name), ref: decode(g.ref), uuid: decode(g.uuid) };
  }
  return pathMatched ? { kind: 'method-not-allowed' } : { kind: 'not-found' };
}

function decode(part: string | undefined): string {
  if (part === undefined) return '';
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
