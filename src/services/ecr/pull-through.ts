/**
 * The pull of a pull-through cache (issue 14): a registry `GET`/`HEAD` of a manifest of
 * `<prefix>/<upstream repository>` that a rule covers, when the image is not cached yet (or the
 * repository does not exist), fetches it from the upstream registry — the manifest (image or
 * index, Docker or OCI), an index's children, and every blob, each blob streamed into the blob
 * store and verified against its digest — creates the repository with the PULL_THROUGH_CACHE
 * creation template that applies (else ECR's defaults), stores the image and lets the registry
 * serve it. Later pulls are served from the cache. "For subsequent pull requests of the cached
 * image with a given tag, Amazon ECR checks the upstream registry for a new version of the image
 * with that specific tag and attempts to update the image in your private registry at least once
 * every 24 hours" — source: ECR user guide, "Sync an upstream registry with an Amazon ECR private
 * registry". So a tag is re-checked on a pull once 24 hours (on the injected clock) have passed
 * since its last check; an unreachable upstream leaves the cached image served.
 *
 * Design choice — answer first, store while streaming: for an image manifest the registry
 * answers the fetched manifest at once (ServedManifest) and each blob the client asks for is
 * teed, chunk by chunk at the slower side's pace, into the store and to the client (the last
 * chunk held back until the store has verified the digest, so a client never gets a wrong blob
 * whole); blobs nobody asks for within CLIENT_GRACE_MS are fetched in the background. An index
 * is answered at once too: the children the client then asks for by digest are imported by those
 * pulls (streaming), the others in the background, and the index is stored after them all.
 * BatchGetImage (importNow) imports whole before answering.
 *
 * Nothing half-stored is visible: blobs are stored (verified) before any manifest, children
 * before their index, and the tag moves last, in putManifest's one transaction; until then only
 * the pulls that asked see the manifest (from memory). The import runs to its end even if the
 * client that asked goes away, so a cut connection never leaves a broken image; the same image
 * asked twice at once is fetched once.
 *
 * IAM — source: ECR user guide, "IAM permissions required to sync an upstream registry":
 * `ecr:BatchImportUpstreamImage` on the repository to import, and `ecr:CreateRepository` when
 * the repository does not exist yet (besides the pull's own ecr:BatchGetImage).
 *
 * ECR-to-ECR reads the upstream image from simfra's own store (no HTTP), as the rule's
 * `customRoleArn` (assumed by pullthroughcache.ecr.amazonaws.com) or else the registry's own
 * account, with IAM checked on the upstream repository (ecr:BatchGetImage,
 * ecr:GetDownloadUrlForLayer).
 */
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { Clock } from '../../clock.js';
import { AccessDeniedError, type Authorizer, type AuthzRequest, type AuthzSubject } from '../../iam/authorize.js';
import { rootPrincipal, servicePrincipal, type AssumedRolePrincipal, type Principal } from '../../iam/principal.js';
import type { StsSessions } from '../../iam/sessions.js';
import { ImageError } from '../../images/errors.js';
import { parseDigest, sha256Digest, type Digest } from '../../oci/digest.js';
import { parseManifest, referencedBlobs, type ParsedManifest } from '../../oci/manifest.js';
import { parseReference, type Reference } from '../../oci/reference.js';
import type { PullThroughCacheRuleRecord, RepoKey } from '../../store/meta/meta-store.js';
import { UpstreamError, type UpstreamCredentials, type UpstreamManifest } from '../../upstream/registry-client.js';
import { repositoryArn } from './arns.js';
import { ensureRepository, matchTemplate } from './creation-templates.js';
import type { EcrDeps } from './deps.js';
import { ptcMessages } from './messages.js';
import { ecrUpstreamOf, matchRule, upstreamNameOf } from './pull-through-cache.js';
import { pullerOf } from './pull-time-exclusions.js';

/** How long a cached tag is served before the upstream is asked again. */
export const PULL_THROUGH_REFRESH_MS = 24 * 3600_000;

