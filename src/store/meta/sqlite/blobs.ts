import type { BlobRecord, BlobRecords } from '../meta-store.js';
import type { Db } from './db.js';
import { fromMillis } from './db.js';

interface BlobRow {
  digest: string;
  size: number;
  touched_at: number;
}

const toBlob = (r: BlobRow): BlobRecord => ({ digest: r.digest, size: r.size, touchedAt: fromMillis(r.touched_at) });

/**
 * A blob is referenced while any image of any repository names it: as a config or layer
 * (image_blobs), as a manifest or as a subject (manifests live in `images`, but a client may
 * also have uploaded one as a blob).
 */
const UNREFERENCED = `NOT EXISTS (SELECT 1 FROM image_blobs ib WHERE ib.blob = b.digest)
  AND NOT EXISTS (SELECT 1 FROM images i WHERE i.digest = b.digest)
  AND NOT EXISTS (SELECT 1 FROM images s WHERE s.subject = b.digest)`;

/** The blob store's blobs, for garbage collection. */
export class SqliteBlobs implements BlobRecords {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      touch: db.prepare(
        `INSERT INTO blobs (digest, size, touched_at) VALUES (?, ?, ?)
         ON CONFLICT(digest) DO UPDATE SET touched_at = max(touched_at, excluded.touched_at), size = excluded.size`,
      ),
      refresh: db.prepare('UPDATE blobs SET touched_at = ? WHERE digest = ? AND touched_at < ?'),
      adopt: db.prepare('INSERT INTO blobs (digest, size, touched_at) VALUES (?, ?, ?) ON CONFLICT(digest) DO NOTHING'),
      get: db.prepare<[string], BlobRow>('SELECT * FROM blobs WHERE digest = ?'),
      page: db.prepare<{ cutoff: number; after: string; limit: number }, BlobRow>(
        `SELECT * FROM blobs b WHERE b.digest > @after AND b.touched_at <= @cutoff AND ${UNREFERENCED}
         ORDER BY b.digest LIMIT @limit`,
      ),
      candidate: db.prepare<{ cutoff: number; digest: string }, BlobRow>(
        `SELECT * FROM blobs b WHERE b.digest = @digest AND b.touched_at <= @cutoff AND ${UNREFERENCED}`,
      ),
      remove: db.prepare('DELETE FROM blobs WHERE digest = ?'),
      unlink: db.prepare('DELETE FROM layers WHERE digest = ?'),
    };
  }

  async touch(digest: string, size: number, at: Date): Promise<void> {
    this.s.touch.run(digest, size, at.getTime());
  }

  async refresh(digests: readonly string[], at: Date, resolutionMs: number): Promise<void> {
    const now = at.getTime();
    // An UPDATE that matches nothing writes nothing: repeated HEADs cost no disk write.
    for (const digest of digests) this.s.refresh.run(now, digest, now - resolutionMs);
  }

  async adopt(blobs: readonly { digest: string; size: number }[], at: Date): Promise<number> {
    return this.db.transaction(() => {
      let added = 0;
      for (const b of blobs) added += this.s.adopt.run(b.digest, b.size, at.getTime()).changes;
      return added;
    })();
  }

  async get(digest: string): Promise<BlobRecord | undefined> {
    const row = this.s.get.get(digest);
    return row && toBlob(row);
  }

  async unreferenced(cutoff: Date, opts: { limit: number; after?: string }): Promise<BlobRecord[]> {
    return this.s.page.all({ cutoff: cutoff.getTime(), after: opts.after ?? '', limit: opts.limit }).map(toBlob);
  }

  async claim(digests: readonly string[], cutoff: Date): Promise<BlobRecord[]> {
    return this.db.transaction(() => {
      const claimed: BlobRecord[] = [];
      for (const digest of digests) {
        const row = this.s.candidate.get({ cutoff: cutoff.getTime(), digest });
        if (row === undefined) continue;
        this.s.unlink.run(digest);
        this.s.remove.run(digest);
        claimed.push(toBlob(row));
      }
      return claimed;
    })();
  }
}
