import type {
  ImageIdRecord,
  ImageListFilter,
  ImageRecord,
  ImageRecords,
  LayerRecord,
  LayerRecords,
  NewImage,
  Page,
  PutImageOutcome,
  RemoveImageOutcome,
  ScanRecord,
  UploadRecord,
  UploadRecords,
} from '../meta-store.js';
import type { Db } from './db.js';
import { decodeCursor, encodeCursor, fromMillis, withoutSync } from './db.js';

interface ImageRow {
  repository_id: number;
  digest: string;
  media_type: string;
  artifact_type: string | null;
  subject: string | null;
  annotations: string | null;
  manifest_size: number;
  size: number;
  pushed_at: number;
  last_pulled_at: number | null;
  storage_class: string;
  last_archived_at: number | null;
  restored_at: number | null;
  scan_status: string | null;
  scan_started_at: number | null;
  scan_completed_at: number | null;
  tags: string | null;
}

/**
 * Every column of `images i` but the manifest bytes (which only manifest() reads), and the tags
 * in one string: one query a page instead of one more per image. Tags cannot hold the unit
 * separator (the tag grammar is [A-Za-z0-9_.-]).
 */
const TAG_SEPARATOR = '\x1f';
const IMAGE_COLUMNS = `i.repository_id, i.digest, i.media_type, i.artifact_type, i.subject, i.annotations,
  length(i.manifest) AS manifest_size, i.size, i.pushed_at, i.last_pulled_at, i.storage_class, i.last_archived_at,
  i.restored_at, i.scan_status, i.scan_started_at, i.scan_completed_at,
  (SELECT group_concat(t.tag, char(31) ORDER BY t.tag) FROM image_tags t
    WHERE t.repository_id = i.repository_id AND t.digest = i.digest) AS tags`;

/**
 * The image status filter as SQL over `images` (aliased `i`): ARCHIVE is ARCHIVED; STANDARD is
 * ACTIVATING until its restore completes (`restored_at`), ACTIVE after. Binds @status and @now.
 */
const STATUS_FILTER = `CASE @status
    WHEN 'ACTIVE' THEN i.storage_class = 'STANDARD' AND (i.restored_at IS NULL OR i.restored_at <= @now)
    WHEN 'ACTIVATING' THEN i.storage_class = 'STANDARD' AND i.restored_at > @now
    WHEN 'ARCHIVED' THEN i.storage_class = 'ARCHIVE'
    ELSE 1 END`;

interface ListParams {
  repo: number;
  status: string;
  now: number;
  tagStatus: string;
  limit: number;
}

