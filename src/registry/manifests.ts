/** `GET`/`HEAD`/`PUT`/`DELETE /v2/<name>/manifests/<reference>`. */
import { MAX_MANIFEST_BYTES } from '../images/images.js';
import { convertManifest, negotiateManifest } from '../oci/convert.js';
import { sha256Digest } from '../oci/digest.js';
import { parseManifest } from '../oci/manifest.js';
import { InvalidReferenceError, parseReference, type Reference } from '../oci/reference.js';
import type { RegistryRequest } from './context.js';
import { RegistryError } from './errors.js';
import { messages } from '../services/ecr/messages.js';
import { pullerOf } from '../services/ecr/pull-time-exclusions.js';
import { BodyBudgetExceededError, BodyTooLargeError, readCapped, type BudgetLease } from '../http/body.js';
import { acceptedTypes, sendBody, sendEmpty } from './http.js';

function referenceParam(raw: string): Reference {
  try {
    return parseReference(raw);
  } catch (e) {
    if (e instanceof InvalidReferenceError) {
      throw new RegistryError(e.kind === 'digest' ? 'DIGEST_INVALID' : 'TAG_INVALID', { detail: e.reason });
    }
    throw e;
  }
}

/**
 * The manifest as stored, or converted (Docker schema 2 ⇄ OCI) when pulled by tag by a client
 * that does not accept the stored type, as ECR does. A GET records a pull; a HEAD does not.
 */
export async function getManifest({ req, res, repo, ref, deps, principal, pulledThrough }: RegistryRequest): Promise<void> {
  let reference: Reference;
  try {
    reference = referenceParam(ref);
  } catch (e) {
    // A tag that cannot exist is an image that is not there: 404 MANIFEST_UNKNOWN on GET and HEAD,
    // as ECR and the distribution-spec conformance suite (v1.1.1, `.INVALID_MANIFEST_NAME`) expect;
    // a PUT of such a tag stays TAG_INVALID. The repository is still checked first (NAME_UNKNOWN).
    if (!(e instanceof RegistryError) || e.code !== 'TAG_INVALID') throw e;
    await deps.repositories.get(repo);
    throw new RegistryError('MANIFEST_UNKNOWN', { message: messages.requestedImageNotFound, detail: { tag: ref } });
  }
  const head = req.method === 'HEAD';
  // A pull-through import under way answers its manifest before storing it.
  const { image, manifest } =
    pulledThrough !== undefined
      ? { image: { mediaType: pulledThrough.mediaType, digest: pulledThrough.digest }, manifest: pulledThrough.manifest }
      : await deps.images.getManifest(repo, reference, { recordPull: !head, pulledBy: pullerOf(principal) });
  let body = manifest;
  let mediaType = image.mediaType;
  let digest = image.digest;
  const wanted = negotiateManifest(image.mediaType, acceptedTypes(req), reference.kind === 'digest');
  if (wanted !== 'stored') {
    const converted = convertManifest(parseManifest(manifest, image.mediaType), wanted);
    if (converted !== undefined) {
      body = converted;
      mediaType = wanted;
      digest = sha256Digest(converted);
    }
  }
  const headers = { 'content-type': mediaType, 'docker-content-digest': digest, etag: `"${digest}"` };
  if (head) {
    res.writeHead(200, { ...headers, 'content-length': body.byteLength });
    res.end();
    return;
  }
  sendBody(res, 200, body, headers);
}

export async function putManifest(r: RegistryRequest): Promise<void> {
  const lease = r.deps.bodyBudget.lease();
  try {
    await storeManifest(r, lease);
  } finally {
    lease.release();
  }
}

async function storeManifest({ req, res, repo, ref, deps }: RegistryRequest, lease: BudgetLease): Promise<void> {
  const reference = referenceParam(ref);
  let body: Buffer;
  try {
    // A manifest is small and must be parsed whole; the cap keeps it so, and the budget bounds
    // how many are held at once.
    body = await readCapped(req, MAX_MANIFEST_BYTES, lease);
  } catch (e) {
    if (e instanceof BodyTooLargeError) {
      throw new RegistryError('MANIFEST_INVALID', { detail: `manifest is larger than ${MAX_MANIFEST_BYTES} bytes` });
    }
    if (e instanceof BodyBudgetExceededError) {
      throw new RegistryError('TOOMANYREQUESTS', { detail: 'too many request bytes in flight; retry later' });
    }
    throw e;
  }
  const contentType = req.headers['content-type'];
  const { image, parsed } = await deps.images.putManifest(repo, {
    manifest: body,
    ...(contentType !== undefined ? { mediaType: contentType } : {}),
    ...(reference.kind === 'tag' ? { tag: reference.tag } : { digest: reference.digest }),
  });
  sendEmpty(res, 201, {
    location: `/v2/${repo.name}/manifests/${image.digest}`,
    'docker-content-digest': image.digest,
    // Tells the client the registry keeps referrers itself — source: distribution-spec v1.1 "Pushing Manifests with Subject".
    ...(parsed.subject !== undefined ? { 'oci-subject': parsed.subject.digest } : {}),
  });
}

/** By digest: the image and its tags. By tag: the tag (and the image with its last tag), as BatchDeleteImage. */
export async function deleteManifest({ res, repo, ref, deps }: RegistryRequest): Promise<void> {
  await deps.images.removeImage(repo, referenceParam(ref));
  sendEmpty(res, 202);
}
