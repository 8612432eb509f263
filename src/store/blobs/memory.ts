/**
 * Blobs held in memory as the chunks they arrived in (memory is the data itself, so the
 * streaming rule is about not copying them into one Buffer). The default store when no data
 * directory is configured, and the reference the contract suite is first checked against.
 */
import { randomUUID } from 'node:crypto';
import { Readable, Writable, addAbortSignal } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { createDigester, type Digest, type Digester } from '../../oci/digest.js';
import {
  BlobNotFoundError,
  DigestMismatchError,
  SerialQueue,
  borrowStream,
  UploadNotFoundError,
  UploadTooLargeError,
  chunkToBuffer,
  linkedAbort,
  resolveRange,
  type AppendOptions,
  type BlobInfo,
  type BlobStore,
  type ReadOptions,
  type Upload,
} from './blob-store.js';

export interface MemoryBlobStoreOptions {
  /** Upload session ids; `crypto.randomUUID` by default. */
  ids?: () => string;
  /** The clock for `startedAt`. */
  now?: () => Date;
}

interface StoredBlob {
  readonly chunks: readonly Buffer[];
  readonly size: number;
}

export class MemoryBlobStore implements BlobStore {
  readonly #blobs = new Map<Digest, StoredBlob>();
  readonly #uploads = new Map<string, MemoryUpload>();
  readonly #ids: () => string;
  readonly #now: () => Date;
  #closed = false;

  constructor(opts: MemoryBlobStoreOptions = {}) {
    this.#ids = opts.ids ?? randomUUID;
    this.#now = opts.now ?? (() => new Date());
  }

  async stat(digest: Digest): Promise<BlobInfo | undefined> {
    this.#assertOpen();
    const blob = this.#blobs.get(digest);
    return blob === undefined ? undefined : { digest, size: blob.size };
  }

  async read(digest: Digest, opts: ReadOptions = {}): Promise<Readable> {
    this.#assertOpen();
    const blob = this.#blobs.get(digest);
    if (blob === undefined) throw new BlobNotFoundError(digest);
    const span = resolveRange(opts.range, blob.size);
    const stream = Readable.from(slices(blob.chunks, span?.start ?? 0, span?.end ?? blob.size - 1), {
      objectMode: false,
    });
    if (opts.signal !== undefined) addAbortSignal(opts.signal, stream);
    return stream;
  }

  async startUpload(): Promise<Upload> {
    this.#assertOpen();
    const id = this.#ids();
    if (this.#uploads.has(id)) throw new Error(`upload id ${id} is already in use`);
    const upload = new MemoryUpload(id, this.#now(), {
      put: (digest, chunks, size) => {
        // Same content under the same digest: keep the first copy (dedup).
        if (!this.#blobs.has(digest)) this.#blobs.set(digest, { chunks, size });
      },
      forget: () => this.#uploads.delete(id),
    });
    this.#uploads.set(id, upload);
    return upload;
  }

  async openUpload(id: string): Promise<Upload | undefined> {
    this.#assertOpen();
    return this.#uploads.get(id);
  }

  async delete(digest: Digest): Promise<void> {
    this.#assertOpen();
    this.#blobs.delete(digest);
  }

  async *list(): AsyncIterable<BlobInfo> {
    this.#assertOpen();
    for (const [digest, blob] of [...this.#blobs]) yield { digest, size: blob.size };
  }

  async purgeUploads(olderThan: Date): Promise<number> {
    this.#assertOpen();
    const stale = [...this.#uploads.values()].filter((u) => u.startedAt < olderThan);
    await Promise.all(stale.map((u) => u.cancel()));
    return stale.length;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#uploads.values()].map((u) => u.cancel()));
    this.#blobs.clear();
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('blob store is closed');
  }
}

interface MemoryUploadHost {
  put(digest: Digest, chunks: readonly Buffer[], size: number): void;
  forget(): void;
}

class MemoryUpload implements Upload {
  #state: 'open' | 'committed' | 'cancelled' = 'open';
  #chunks: Buffer[] = [];
  #digester: Digester = createDigester();
  #committed: BlobInfo | undefined;
  /** Set while an append runs, so cancel() can stop it. */
  #inflight: AbortController | undefined;
  readonly #queue = new SerialQueue();

  constructor(
    readonly id: string,
    readonly startedAt: Date,
    private readonly host: MemoryUploadHost,
  ) {}

  get size(): number {
    return this.#digester.size;
  }

  digest(): Digest {
    return this.#digester.digest();
  }

  append(body: Readable, opts: AppendOptions = {}): Promise<number> {
    return this.#queue.run(async () => {
      this.#assertOpen();
      const { maxBytes } = opts;
      if (maxBytes !== undefined && this.size > maxBytes) throw new UploadTooLargeError(maxBytes);
      // Work on a checkpoint; it becomes the session's state only if the whole body arrives.
      const digester = this.#digester.copy();
      const chunks: Buffer[] = [];
      const sink = new Writable({
        write(chunk: unknown, _encoding, callback) {
          const buf = chunkToBuffer(chunk);
          if (maxBytes !== undefined && digester.size + buf.byteLength > maxBytes) {
            callback(new UploadTooLargeError(maxBytes));
            return;
          }
          digester.update(buf);
          // Copy: the producer may reuse or mutate its buffer after handing it over.
          chunks.push(Buffer.from(buf));
          callback();
        },
      });
      const { controller, dispose } = linkedAbort(opts.signal);
      this.#inflight = controller;
      try {
        await pipeline(borrowStream(body), sink, { signal: controller.signal });
      } catch (e) {
        if (this.#state === 'cancelled') throw new UploadNotFoundError(this.id);
        throw e;
      } finally {
        dispose();
        this.#inflight = undefined;
      }
      this.#assertOpen();
      this.#chunks.push(...chunks);
      this.#digester = digester;
      return digester.size;
    });
  }

  commit(expected: Digest): Promise<BlobInfo> {
    return this.#queue.run(async () => {
      if (this.#committed !== undefined) {
        if (this.#committed.digest !== expected) throw new DigestMismatchError(expected, this.#committed.digest);
        return { ...this.#committed };
      }
      this.#assertOpen();
      const actual = this.#digester.digest();
      if (actual !== expected) {
        this.#discard();
        throw new DigestMismatchError(expected, actual);
      }
      this.host.put(actual, this.#chunks, this.size);
      this.#committed = { digest: actual, size: this.size };
      this.#state = 'committed';
      this.#chunks = [];
      this.host.forget();
      return { ...this.#committed };
    });
  }

  cancel(): Promise<void> {
    if (this.#state === 'open') {
      this.#state = 'cancelled';
      this.#inflight?.abort(new UploadNotFoundError(this.id));
    }
    return this.#queue.run(async () => {
      if (this.#state !== 'committed') this.#discard();
    });
  }

  #discard(): void {
    this.#state = 'cancelled';
    this.#chunks = [];
    this.host.forget();
  }

  #assertOpen(): void {
    if (this.#state !== 'open') throw new UploadNotFoundError(this.id);
  }
}

function* slices(chunks: readonly Buffer[], start: number, end: number): Generator<Buffer> {
  let offset = 0;
  for (const chunk of chunks) {
    const chunkEnd = offset + chunk.byteLength; // exclusive
    if (chunkEnd > start && offset <= end) {
      yield chunk.subarray(Math.max(0, start - offset), Math.min(chunk.byteLength, end + 1 - offset));
    }
    offset = chunkEnd;
    if (offset > end) return;
  }
}