/** The images, tags and children of each repository. */
export class SqliteImages implements ImageRecords {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      image: db.prepare<[number, string], ImageRow>(`SELECT ${IMAGE_COLUMNS} FROM images i WHERE i.repository_id = ? AND i.digest = ?`),
      exists: db.prepare<[number, string], { one: number }>('SELECT 1 AS one FROM images WHERE repository_id = ? AND digest = ?'),
      manifest: db.prepare<[number, string], { manifest: Buffer }>(
        'SELECT manifest FROM images WHERE repository_id = ? AND digest = ?',
      ),
      insertImage: db.prepare(
        `INSERT INTO images (repository_id, digest, media_type, artifact_type, subject, annotations, manifest, size, pushed_at,
           scan_status, scan_started_at, scan_completed_at)
         VALUES (@repository_id, @digest, @media_type, @artifact_type, @subject, @annotations, @manifest, @size, @pushed_at,
           @scan_status, @scan_started_at, @scan_completed_at)`,
      ),
      insertBlob: db.prepare('INSERT OR IGNORE INTO image_blobs (repository_id, digest, blob) VALUES (?, ?, ?)'),
      archive: db.prepare(
        `UPDATE images SET storage_class = 'ARCHIVE', last_archived_at = @at, restored_at = NULL
         WHERE repository_id = @repo AND digest = @digest`,
      ),
      restore: db.prepare(
        `UPDATE images SET storage_class = 'STANDARD', restored_at = @at,
           scan_status = @scan_status, scan_started_at = @scan_started_at, scan_completed_at = @scan_completed_at
         WHERE repository_id = @repo AND digest = @digest`,
      ),
      scan: db.prepare(
        `UPDATE images SET scan_status = @scan_status, scan_started_at = @scan_started_at, scan_completed_at = @scan_completed_at
         WHERE repository_id = @repo AND digest = @digest`,
      ),
      blobRefs: db.prepare<{ repo: number; blob: string; now: number }, { images: number; active: number | null }>(
        `SELECT count(*) AS images,
           sum(i.storage_class = 'STANDARD' AND (i.restored_at IS NULL OR i.restored_at <= @now)) AS active
         FROM image_blobs b JOIN images i ON i.repository_id = b.repository_id AND i.digest = b.digest
         WHERE b.repository_id = @repo AND b.blob = @blob`,
      ),
      deleteImage: db.prepare('DELETE FROM images WHERE repository_id = ? AND digest = ?'),
      tag: db.prepare<[number, string], { digest: string }>('SELECT digest FROM image_tags WHERE repository_id = ? AND tag = ?'),
      putTag: db.prepare(
        `INSERT INTO image_tags (repository_id, tag, digest) VALUES (?, ?, ?)
         ON CONFLICT(repository_id, tag) DO UPDATE SET digest = excluded.digest`,
      ),
      deleteTag: db.prepare('DELETE FROM image_tags WHERE repository_id = ? AND tag = ?'),
      tagPage: db.prepare<[number, string, number], { tag: string }>(
        'SELECT tag FROM image_tags WHERE repository_id = ? AND tag > ? ORDER BY tag LIMIT ?',
      ),
      insertChild: db.prepare('INSERT OR IGNORE INTO image_children (repository_id, parent, child) VALUES (?, ?, ?)'),
      parents: db.prepare<[number, string], { parent: string }>(
        'SELECT parent FROM image_children WHERE repository_id = ? AND child = ? ORDER BY parent',
      ),
      children: db.prepare<[number, string], { child: string }>(
        'SELECT child FROM image_children WHERE repository_id = ? AND parent = ? ORDER BY child',
      ),
      layerExists: db.prepare<[number, string], { one: number }>('SELECT 1 AS one FROM layers WHERE repository_id = ? AND digest = ?'),
      layerMediaType: db.prepare(
        'UPDATE layers SET media_type = ? WHERE repository_id = ? AND digest = ? AND media_type IS NULL',
      ),
      referrers: db.prepare<[number, string], ImageRow>(
        `SELECT ${IMAGE_COLUMNS} FROM images i WHERE i.repository_id = ? AND i.subject = ? ORDER BY i.pushed_at, i.digest`,
      ),
      // Row values keep the (repository_id, pushed_at, digest) index usable for the page seek.
      page: db.prepare<ListParams & { at: number; digest: string }, ImageRow>(
        `SELECT ${IMAGE_COLUMNS} FROM images i
         WHERE i.repository_id = @repo AND (i.pushed_at, i.digest) > (@at, @digest)
           AND CASE @tagStatus
             WHEN 'TAGGED' THEN EXISTS (SELECT 1 FROM image_tags t WHERE t.repository_id = i.repository_id AND t.digest = i.digest)
             WHEN 'UNTAGGED' THEN NOT EXISTS (SELECT 1 FROM image_tags t WHERE t.repository_id = i.repository_id AND t.digest = i.digest)
             ELSE 1 END
           AND ${STATUS_FILTER}
         ORDER BY i.pushed_at, i.digest LIMIT @limit`,
      ),
      idPage: db.prepare<ListParams & { at: number; digest: string; tag: string }, { pushed_at: number; digest: string; tag: string | null }>(
        `SELECT i.pushed_at, i.digest, t.tag FROM images i
           LEFT JOIN image_tags t ON t.repository_id = i.repository_id AND t.digest = i.digest
         WHERE i.repository_id = @repo AND (i.pushed_at, i.digest, coalesce(t.tag, '')) > (@at, @digest, @tag)
           AND CASE @tagStatus WHEN 'TAGGED' THEN t.tag IS NOT NULL WHEN 'UNTAGGED' THEN t.tag IS NULL ELSE 1 END
           AND ${STATUS_FILTER}
         ORDER BY i.pushed_at, i.digest, coalesce(t.tag, '') LIMIT @limit`,
      ),
      pull: db.prepare('UPDATE images SET last_pulled_at = ? WHERE repository_id = ? AND digest = ?'),
      count: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM images WHERE repository_id = ?'),
    };
  }

  async put(repositoryId: number, image: NewImage, tag?: { name: string; immutable: boolean }): Promise<PutImageOutcome> {
    return this.db.transaction((): PutImageOutcome => {
      const missingBlobs = unique(
        image.blobs.filter((b) => b.required && !this.s.layerExists.get(repositoryId, b.digest)).map((b) => b.digest),
      );
      if (missingBlobs.length > 0) return { kind: 'missing-blobs', digests: missingBlobs };
      const missingChildren = unique(image.children.filter((c) => !this.s.exists.get(repositoryId, c)));
      if (missingChildren.length > 0) return { kind: 'missing-children', digests: missingChildren };
      const current = tag === undefined ? undefined : this.s.tag.get(repositoryId, tag.name)?.digest;
      if (tag?.immutable && current !== undefined && current !== image.digest) {
        return { kind: 'tag-immutable', current };
      }
      const existing = this.read(repositoryId, image.digest);
      const created = existing === undefined;
      // Pushing an archived (or still activating) image restores it at once.
      const restored =
        existing !== undefined &&
        (existing.storageClass === 'ARCHIVE' || (existing.restoredAt !== undefined && existing.restoredAt > image.pushedAt));
      if (restored) {
        this.s.restore.run({ repo: repositoryId, digest: image.digest, at: image.pushedAt.getTime(), ...scanColumns(image.scan) });
      }
      if (created) {
        this.s.insertImage.run({
          repository_id: repositoryId,
          digest: image.digest,
          media_type: image.mediaType,
          artifact_type: image.artifactType ?? null,
          subject: image.subject ?? null,
          annotations: image.annotations === undefined ? null : JSON.stringify(image.annotations),
          manifest: Buffer.from(image.manifest.buffer, image.manifest.byteOffset, image.manifest.byteLength),
          size: image.size,
          pushed_at: image.pushedAt.getTime(),
          ...scanColumns(image.scan),
        });
        for (const child of image.children) this.s.insertChild.run(repositoryId, image.digest, child);
        for (const b of image.blobs) this.s.insertBlob.run(repositoryId, image.digest, b.digest);
        for (const b of image.blobs) {
          if (b.mediaType !== undefined) this.s.layerMediaType.run(b.mediaType, repositoryId, b.digest);
        }
      }
      const retagged = tag !== undefined && current !== image.digest;
      if (retagged) this.s.putTag.run(repositoryId, tag.name, image.digest);
      const stored = this.read(repositoryId, image.digest);
      if (stored === undefined) throw new Error(`image ${image.digest} vanished inside its own transaction`);
      return {
        kind: 'stored',
        image: stored,
        created,
        changed: created || retagged || restored,
        ...(retagged && current !== undefined ? { tagMovedFrom: current } : {}),
      };
    })();
  }

  async get(repositoryId: number, digest: string): Promise<ImageRecord | undefined> {
    return this.read(repositoryId, digest);
  }

  async getByTag(repositoryId: number, tag: string): Promise<ImageRecord | undefined> {
    const row = this.s.tag.get(repositoryId, tag);
    return row && this.read(repositoryId, row.digest);
  }

  async manifest(repositoryId: number, digest: string): Promise<Buffer | undefined> {
    return this.s.manifest.get(repositoryId, digest)?.manifest;
  }

  async list(repositoryId: number, opts: ImageListFilter & { limit: number; after?: string }): Promise<Page<ImageRecord>> {
    let afterAt = -1;
    let afterDigest = '';
    if (opts.after !== undefined) {
      const [at, digest] = decodeCursor(opts.after).split(' ');
      afterAt = Number(at) || 0;
      afterDigest = digest ?? '';
    }
    const rows = this.s.page.all({ ...listParams(repositoryId, opts), at: afterAt, digest: afterDigest });
    const items = rows.slice(0, opts.limit).map((r) => this.toRecord(r));
    const last = items[items.length - 1];
    return rows.length > opts.limit && last !== undefined
      ? { items, next: encodeCursor(`${last.pushedAt.getTime()} ${last.digest}`) }
      : { items };
  }

  async listIds(repositoryId: number, opts: ImageListFilter & { limit: number; after?: string }): Promise<Page<ImageIdRecord>> {
    let after: [number, string, string] = [-1, '', ''];
    if (opts.after !== undefined) {
      try {
        const [at, digest, tag] = JSON.parse(decodeCursor(opts.after)) as unknown[];
        after = [Number(at) || 0, String(digest ?? ''), String(tag ?? '')];
      } catch {
        // An unreadable cursor starts from the beginning; the API checks its tokens before this.
      }
    }
    const rows = this.s.idPage.all({ ...listParams(repositoryId, opts), at: after[0], digest: after[1], tag: after[2] });
    const page = rows.slice(0, opts.limit);
    const items = page.map((r): ImageIdRecord => (r.tag === null ? { digest: r.digest } : { digest: r.digest, tag: r.tag }));
    const last = page[page.length - 1];
    return rows.length > opts.limit && last !== undefined
      ? { items, next: encodeCursor(JSON.stringify([last.pushed_at, last.digest, last.tag ?? ''])) }
      : { items };
  }

  async archive(repositoryId: number, digest: string, at: Date): Promise<ImageRecord | undefined> {
    this.s.archive.run({ repo: repositoryId, digest, at: at.getTime() });
    return this.read(repositoryId, digest);
  }

  async restore(repositoryId: number, digest: string, completesAt: Date, scan?: ScanRecord): Promise<ImageRecord | undefined> {
    this.s.restore.run({ repo: repositoryId, digest, at: completesAt.getTime(), ...scanColumns(scan) });
    return this.read(repositoryId, digest);
  }

  async recordScan(repositoryId: number, digest: string, scan: ScanRecord): Promise<void> {
    this.s.scan.run({ repo: repositoryId, digest, ...scanColumns(scan) });
  }

  async blobReferences(repositoryId: number, blobs: readonly string[], now: Date): Promise<Map<string, { images: number; active: number }>> {
    const refs = new Map<string, { images: number; active: number }>();
    for (const blob of blobs) {
      const row = this.s.blobRefs.get({ repo: repositoryId, blob, now: now.getTime() });
      refs.set(blob, { images: row?.images ?? 0, active: row?.active ?? 0 });
    }
    return refs;
  }

  async listTags(repositoryId: number, opts: { limit: number; after?: string }): Promise<Page<string>> {
    const rows = this.s.tagPage.all(repositoryId, opts.after ?? '', opts.limit + 1);
    const items = rows.slice(0, opts.limit).map((r) => r.tag);
    const last = items[items.length - 1];
    return rows.length > opts.limit && last !== undefined ? { items, next: last } : { items };
  }

  async referrers(repositoryId: number, subject: string): Promise<ImageRecord[]> {
    return this.s.referrers.all(repositoryId, subject).map((r) => this.toRecord(r));
  }

  async parents(repositoryId: number, digest: string): Promise<string[]> {
    return this.s.parents.all(repositoryId, digest).map((r) => r.parent);
  }

  async children(repositoryId: number, digest: string): Promise<string[]> {
    return this.s.children.all(repositoryId, digest).map((r) => r.child);
  }

  async delete(repositoryId: number, digest: string): Promise<RemoveImageOutcome> {
    return this.db.transaction((): RemoveImageOutcome => {
      const image = this.read(repositoryId, digest);
      if (image === undefined) return { kind: 'not-found' };
      return this.deleteUnlessListed(image);
    })();
  }

  async untag(repositoryId: number, tag: string): Promise<RemoveImageOutcome> {
    return this.db.transaction((): RemoveImageOutcome => {
      const digest = this.s.tag.get(repositoryId, tag)?.digest;
      const image = digest === undefined ? undefined : this.read(repositoryId, digest);
      if (image === undefined) return { kind: 'not-found' };
      if (image.tags.length > 1) {
        this.s.deleteTag.run(repositoryId, tag);
        return { kind: 'untagged', image: { ...image, tags: image.tags.filter((t) => t !== tag) } };
      }
      return this.deleteUnlessListed(image);
    })();
  }

  async recordPull(repositoryId: number, digest: string, at: Date): Promise<void> {
    this.s.pull.run(at.getTime(), repositoryId, digest);
  }

  async count(repositoryId: number): Promise<number> {
    return this.s.count.get(repositoryId)?.n ?? 0;
  }

  /** Inside a transaction. */
  private deleteUnlessListed(image: ImageRecord): RemoveImageOutcome {
    const parents = this.s.parents.all(image.repositoryId, image.digest).map((r) => r.parent);
    if (parents.length > 0) return { kind: 'referenced', image, parents };
    // Tags and the image's own child links go with it (ON DELETE CASCADE).
    this.s.deleteImage.run(image.repositoryId, image.digest);
    this.deleteReferrers(image.repositoryId, image.digest);
    return { kind: 'deleted', image };
  }

  /**
   * OCI 1.1 referrers (signatures, SBOMs, attestations) go with their subject, as ECR deletes
   * them — source: aws.amazon.com/blogs/opensource/diving-into-oci-image-and-distribution-1-1-support-in-amazon-ecr.
   * A referrer an index still lists stays, like any listed image. Inside a transaction.
   */
  private deleteReferrers(repositoryId: number, subject: string): void {
    for (const row of this.s.referrers.all(repositoryId, subject)) {
      if (this.s.parents.all(repositoryId, row.digest).length > 0) continue;
      this.s.deleteImage.run(repositoryId, row.digest);
      this.deleteReferrers(repositoryId, row.digest);
    }
  }

  private read(repositoryId: number, digest: string): ImageRecord | undefined {
    const row = this.s.image.get(repositoryId, digest);
    return row && this.toRecord(row);
  }

  private toRecord(r: ImageRow): ImageRecord {
    return {
      repositoryId: r.repository_id,
      digest: r.digest,
      mediaType: r.media_type,
      ...(r.artifact_type !== null ? { artifactType: r.artifact_type } : {}),
      ...(r.subject !== null ? { subject: r.subject } : {}),
      ...(r.annotations !== null ? { annotations: JSON.parse(r.annotations) as Record<string, string> } : {}),
      manifestSize: r.manifest_size,
      size: r.size,
      pushedAt: fromMillis(r.pushed_at),
      ...(r.last_pulled_at !== null ? { lastPulledAt: fromMillis(r.last_pulled_at) } : {}),
      tags: r.tags === null ? [] : r.tags.split(TAG_SEPARATOR),
      storageClass: r.storage_class === 'ARCHIVE' ? 'ARCHIVE' : 'STANDARD',
      ...(r.last_archived_at !== null ? { lastArchivedAt: fromMillis(r.last_archived_at) } : {}),
      ...(r.restored_at !== null ? { restoredAt: fromMillis(r.restored_at) } : {}),
      ...(r.scan_status !== null && r.scan_started_at !== null
        ? {
            scan: {
              status: r.scan_status,
              startedAt: fromMillis(r.scan_started_at),
              ...(r.scan_completed_at !== null ? { completedAt: fromMillis(r.scan_completed_at) } : {}),
            },
          }
        : {}),
    };
  }
}