/** The service principal that assumes a rule's customRoleArn — source: ECR user guide, ECR-to-ECR IAM policies. */
export const PULL_THROUGH_SERVICE = 'pullthroughcache.ecr.amazonaws.com';

/** Why a secret could not be read (the Secrets Manager seam maps its own errors to these). */
export class SecretReadError extends Error {
  constructor(
    readonly kind: 'not-found' | 'decrypt' | 'access',
    message: string,
  ) {
    super(message);
  }
}

/** The current value of a secret, read by ECR on the rule owner's behalf. */
export type SecretReader = (accountId: string, region: string, secretId: string) => Promise<string>;

/** What an upstream registry offers the import (registry-client.ts over HTTP; LocalEcrSource in process). */
export interface UpstreamSource {
  ping(): Promise<void>;
  manifest(name: string, reference: string, opts?: { head?: boolean }): Promise<UpstreamManifest>;
  blob(name: string, digest: string): Promise<Readable>;
}

export interface PullThroughDeps extends Pick<EcrDeps, 'meta' | 'images' | 'repositories' | 'ids' | 'kms'> {
  clock: Clock;
  authorizer: Authorizer;
  sessions: StsSessions;
  /** Secrets Manager; absent: every credentialArn is a secret that does not exist. */
  readSecret?: SecretReader;
  /** A client of the remote registry `url` of kind `upstreamRegistry` (its override applied). */
  remote(upstreamRegistry: string, url: string, credentials?: UpstreamCredentials): UpstreamSource;
  warn?: (details: Record<string, unknown>, message: string) => void;
}

export class PullThroughCache {
  readonly #inFlight = new Map<string, Promise<PullOutcome>>();
  /** Imports under way: their manifests by `<repo>@<tag or digest>`, their blobs by `<repo>#<digest>`. */
  readonly #pendingManifests = new Map<string, { served: ServedManifest; finished: Promise<boolean> }>();
  readonly #pendingBlobs = new Map<string, PendingBlob>();

  constructor(private readonly deps: PullThroughDeps) {}

