/** `GET`/`HEAD`/`DELETE /v2/<name>/blobs/<digest>`: blobs stream from the store, with ranges. */
import { sendStream } from '../store/blobs/file-stream.js';
import { InvalidDigestError, parseDigest, type Digest } from '../oci/digest.js';
import type { RegistryRequest } from './context.js';
import { RegistryError } from './errors.js';
import { parseRangeHeader } from './http.js';

/** A digest from the path or query; DIGEST_INVALID when missing, malformed or not sha256. */
export function digestParam(raw: string | null, what = 'digest'): Digest {
  if (raw === null || raw === '') throw new RegistryError('DIGEST_INVALID', { detail: `${what} is required` });
  try {
    return parseDigest(raw);
  } catch (e) {
    if (e instanceof InvalidDigestError) throw new RegistryError('DIGEST_INVALID', { detail: e.reason });
    throw e;
  }
}

export async function getBlob({ req, res, repo, ref, signal, deps }: RegistryRequest): Promise<void> {
  const digest = digestParam(ref);
  if (deps.pullThroughBlob !== undefined && (await pullThroughBlob({ req, res, repo, digest, deps }))) return;
  // A HEAD is how a push asks whether it must upload the blob.
  const layer = await deps.images.getLayer(repo, digest, { forPush: req.method === 'HEAD' });
  const headers: Record<string, string | number> = {
    'content-type': 'application/octet-stream',
    'docker-content-digest': digest,
    etag: `"${digest}"`,
    'accept-ranges': 'bytes',
    // Content-addressed: the bytes behind a digest never change.
    'cache-control': 'max-age=31536000',
  };
  if (req.method === 'HEAD') {
    res.writeHead(200, { ...headers, 'content-length': layer.size });
    res.end();
    return;
  }
  const span = parseRangeHeader(req.headers.range, layer.size);
  if (span === 'unsatisfiable') {
    throw new RegistryError('RANGE_INVALID', { headers: { 'content-range': `bytes */${layer.size}` } });
  }
  const { stream } = await deps.images.readLayer(repo, digest, { ...(span !== undefined ? { range: span } : {}), signal });
  if (span === undefined) {
    res.writeHead(200, { ...headers, 'content-length': layer.size });
  } else {
    res.writeHead(206, {
      ...headers,
      'content-length': span.end - span.start + 1,
      'content-range': `bytes ${span.start}-${span.end}/${layer.size}`,
    });
  }
  try {
    await sendStream(stream, res, signal);
  } catch (e) {
    // A client that hangs up mid-blob is not an error of ours.
    if (!signal.aborted) throw e;
  }
}

/**
 * A blob of a pull-through import under way: a plain GET streams it as it arrives from the
 * upstream (the import stores it meanwhile); a HEAD answers its size from the manifest; a range
 * waits until it is stored.
 */
async function pullThroughBlob({ req, res, repo, digest, deps }: Pick<RegistryRequest, 'req' | 'res' | 'repo' | 'deps'> & { digest: Digest }): Promise<boolean> {
  if (req.method === 'HEAD') {
    const size = deps.pullThroughBlobSize?.(repo, digest);
    if (size === undefined) return false;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'docker-content-digest': digest, etag: `"${digest}"`, 'content-length': size });
    res.end();
    return true;
  }
  if (req.headers.range !== undefined) {
    await deps.pullThroughBlob!(repo, digest);
    return false;
  }
  let started = false;
  return deps.pullThroughBlob!(repo, digest, {
    start(size) {
      started = true;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'docker-content-digest': digest, etag: `"${digest}"`, 'content-length': size });
      return res;
    },
    started: () => started,
    abort: () => {
      if (started) res.destroy();
    },
  });
}

/** ECR deletes layers only with the images that use them (lifecycle, BatchDeleteImage). */
export async function deleteBlob({ ref }: RegistryRequest): Promise<void> {
  digestParam(ref);
  throw new RegistryError('UNSUPPORTED', { detail: 'blobs are deleted with the images that reference them' });
}