function listParams(repositoryId: number, opts: ImageListFilter & { limit: number }): ListParams {
  return {
    repo: repositoryId,
    status: opts.status ?? 'ANY',
    now: (opts.now ?? new Date(0)).getTime(),
    tagStatus: opts.tagStatus ?? 'ANY',
    limit: opts.limit + 1,
  };
}

function scanColumns(scan: ScanRecord | undefined): {
  scan_status: string | null;
  scan_started_at: number | null;
  scan_completed_at: number | null;
} {
  return {
    scan_status: scan?.status ?? null,
    scan_started_at: scan?.startedAt.getTime() ?? null,
    scan_completed_at: scan?.completedAt?.getTime() ?? null,
  };
}

interface LayerRow {
  repository_id: number;
  digest: string;
  size: number;
  media_type: string | null;
  linked_at: number;
}

const toLayer = (r: LayerRow): LayerRecord => ({
  repositoryId: r.repository_id,
  digest: r.digest,
  size: r.size,
  ...(r.media_type !== null ? { mediaType: r.media_type } : {}),
  linkedAt: fromMillis(r.linked_at),
});

/** Which blobs each repository may serve. */
export class SqliteLayers implements LayerRecords {
  private readonly insert;
  private readonly select;
  private readonly touch;
  private readonly record;
  private readonly forgetUpload;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      `INSERT INTO layers (repository_id, digest, size, media_type, linked_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(repository_id, digest) DO NOTHING`,
    );
    this.select = db.prepare<[number, string], LayerRow>('SELECT * FROM layers WHERE repository_id = ? AND digest = ?');
    this.touch = db.prepare('UPDATE blobs SET touched_at = max(touched_at, ?) WHERE digest = ?');
    this.record = db.prepare(
      `INSERT INTO blobs (digest, size, touched_at) VALUES (?, ?, ?)
       ON CONFLICT(digest) DO UPDATE SET touched_at = max(touched_at, excluded.touched_at), size = excluded.size`,
    );
    this.forgetUpload = db.prepare('DELETE FROM uploads WHERE id = ?');
  }

  async commit(layer: LayerRecord, uploadId: string): Promise<LayerRecord> {
    return this.db.transaction(() => {
      this.record.run(layer.digest, layer.size, layer.linkedAt.getTime());
      this.insert.run(layer.repositoryId, layer.digest, layer.size, layer.mediaType ?? null, layer.linkedAt.getTime());
      this.forgetUpload.run(uploadId);
      const row = this.select.get(layer.repositoryId, layer.digest);
      if (row === undefined) throw new Error(`layer link ${layer.digest} vanished inside its own transaction`);
      return toLayer(row);
    })();
  }

  async link(layer: LayerRecord): Promise<LayerRecord | undefined> {
    return this.db.transaction(() => {
      // No blob record: garbage collection has taken (or is taking) the bytes.
      if (this.touch.run(layer.linkedAt.getTime(), layer.digest).changes === 0) return undefined;
      this.insert.run(layer.repositoryId, layer.digest, layer.size, layer.mediaType ?? null, layer.linkedAt.getTime());
      const row = this.select.get(layer.repositoryId, layer.digest);
      if (row === undefined) throw new Error(`layer link ${layer.digest} vanished inside its own transaction`);
      return toLayer(row);
    })();
  }

  async get(repositoryId: number, digest: string): Promise<LayerRecord | undefined> {
    const row = this.select.get(repositoryId, digest);
    return row && toLayer(row);
  }

  async getMany(repositoryId: number, digests: readonly string[]): Promise<LayerRecord[]> {
    const found: LayerRecord[] = [];
    for (const digest of digests) {
      const row = this.select.get(repositoryId, digest);
      if (row !== undefined) found.push(toLayer(row));
    }
    return found;
  }
}