  /** The `username` / `accessToken` of a credential secret, as upstream credentials. */
  async credentials(accountId: string, region: string, arn: string): Promise<UpstreamCredentials> {
    if (!this.deps.readSecret) throw new SecretReadError('not-found', ptcMessages.secretNotFound(arn));
    const raw = await this.deps.readSecret(accountId, region, arn);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new SecretReadError('access', ptcMessages.secretUnreadable(arn));
    }
    const p = parsed as { username?: unknown; accessToken?: unknown };
    if (typeof p.username !== 'string' || typeof p.accessToken !== 'string') throw new SecretReadError('access', ptcMessages.secretUnreadable(arn));
    return { username: p.username, password: p.accessToken };
  }

  /** ValidatePullThroughCacheRule: undefined when the upstream takes the rule's credentials, else why not. */
  async validate(rule: PullThroughCacheRuleRecord): Promise<string | undefined> {
    try {
      const source = await this.#source(rule);
      await source.ping();
      return undefined;
    } catch (e) {
      if (e instanceof UpstreamError || e instanceof SecretReadError) return ptcMessages.validateFailed(e.message);
      throw e;
    }
  }

  /**
   * Before the registry answers a manifest `GET`/`HEAD` of `repo`: imports the image from the
   * upstream when a rule covers the repository and the image is not cached, or its tag is due
   * for a check. Upstream failures are logged and leave the registry to answer from what is
   * stored (NAME_UNKNOWN / MANIFEST_UNKNOWN, or the cached image); a denial is thrown.
   *
   * An image manifest whose blobs are still to come is answered at once (the returned manifest),
   * while its blobs are fetched: each blob the client asks for meanwhile streams to it as it is
   * stored (serveBlob), the rest are fetched in the background, and only once every blob is
   * stored and verified is the manifest stored and the tag moved. Until then nothing of the
   * image is visible but to the pulls that asked for it.
   */
  async beforeManifestGet(
    repo: RepoKey,
    rawRef: string,
    authorize: (requests: readonly AuthzRequest[]) => Promise<void>,
    /** Who pulls (a GET; absent for a HEAD): the stored image records their pull once it is in. */
    puller?: Principal,
  ): Promise<ServedManifest | undefined> {
    let ref: Reference;
    try {
      ref = parseReference(rawRef);
    } catch {
      return undefined;
    }
    const key = `${repoId(repo)}@${rawRef}`;
    const pending = this.#pendingManifests.get(key);
    if (pending) return pending.served;
    const rules = await this.deps.meta.pullThroughCache.all(repo.accountId, repo.region);
    if (rules.length === 0) return undefined;
    const rule = matchRule(rules, repo.name);
    if (rule === undefined) return undefined;
    return (await this.#once(key, () => this.#pull(rule, repo, ref, authorize, { stream: true, ...(puller ? { puller } : {}) }))).served;
  }

  /**
   * The API's pull (BatchGetImage): imports the image whole before answering, when a rule covers
   * the repository and it is not cached (or its tag is due). Resolves with `credentials` when the
   * upstream could not be read for want of working credentials (ECR's
   * UnableToGetUpstreamImageException), else undefined (the caller answers from the store).
   */
  async importNow(repo: RepoKey, ref: Reference, authorize: (requests: readonly AuthzRequest[]) => Promise<void>): Promise<{ credentialsFailed: string } | undefined> {
    const rawRef = ref.kind === 'tag' ? ref.tag : ref.digest;
    const key = `${repoId(repo)}@${rawRef}`;
    const pending = this.#pendingManifests.get(key);
    if (pending) {
      await pending.finished;
      return undefined;
    }
    const rules = await this.deps.meta.pullThroughCache.all(repo.accountId, repo.region);
    const rule = rules.length === 0 ? undefined : matchRule(rules, repo.name);
    if (rule === undefined) return undefined;
    const outcome = await this.#once(`${key}!`, () => this.#pull(rule, repo, ref, authorize, { stream: false }));
    return outcome.failure === 'credentials' ? { credentialsFailed: rule.upstreamRegistryUrl } : undefined;
  }

  #once(key: string, run: () => Promise<PullOutcome>): Promise<PullOutcome> {
    const running = this.#inFlight.get(key);
    if (running) return running;
    const task = run().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, task);
    return task;
  }

  /** The size of a blob of an import under way (a HEAD need not wait for its bytes). */
  pendingBlobSize(repo: RepoKey, digest: string): number | undefined {
    const pb = this.#pendingBlobs.get(`${repoId(repo)}#${digest}`);
    return pb === undefined || pb.state === 'failed' ? undefined : pb.size;
  }

  /**
   * Before the registry answers a blob of `repo`: a blob of an import under way is streamed to
   * `client` as it is fetched and stored (true: answered), when the client asks for it before
   * the background fetch has started it; otherwise this waits until it is stored (false: the
   * registry answers from the store as usual, BLOB_UNKNOWN if the fetch failed).
   */
  async serveBlob(repo: RepoKey, digest: string, client?: BlobClient): Promise<boolean> {
    const pb = this.#pendingBlobs.get(`${repoId(repo)}#${digest}`);
    if (pb === undefined) return false;
    if (client === undefined || pb.state !== 'waiting') {
      await pb.done.catch(() => undefined);
      return false;
    }
    try {
      await this.#download(pb, client);
    } catch (e) {
      this.deps.warn?.({ repositoryName: repo.name, digest, reason: (e as Error).message }, 'pull-through cache: could not import a blob');
      // Nothing was sent yet: the registry answers as usual (BLOB_UNKNOWN).
      if (!client.started()) return false;
    }
    return true;
  }

  async #pull(
    rule: PullThroughCacheRuleRecord,
    repo: RepoKey,
    ref: Reference,
    authorize: (requests: readonly AuthzRequest[]) => Promise<void>,
    opts: { stream: boolean; puller?: Principal },
  ): Promise<PullOutcome> {
    const existed = (await this.deps.repositories.find(repo)) !== undefined;
    const cached = existed ? await this.deps.images.findImage(repo, ref) : undefined;
    const now = this.deps.clock.now();
    if (cached !== undefined) {
      if (ref.kind === 'digest') return {};
      const check = await this.deps.meta.pullThroughCache.tagChecked(repo, ref.tag);
      if (check !== undefined && now.getTime() - check.checkedAt.getTime() < PULL_THROUGH_REFRESH_MS) return {};
    }
    const upstreamName = upstreamNameOf(rule, repo.name);
    const reference = ref.kind === 'tag' ? ref.tag : ref.digest;
    try {
      const source = await this.#source(rule);
      if (cached !== undefined && ref.kind === 'tag') {
        // A due check: only a new digest upstream is imported.
        const head = await source.manifest(upstreamName, reference, { head: true });
        const digest = head.digest ?? sha256Digest((await source.manifest(upstreamName, reference)).bytes);
        if (digest === cached.digest) {
          await this.deps.meta.pullThroughCache.recordTagCheck(repo, ref.tag, { digest, checkedAt: now });
          return {};
        }
        try {
          await authorize([this.#importRequest(repo)]);
        } catch (e) {
          if (e instanceof AccessDeniedError) return {}; // the cached image is still served
          throw e;
        }
      } else {
        await authorize([this.#importRequest(repo), ...(existed ? [] : [await this.#createRequest(repo)])]);
      }
      const top = await fetchManifest(source, upstreamName, reference);
      if (!existed) await ensureRepository(this.deps, repo, 'PULL_THROUGH_CACHE');
      if (opts.stream && top.parsed.kind === 'index') {
        const children: Digest[] = [];
        for (const c of top.parsed.manifests) {
          if ((await this.deps.images.findImage(repo, { kind: 'digest', digest: c.digest })) === undefined) children.push(c.digest);
        }
        if (children.length > 0) {
          const job: ImportJob = { source, repo, upstreamName, rule, top, ref, checkedAt: now, missing: [], ...(opts.puller ? { puller: opts.puller } : {}) };
          return { served: this.#register(job, [], () => this.#finishIndexImport(job, children)) };
        }
      }
      if (top.parsed.kind === 'manifest' && top.parsed.schemaVersion === 2) {
        const missing = await this.#missingBlobs(repo, top.parsed);
        if (missing.length > 0 && opts.stream) {
          return { served: this.#startImport({ source, repo, upstreamName, rule, top, ref, checkedAt: now, missing, ...(opts.puller ? { puller: opts.puller } : {}) }) };
        }
      }
      await this.#store(source, repo, upstreamName, top, new Set());
      await this.#finishTag(repo, top, ref, now);
      return {};
    } catch (e) {
      if (e instanceof AccessDeniedError && cached === undefined) throw e;
      if (e instanceof UpstreamError || e instanceof SecretReadError || e instanceof ImageError || e instanceof AccessDeniedError) {
        this.deps.warn?.(
          { repositoryName: repo.name, reference, upstream: rule.upstreamRegistryUrl, reason: e.message },
          cached ? 'pull-through cache: upstream check failed; serving the cached image' : 'pull-through cache: could not import the image',
        );
        const credentials = e instanceof SecretReadError || (e instanceof UpstreamError && e.kind === 'unauthorized');
        return cached ? {} : { failure: credentials ? 'credentials' : 'upstream' };
      }
      throw e;
    }
  }

  async #finishTag(repo: RepoKey, top: FetchedManifest, ref: Reference, checkedAt: Date): Promise<void> {
    if (ref.kind !== 'tag') return;
    await this.deps.images.putManifest(repo, { manifest: top.bytes, mediaType: top.mediaType, declaredTypeSuffices: true, tag: ref.tag });
    await this.deps.meta.pullThroughCache.recordTagCheck(repo, ref.tag, { digest: top.digest, checkedAt });
  }

  /** The blobs of an image manifest the repository does not hold yet (foreign layers aside). */
  async #missingBlobs(repo: RepoKey, parsed: ParsedManifest): Promise<{ digest: Digest; size: number }[]> {
    const out: { digest: Digest; size: number }[] = [];
    for (const d of [...(parsed.config ? [parsed.config] : []), ...parsed.layers]) {
      if ('urls' in d && d.urls !== undefined && d.urls.length > 0) continue;
      if (out.some((o) => o.digest === d.digest)) continue;
      if ((await this.deps.images.findLayer(repo, d.digest, { forPush: true })) !== undefined) continue;
      out.push({ digest: d.digest, size: d.size ?? 0 });
    }
    return out;
  }

  /** Registers the import of an image manifest's blobs and starts it; answers its manifest. */
  #startImport(i: ImportJob): ServedManifest {
    const blobs = i.missing.map((m) => new PendingBlob(i.repo, m.digest, m.size, i.source, i.upstreamName));
    return this.#register(i, blobs, () => this.#finishImport(i, blobs));
  }

  /**
   * Makes an import under way visible to the pulls that ask for it (its manifest under its tag
   * and digest, its blobs under their digests) until `run` ends, and starts it.
   */
  #register(i: ImportJob, blobs: PendingBlob[], run: () => Promise<void>): ServedManifest {
    const id = repoId(i.repo);
    const served: ServedManifest = { manifest: i.top.bytes, mediaType: i.top.mediaType, digest: i.top.digest };
    const manifestKeys = [`${id}@${i.top.digest}`, ...(i.ref.kind === 'tag' ? [`${id}@${i.ref.tag}`] : [])];
    const blobKeys = blobs.map((b) => `${id}#${b.digest}`);
    const finished = run()
      .then(() => true)
      .catch((e: unknown) => {
        this.deps.warn?.(
          { repositoryName: i.repo.name, upstream: i.rule.upstreamRegistryUrl, reason: (e as Error).message },
          'pull-through cache: could not import the image',
        );
        return false;
      })
      .finally(() => {
        for (const k of manifestKeys) if (this.#pendingManifests.get(k) === pending) this.#pendingManifests.delete(k);
        blobKeys.forEach((k, n) => {
          if (this.#pendingBlobs.get(k) === blobs[n]) this.#pendingBlobs.delete(k);
        });
      });
    const pending = { served, finished };
    for (const k of manifestKeys) this.#pendingManifests.set(k, pending);
    blobs.forEach((b, n) => this.#pendingBlobs.set(blobKeys[n]!, b));
    return served;
  }

  /**
   * The background half of an index's import: the children the client asks for (by digest,
   * after the index) are imported by those pulls, streaming; after a moment the others are
   * imported whole; then the index is stored and the tag moved.
   */
  async #finishIndexImport(i: ImportJob, children: Digest[]): Promise<void> {
    await new Promise((r) => setTimeout(r, CLIENT_GRACE_MS).unref());
    const id = repoId(i.repo);
    const seen = new Set<string>();
    for (const digest of children) {
      const key = `${id}@${digest}`;
      await this.#inFlight.get(key)?.catch(() => undefined);
      const pending = this.#pendingManifests.get(key);
      if (pending !== undefined && !(await pending.finished)) throw new UpstreamError('bad-response', `the child manifest ${digest} could not be imported`);
      if ((await this.deps.images.findImage(i.repo, { kind: 'digest', digest })) !== undefined) continue;
      await this.#store(i.source, i.repo, i.upstreamName, await fetchManifest(i.source, i.upstreamName, digest), seen);
    }
    await this.#storeImported(i);
  }

  /**
   * The background half of an import: after a moment for the client to ask for the blobs
   * itself (each then streams to it), fetches those nobody asked for, waits for all, then stores
   * the manifest and moves the tag.
   */
  async #finishImport(i: ImportJob, blobs: PendingBlob[]): Promise<void> {
    await Promise.race([new Promise((r) => setTimeout(r, CLIENT_GRACE_MS).unref()), Promise.all(blobs.map((b) => b.claimed))]);
    // Up to BACKGROUND_FETCHES blobs at once (a client's own requests stream besides them).
    const queue = [...blobs];
    const worker = async () => {
      for (let b = queue.shift(); b !== undefined; b = queue.shift()) {
        if (b.state === 'waiting') await this.#download(b);
        else await b.done;
      }
    };
    await Promise.all(Array.from({ length: Math.min(BACKGROUND_FETCHES, blobs.length) }, worker));
    await this.#storeImported(i);
  }

  /** The imported manifest itself, its tag, and the pull that was answered from memory (lastRecordedPullTime). */
  async #storeImported(i: ImportJob): Promise<void> {
    await this.deps.images.putManifest(i.repo, { manifest: i.top.bytes, mediaType: i.top.mediaType, declaredTypeSuffices: true, digest: i.top.digest });
    await this.#finishTag(i.repo, i.top, i.ref, i.checkedAt);
    if (i.puller !== undefined) {
      await this.deps.images.getManifest(i.repo, { kind: 'digest', digest: i.top.digest }, { recordPull: true, pulledBy: pullerOf(i.puller) });
    }
  }

  /**
   * Fetches one blob into the store, and to `client` at the same pace when one asked for it.
   * The client gets its last chunk only once the store has verified the digest: a blob that is
   * not its digest (or is cut short) ends the client's connection early instead.
   */
  async #download(b: PendingBlob, client?: BlobClient): Promise<void> {
    b.claim();
    b.state = 'running';
    try {
      const src = await b.source.blob(b.upstreamName, b.digest);
      const toStore = new PassThrough();
      const stored = this.deps.images.pushBlob(b.repo, b.digest, toStore);
      stored.catch(() => undefined);
      let sink = client?.start(b.size);
      let held: Buffer | undefined;
      try {
        for await (const chunk of src as AsyncIterable<Buffer>) {
          if (!toStore.write(chunk)) await drained(toStore);
          if (toStore.destroyed) break;
          if (sink !== undefined && held !== undefined && !sink.destroyed && !sink.write(held)) await drained(sink);
          if (sink?.destroyed) sink = undefined; // the client went away: the store still gets every byte
          held = chunk;
        }
        toStore.end();
      } catch (e) {
        toStore.destroy();
        src.destroy();
        throw new UpstreamError('unreachable', `the upstream cut ${b.digest} short: ${(e as Error).message}`);
      }
      await stored;
      if (sink !== undefined && !sink.destroyed) sink.end(held);
      b.settle();
    } catch (e) {
      client?.abort();
      b.settle(e as Error);
      throw e;
    }
  }

  /** Blobs, then (for an index) its children, then the manifest itself by digest. */
  async #store(source: UpstreamSource, repo: RepoKey, upstreamName: string, m: FetchedManifest, seen: Set<string>): Promise<void> {
    if (seen.has(m.digest)) return;
    seen.add(m.digest);
    for (const child of m.parsed.manifests) {
      if ((await this.deps.images.findImage(repo, { kind: 'digest', digest: child.digest })) !== undefined) continue;
      await this.#store(source, repo, upstreamName, await fetchManifest(source, upstreamName, child.digest), seen);
    }
    const foreign = new Set(
      [...(m.parsed.config ? [m.parsed.config] : []), ...m.parsed.layers]
        .filter((d) => 'urls' in d && d.urls !== undefined && d.urls.length > 0)
        .map((d) => d.digest),
    );
    for (const digest of referencedBlobs(m.parsed)) {
      if (foreign.has(digest)) continue;
      if ((await this.deps.images.findLayer(repo, digest, { forPush: true })) !== undefined) continue;
      const stream = await source.blob(upstreamName, digest);
      // A broken upstream stream (a cut connection) is the upstream's failure, not the store's.
      let broken: Error | undefined;
      stream.once('error', (e: Error) => (broken = e));
      try {
        await this.deps.images.pushBlob(repo, digest, stream);
      } catch (e) {
        if (broken !== undefined && !(e instanceof ImageError)) throw new UpstreamError('unreachable', `the upstream cut ${digest} short: ${broken.message}`);
        throw e;
      } finally {
        stream.destroy();
      }
    }
    await this.deps.images.putManifest(repo, { manifest: m.bytes, mediaType: m.mediaType, declaredTypeSuffices: true, digest: m.digest });
  }

  #importRequest(repo: RepoKey): AuthzRequest {
    return { action: 'ecr:BatchImportUpstreamImage', resource: repositoryArn(repo.region, repo.accountId, repo.name) };
  }

  async #createRequest(repo: RepoKey): Promise<AuthzRequest> {
    const template = matchTemplate(await this.deps.meta.creationTemplates.all(repo.accountId, repo.region), repo.name, 'PULL_THROUGH_CACHE');
    const context: Record<string, string | string[]> = {};
    if (template && template.resourceTags.length > 0) {
      context['aws:TagKeys'] = template.resourceTags.map((t) => t.Key);
      for (const t of template.resourceTags) context[`aws:RequestTag/${t.Key}`] = t.Value;
    }
    return { action: 'ecr:CreateRepository', resource: repositoryArn(repo.region, repo.accountId, repo.name), context };
  }

  /** Where the rule's images come from: simfra's own store for ECR, else the remote registry. */
  async #source(rule: PullThroughCacheRuleRecord): Promise<UpstreamSource> {
    if (rule.upstreamRegistry === 'ecr') {
      const up = ecrUpstreamOf(rule.upstreamRegistryUrl)!;
      return new LocalEcrSource(this.deps, up, await this.#ecrSubject(rule));
    }
    const credentials = rule.credentialArn === undefined ? undefined : await this.credentials(rule.accountId, rule.region, rule.credentialArn);
    return this.deps.remote(rule.upstreamRegistry, rule.upstreamRegistryUrl, credentials);
  }

  /** Who reads an ECR upstream: the rule's role (assumed by the pull-through service), else the registry's account. */
  async #ecrSubject(rule: PullThroughCacheRuleRecord): Promise<AuthzSubject> {
    const now = this.deps.clock.now();
    const base = { sourceIp: PULL_THROUGH_SERVICE, secureTransport: true, now };
    if (rule.customRoleArn === undefined) return { ...base, principal: rootPrincipal(rule.accountId) };
    const session = await this.deps.sessions
      .assumeRole(
        { ...base, principal: servicePrincipal(PULL_THROUGH_SERVICE, rule.accountId) },
        { roleArn: rule.customRoleArn, roleSessionName: 'ecr-pull-through-cache' },
      )
      .catch((e: unknown) => {
        if (e instanceof AccessDeniedError) throw new UpstreamError('unauthorized', ptcMessages.validateRole(rule.customRoleArn!));
        throw e;
      });
    const m = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(rule.customRoleArn)!;
    const principal: AssumedRolePrincipal = {
      kind: 'assumed-role',
      accountId: m[1]!,
      arn: session.arn,
      userId: session.assumedRoleId,
      accessKeyId: session.accessKeyId,
      roleName: m[2]!,
      roleArn: rule.customRoleArn,
      sessionName: 'ecr-pull-through-cache',
      expiresAt: session.expiration,
    };
    return { ...base, principal };
  }
}

