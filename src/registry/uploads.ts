/**
 * Blob uploads: `POST /v2/<name>/blobs/uploads/` (session, monolithic `?digest=`, or cross-repo
 * `?mount=&from=`), `PATCH`, `PUT ?digest=`, `GET` (status) and `DELETE` (cancel) on
 * `/v2/<name>/blobs/uploads/<uuid>`. Bodies stream from the socket through the hashing blob
 * store; nothing here holds a layer in memory.
 */
import { AccessDeniedError } from '../iam/authorize.js';
import type { LayerRecord, UploadState } from '../images/images.js';
import { parseDigest } from '../oci/digest.js';
import { isRepositoryName } from '../oci/reference.js';
import { digestParam } from './blobs.js';
import type { RegistryRequest } from './context.js';
import { RegistryError } from './errors.js';
import { contentLength } from '../http/body.js';
import { parseContentRange, sendEmpty, type Headers } from './http.js';
import { uploadRange } from './map-errors.js';
import { mountSourceRequests } from './actions.js';

const sessionHeaders = (name: string, state: UploadState): Headers => ({
  location: `/v2/${name}/blobs/uploads/${state.id}`,
  range: uploadRange(state.size),
  'docker-upload-uuid': state.id,
});

function sendCreated(r: RegistryRequest, layer: LayerRecord): void {
  sendEmpty(r.res, 201, { location: `/v2/${r.repo.name}/blobs/${layer.digest}`, 'docker-content-digest': layer.digest });
}

/** How many bytes this request may carry: its Content-Range, else its Content-Length. */
function partFraming(r: RegistryRequest): { offset?: number; maxLength?: number } {
  const range = parseContentRange(r.req.headers['content-range']);
  const length = contentLength(r.req);
  if (range === undefined) return length === undefined ? {} : { maxLength: length };
  const rangeLength = range.end - range.start + 1;
  if (length !== undefined && length !== rangeLength) {
    throw new RegistryError('BLOB_UPLOAD_INVALID', {
      detail: `Content-Length ${length} does not match Content-Range ${range.start}-${range.end}`,
    });
  }
  return { offset: range.start, maxLength: rangeLength };
}

export async function startUpload(r: RegistryRequest): Promise<void> {
  const { url, deps, repo, req, signal } = r;
  const mount = url.searchParams.get('mount');
  if (mount !== null) {
    const mounted = await tryMount(r, mount, url.searchParams.get('from'));
    if (mounted !== undefined) return sendCreated(r, mounted);
  }
  const digest = url.searchParams.get('digest');
  if (digest !== null) {
    const layer = await deps.images.pushBlob(repo, digestParam(digest), req, { ...partFraming(r), signal });
    return sendCreated(r, layer);
  }
  const state = await deps.images.startUpload(repo);
  sendEmpty(r.res, 202, sessionHeaders(repo.name, state));
}

/**
 * A mount happens only as ECR allows it: BLOB_MOUNTING enabled for the account, the source in
 * the same registry, readable by the caller (ecr:GetDownloadUrlForLayer), with the same
 * encryption configuration. Otherwise the client gets an ordinary upload session — source: ECR
 * user guide, "Blob mounting in Amazon ECR".
 */
async function tryMount(r: RegistryRequest, rawDigest: string, from: string | null): Promise<LayerRecord | undefined> {
  if (from === null || !isRepositoryName(from)) return undefined;
  let digest;
  try {
    digest = parseDigest(rawDigest);
  } catch {
    return undefined;
  }
  if ((await r.deps.accountSetting(r.accountId, r.region, 'BLOB_MOUNTING')) !== 'ENABLED') return undefined;
  const source = { accountId: r.accountId, region: r.region, name: from };
  try {
    await r.authorize(mountSourceRequests(source));
  } catch (e) {
    if (e instanceof AccessDeniedError) return undefined;
    throw e;
  }
  return r.deps.images.mountLayer(r.repo, source, digest);
}

export async function patchUpload(r: RegistryRequest): Promise<void> {
  const state = await r.deps.images.appendUpload(r.repo, r.uuid, r.req, { ...partFraming(r), signal: r.signal });
  // 202 as the spec says; ECR answers 201 here, which OCI clients call a bug (README).
  sendEmpty(r.res, 202, sessionHeaders(r.repo.name, state));
}

export async function completeUpload(r: RegistryRequest): Promise<void> {
  const digest = digestParam(r.url.searchParams.get('digest'));
  const framing = partFraming(r);
  const length = contentLength(r.req);
  const hasBody = length === undefined ? r.req.headers['transfer-encoding'] !== undefined : length > 0;
  const layer = await r.deps.images.completeUpload(
    r.repo,
    r.uuid,
    digest,
    hasBody ? { body: r.req, ...framing, signal: r.signal } : undefined,
  );
  sendCreated(r, layer);
}

export async function uploadStatus(r: RegistryRequest): Promise<void> {
  const state = await r.deps.images.uploadStatus(r.repo, r.uuid);
  sendEmpty(r.res, 204, sessionHeaders(r.repo.name, state));
}

export async function cancelUpload(r: RegistryRequest): Promise<void> {
  await r.deps.images.cancelUpload(r.repo, r.uuid);
  sendEmpty(r.res, 204);
}