interface UploadRow {
  id: string;
  repository_id: number;
  started_at: number;
  parts: number;
  last_part_size: number;
  smallest_part: number | null;
  announced: number;
}

/** Upload sessions and the repository each belongs to. */
export class SqliteUploads implements UploadRecords {
  private readonly insert;
  private readonly select;
  private readonly part;
  private readonly remove;
  private readonly stale;
  private readonly hidden;

  constructor(private readonly db: Db) {
    this.insert = db.prepare('INSERT INTO uploads (id, repository_id, started_at, parts, last_part_size, announced) VALUES (?, ?, ?, ?, ?, ?)');
    this.select = db.prepare<[string], UploadRow>('SELECT * FROM uploads WHERE id = ?');
    // The part that was last becomes an earlier one (SQLite reads the old values on the right).
    this.part = db.prepare(
      `UPDATE uploads SET parts = parts + 1, last_part_size = ?,
         smallest_part = CASE WHEN parts = 0 THEN smallest_part ELSE min(coalesce(smallest_part, last_part_size), last_part_size) END
       WHERE id = ?`,
    );
    this.remove = db.prepare('DELETE FROM uploads WHERE id = ?');
    this.stale = db.prepare<[number], { id: string }>('SELECT id FROM uploads WHERE started_at < ?');
    this.hidden = db.prepare<[], { id: string }>('SELECT id FROM uploads WHERE announced = 0');
  }

  async unannounced(): Promise<string[]> {
    return this.hidden.all().map((r) => r.id);
  }

  async startedBefore(at: Date): Promise<string[]> {
    return this.stale.all(at.getTime()).map((r) => r.id);
  }

  // A session's own records are written without an fsync (withoutSync): its bytes are not
  // durable before the commit either, whose transaction syncs the blob's records and this table.
  async create(u: UploadRecord): Promise<void> {
    withoutSync(this.db, () => this.insert.run(u.id, u.repositoryId, u.startedAt.getTime(), u.parts, u.lastPartSize, u.announced ? 1 : 0));
  }

  async get(id: string): Promise<UploadRecord | undefined> {
    const r = this.select.get(id);
    return (
      r && {
        id: r.id,
        repositoryId: r.repository_id,
        startedAt: fromMillis(r.started_at),
        parts: r.parts,
        lastPartSize: r.last_part_size,
        ...(r.smallest_part !== null ? { smallestPart: r.smallest_part } : {}),
        announced: r.announced !== 0,
      }
    );
  }

  async recordPart(id: string, partSize: number): Promise<void> {
    withoutSync(this.db, () => this.part.run(partSize, id));
  }

  async delete(id: string): Promise<void> {
    this.remove.run(id);
  }
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