/** How long an import waits for the client to ask for its blobs before fetching them itself. */
const CLIENT_GRACE_MS = 1_000;
/** Blobs an import fetches at once in the background (docker pulls three layers at a time too). */
const BACKGROUND_FETCHES = 3;

const repoId = (repo: RepoKey): string => `${repo.accountId}/${repo.region}/${repo.name}`;

/** What a pull did: answered a manifest still being imported, or failed (and why). */
interface PullOutcome {
  served?: ServedManifest;
  failure?: 'credentials' | 'upstream';
}

interface ImportJob {
  source: UpstreamSource;
  repo: RepoKey;
  upstreamName: string;
  rule: PullThroughCacheRuleRecord;
  top: FetchedManifest;
  ref: Reference;
  checkedAt: Date;
  missing: { digest: Digest; size: number }[];
  puller?: Principal;
}

/** A manifest the registry answers before the import has stored it. */
export interface ServedManifest {
  manifest: Buffer;
  mediaType: string;
  digest: string;
}

/** A blob request the pull-through cache may answer itself. */
export interface BlobClient {
  /** Writes the answer's status and headers for a blob of `size` bytes; returns the body's sink. */
  start(size: number): Writable;
  /** Whether start() was called. */
  started(): boolean;
  /** Ends the answer abruptly (the client sees a broken body, never a wrong one). */
  abort(): void;
}

