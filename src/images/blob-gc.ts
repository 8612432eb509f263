/**
 * Blob garbage collection: deletes from the blob store the blobs no image of any repository
 * references any more (after BatchDeleteImage, lifecycle expiry, repository or account
 * deletion), without ever taking a blob a push is about to use.
 *
 * The rule, per blob (the blob store is shared by every account and region, so "referenced"
 * means by any image anywhere):
 *   - referenced: an image names it as config, layer, manifest or subject → kept;
 *   - otherwise kept while it was touched less than the grace period ago. A push touches a blob
 *     when it commits it (before the bytes become visible), links or mounts it into a repository,
 *     and when a HEAD or BatchCheckLayerAvailability answers that it is present;
 *   - otherwise garbage: one short transaction removes its record and every layer link to it
 *     (from then on no push can link it or PUT a manifest that needs it: they get "blob
 *     unknown"), and only then are its bytes deleted.
 * Upload sessions hold no blob: their bytes sit in the session until the commit. A commit marks
 * its digest (SweepGate.committing) so no sweep claims it, waits for a deletion of those bytes
 * already under way to finish, writes the bytes, and records, links and closes the session in
 * one transaction.
 */
import { parseDigest } from '../oci/digest.js';
import { mapLimit, type BlobStore } from '../store/blobs/blob-store.js';
import type { MetaStore } from '../store/meta/meta-store.js';
import type { Clock } from '../clock.js';

/** Sweeps claim and delete this many blobs per transaction, yielding to requests in between. */
const BATCH = 128;
/** Blob deletions in flight at once. */
const DELETE_CONCURRENCY = 2;
/** Blobs found in the store without a record are recorded this many per transaction. */
const ADOPT_BATCH = 512;

/**
 * The digests whose bytes a sweep is deleting right now (in this process). A push that needs one
 * of them waits until the bytes are gone, then records and commits the blob again.
 */
export class SweepGate {
  readonly #deleting = new Map<string, Promise<void>>();
  /** Digests a push is committing (how many pushes each), which no sweep may claim. */
  readonly #committing = new Map<string, number>();

  /**
   * Marks `digest` as being committed by a push until the returned function is called: from
   * its bytes becoming visible to its record and link being written, no sweep claims it.
   */
  committing(digest: string): () => void {
    this.#committing.set(digest, (this.#committing.get(digest) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.#committing.get(digest) ?? 1) - 1;
      if (n > 0) this.#committing.set(digest, n);
      else this.#committing.delete(digest);
    };
  }

  /** Those of `digests` that no push is committing. */
  claimable(digests: readonly string[]): string[] {
    return digests.filter((d) => !this.#committing.has(d));
  }

  /** Marks `digests` as being deleted; the returned function lifts the mark. */
  hold(digests: readonly string[]): () => void {
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    for (const d of digests) this.#deleting.set(d, done);
    return () => {
      for (const d of digests) if (this.#deleting.get(d) === done) this.#deleting.delete(d);
      release();
    };
  }

  /** Waits while a sweep deletes `digest`; true when it had to wait. */
  async waitFor(digest: string): Promise<boolean> {
    const pending = this.#deleting.get(digest);
    if (pending === undefined) return false;
    await pending;
    return true;
  }
}

export interface SweepOptions {
  /** An unreferenced blob touched more recently than this is kept. */
  graceMs: number;
}

export interface SweepResult {
  blobsDeleted: number;
  bytesFreed: number;
  /** Blobs the store still holds (those it listed, less those deleted). */
  blobsKept: number;
}

export interface BlobGcDeps {
  meta: MetaStore;
  /**
   * Every blob store that holds blobs of some repository. Records and links are per digest, so
   * a claimed digest is deleted from each store (no repository can reach it in any of them).
   */
  stores: () => Promise<readonly BlobStore[]>;
  clock: Clock;
  gate: SweepGate;
}

export class BlobGc {
  constructor(private readonly deps: BlobGcDeps) {}

  /**
   * One sweep. Holds the database's write lock only for one batch at a time, so pushes and
   * pulls go on while it runs.
   */
  async sweep(opts: SweepOptions): Promise<SweepResult> {
    const { meta, clock, gate } = this.deps;
    const stores = await this.deps.stores();
    const now = clock.now();
    const cutoff = new Date(now.getTime() - opts.graceMs);

    // Bytes without a record (a crash between commit and record, data older than the records):
    // recorded as touched now, so they get a full grace period before they can go.
    let listed = 0;
    let found: { digest: string; size: number }[] = [];
    for (const blobs of stores) {
      for await (const b of blobs.list()) {
        listed++;
        found.push({ digest: b.digest, size: b.size });
        if (found.length >= ADOPT_BATCH) {
          await meta.blobs.adopt(found, now);
          found = [];
          await nextTurn();
        }
      }
    }
    if (found.length > 0) await meta.blobs.adopt(found, now);

    let blobsDeleted = 0;
    let bytesFreed = 0;
    let after: string | undefined;
    for (;;) {
      const page = await meta.blobs.unreferenced(cutoff, { limit: BATCH, ...(after !== undefined ? { after } : {}) });
      if (page.length === 0) break;
      after = page[page.length - 1]?.digest;
      const digests = page.map((b) => b.digest);
      // Marked before the claim, so a commit that slips in after it waits for the deletion.
      const release = gate.hold(digests);
      try {
        // A push committing one of them records it once its bytes are in place: not garbage.
        const claimed = await meta.blobs.claim(gate.claimable(digests), cutoff);
        // Two at a time: faster than one by one, and libuv's other file-system threads stay
        // free for the requests going on meanwhile.
        for (const blobs of stores) await mapLimit(claimed, DELETE_CONCURRENCY, (b) => blobs.delete(parseDigest(b.digest)));
        blobsDeleted += claimed.length;
        bytesFreed += claimed.reduce((sum, b) => sum + b.size, 0);
      } finally {
        release();
      }
      await nextTurn();
    }
    return { blobsDeleted, bytesFreed, blobsKept: Math.max(0, listed - blobsDeleted) };
  }
}

/** Lets queued requests run between batches. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