/** One blob of an import under way. */
class PendingBlob {
  state: 'waiting' | 'running' | 'done' | 'failed' = 'waiting';
  readonly done: Promise<void>;
  readonly claimed: Promise<void>;
  #settle!: (e?: Error) => void;
  #claim!: () => void;

  constructor(
    readonly repo: RepoKey,
    readonly digest: Digest,
    readonly size: number,
    readonly source: UpstreamSource,
    readonly upstreamName: string,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.#settle = (e) => (e === undefined ? resolve() : reject(e));
    });
    this.done.catch(() => undefined);
    this.claimed = new Promise<void>((resolve) => (this.#claim = resolve));
  }

  claim(): void {
    this.#claim();
  }

  settle(e?: Error): void {
    this.state = e === undefined ? 'done' : 'failed';
    this.#settle(e);
  }
}

/** Resolves when `s` can take more, or is closed. */
function drained(s: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      s.off('drain', done);
      s.off('close', done);
      s.off('error', done);
      resolve();
    };
    s.on('drain', done);
    s.on('close', done);
    s.on('error', done);
  });
}

interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: Digest;
  parsed: ParsedManifest;
}

/** A manifest from the upstream, its digest checked against what was asked and what was said. */
async function fetchManifest(source: UpstreamSource, name: string, reference: string): Promise<FetchedManifest> {
  const m = await source.manifest(name, reference);
  const digest = sha256Digest(m.bytes);
  if (reference.startsWith('sha256:') && reference !== digest) throw new UpstreamError('bad-response', `the upstream manifest ${reference} has the digest ${digest}`);
  if (m.digest !== undefined && m.digest !== digest) throw new UpstreamError('bad-response', `the upstream said ${m.digest} for a manifest whose digest is ${digest}`);
  let parsed: ParsedManifest;
  try {
    parsed = parseManifest(m.bytes, m.mediaType || undefined, { declaredTypeSuffices: true });
  } catch (e) {
    throw new UpstreamError('bad-response', `the upstream manifest of ${name}:${reference} is invalid: ${(e as Error).message}`);
  }
  return { bytes: m.bytes, mediaType: parsed.mediaType, digest, parsed };
}

/** An ECR upstream in this same simfra: its images read from the store under an IAM decision. */
class LocalEcrSource implements UpstreamSource {
  constructor(
    private readonly deps: Pick<PullThroughDeps, 'images' | 'authorizer' | 'meta'>,
    private readonly registry: { accountId: string; region: string },
    private readonly subject: AuthzSubject,
  ) {}

  async ping(): Promise<void> {
    if ((await this.deps.meta.accounts.get(this.registry.accountId)) === undefined) {
      throw new UpstreamError('not-found', `the registry ${this.registry.accountId} does not exist`);
    }
  }

  async manifest(name: string, reference: string): Promise<UpstreamManifest> {
    const key = { ...this.registry, name };
    await this.#authorize('ecr:BatchGetImage', name);
    try {
      const { image, manifest } = await this.deps.images.getManifest(key, parseReference(reference));
      return { bytes: manifest, mediaType: image.mediaType, digest: image.digest };
    } catch (e) {
      if (e instanceof ImageError) throw new UpstreamError('not-found', `${name}:${reference}: ${e.kind}`);
      throw e;
    }
  }

  async blob(name: string, digest: string): Promise<Readable> {
    await this.#authorize('ecr:GetDownloadUrlForLayer', name);
    try {
      return (await this.deps.images.readLayer({ ...this.registry, name }, parseDigest(digest))).stream;
    } catch (e) {
      if (e instanceof ImageError) throw new UpstreamError('not-found', `${name}@${digest}: ${e.kind}`);
      throw e;
    }
  }

  async #authorize(action: string, name: string): Promise<void> {
    try {
      await this.deps.authorizer.authorize(this.subject, [{ action, resource: repositoryArn(this.registry.region, this.registry.accountId, name) }]);
    } catch (e) {
      if (e instanceof AccessDeniedError) throw new UpstreamError('unauthorized', e.message);
      throw e;
    }
  }
}
