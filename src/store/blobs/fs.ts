/**
 * Blobs as files:
 *
 *   <root>/blobs/sha256/<first 2 hex>/<hex>        committed blobs, immutable
 *   <root>/uploads/<id>/data                        bytes received so far
 *   <root>/uploads/<id>/startedat                   ISO-8601 start time
 *   <root>/uploads/<id>/size                        length of `data` as of the last append that succeeded
 *
 * Bytes stream from the request through a hashing transform into `data`; nothing holds a whole
 * blob. A blob becomes visible only by `rename` into `blobs/`, after its digest is checked and
 * the file fsynced (the directory is fsynced after the rename). `size` is what makes an append
 * all or nothing across a crash: bytes past it were never acknowledged, and are cut off when the
 * session is opened again. Node's Hash cannot be serialised, so a session reopened after a
 * restart rehashes its data from disk, as distribution's blobwriter does when its hash state is
 * missing.
 *
 * An upload's and a download's small file operations (mkdir, open, fstat, close, rename, a few
 * bytes written) run synchronously; fsyncs do not. The former finish in microseconds from the
 * kernel's caches, and handing each to one of libuv's threads cost a thread wake-up to start it
 * and an event-loop wake-up to end it: ~25 per 4 MiB push. Inline, 20 pushes made 459 futex
 * calls and 341 epoll waits instead of 2953 and 1549 (strace -c), and the event loop turns less
 * often; server CPU per push moved within this VM's noise (310 against 341 ticks over 160
 * pushes). An fsync waits on the device for milliseconds, so it stays off the event loop.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, close, closeSync, type Stats, createReadStream, fsync, fstatSync, mkdirSync, fstat, open as openCallback, openSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rm, stat, truncate, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Writable, addAbortSignal, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { AppendSink, BufferPool, FileRangeStream } from './file-stream.js';
import type { ChunkReport } from './young-garbage.js';

import { createDigester, digestHex, type Digest, type Digester } from '../../oci/digest.js';
import {
  BlobNotFoundError,
  DigestMismatchError,
  SerialQueue,
  borrowStream,
  UploadNotFoundError,
  UploadTooLargeError,
  chunkToBuffer,
  linkedAbort,
  mapLimit,
  resolveRange,
  type AppendOptions,
  type BlobInfo,
  type BlobStore,
  type ReadOptions,
  type Upload,
} from './blob-store.js';

export interface FsBlobStoreOptions {
  /** Upload session ids; `crypto.randomUUID` by default. Must be 1–128 of [A-Za-z0-9_-]. */
  ids?: () => string;
  /** The clock for `startedAt`. */
  now?: () => Date;
  /** Told of each upload's chunks held and written (YoungGarbage frees their buffers early). */
  received?: ChunkReport;
}

/** Upload ids become directory names: nothing that could climb out of `uploads/`. */
export const UPLOAD_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const PREFIX = /^[0-9a-f]{2}$/;
const HEX = /^[0-9a-f]{64}$/;
/**
 * Blob downloads read this much at a time, or LARGE_READ_CHUNK in the first transfers
 * (file-stream.ts). 512 KiB, not 256: eight 256 MiB pulls by curl cost 0.41–0.60 ms of server
 * CPU per MiB against 0.64–0.80 (distribution: 0.53–0.58), for ~3 MiB more at their peak.
 */
const READ_CHUNK = 512 * 1024;
const LARGE_READ_CHUNK = 1024 * 1024;
/** Large read buffers lent at once: two transfers' worth. */
const LARGE_READ_BUFFERS = 4;
/**
 * An upload's chunks queued for one writev: with the write under way, what each upload holds.
 * Small, so that a chunk dies young (young-garbage.ts): eight 256 MiB pushes at once peaked at
 * ~140 MiB RSS with 1 MiB batches (~40–60 MiB of dead chunks awaiting a full collection) and at
 * ~104 with 256 KiB, at no cost in CPU per MiB.
 */
const UPLOAD_BATCH = 256 * 1024;
/**
 * An append that leaves this much unsynced starts its last fdatasync as it ends (AppendSink's
 * `durable`), so the commit that follows waits less. Not below: a client sending many small
 * chunks would queue an fdatasync per chunk on libuv's four threads, ahead of downloads' reads,
 * and a commit's own fsync of a few KiB costs little.
 */
const EARLY_LAST_SYNC = 1024 * 1024;
/** Idle read buffers kept for reuse (4 MiB): enough for four downloads at once. */
const IDLE_READ_BUFFERS = 8;
/** Stats in flight while listing: libuv has four file-system threads, two stay free for requests. */
const LIST_CONCURRENCY = 2;
/** Blob files, upload sessions and their directories: the owner's only. */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

export class FsBlobStore implements BlobStore {
  readonly root: string;
  readonly #blobsDir: string;
  readonly #uploadsDir: string;
  readonly #ids: () => string;
  readonly #now: () => Date;
  readonly #received: ChunkReport | undefined;
  /** Sessions in memory (live hash), or being loaded from disk. */
  readonly #sessions = new Map<string, Promise<FsUpload | undefined>>();
  /** Read buffers reused by blob downloads (file-stream.ts): two per transfer, a few kept idle. */
  readonly #readBuffers = new BufferPool(READ_CHUNK, IDLE_READ_BUFFERS);
  readonly #largeReadBuffers = new BufferPool(LARGE_READ_CHUNK, LARGE_READ_BUFFERS, LARGE_READ_BUFFERS);
  #closed = false;

  constructor(rootDir: string, opts: FsBlobStoreOptions = {}) {
    this.root = resolve(rootDir);
    // Blobs are private to simfra's user. Tightening the root also closes off what an older
    // simfra left world-readable beneath it (0644 files, 0755 directories).
    mkdirSync(this.root, { recursive: true, mode: DIR_MODE });
    chmodSync(this.root, DIR_MODE);
    this.#blobsDir = join(this.root, 'blobs', 'sha256');
    this.#uploadsDir = join(this.root, 'uploads');
    this.#ids = opts.ids ?? randomUUID;
    this.#now = opts.now ?? (() => new Date());
    this.#received = opts.received;
  }

  async stat(digest: Digest): Promise<BlobInfo | undefined> {
    this.#assertOpen();
    const s = statIfExists(this.#blobPath(digest));
    return s?.isFile() === true ? { digest, size: s.size } : undefined;
  }

  async read(digest: Digest, opts: ReadOptions = {}): Promise<Readable> {
    this.#assertOpen();
    // A plain fd, not a FileHandle: FileHandle streams read through promises and moved blobs at
    // about half the speed (~0.6 vs ~1.1 GB/s here, same 64 KiB chunks).
    let fd: number;
    try {
      fd = openSync(this.#blobPath(digest), 'r');
    } catch (e) {
      if (isNotFound(e)) throw new BlobNotFoundError(digest);
      throw e;
    }
    let stream: Readable;
    try {
      const { size } = fstatSync(fd);
      const span = resolveRange(opts.range, size) ?? { start: 0, end: size - 1 };
      // The open fd keeps the bytes readable even if the blob is deleted meanwhile.
      stream = new FileRangeStream(fd, span, this.#readBuffers, this.#largeReadBuffers);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    if (opts.signal !== undefined) addAbortSignal(opts.signal, stream);
    return stream;
  }

  async startUpload(): Promise<Upload> {
    this.#assertOpen();
    const id = this.#ids();
    if (!UPLOAD_ID.test(id)) throw new Error(`invalid upload id ${JSON.stringify(id)}`);
    const dir = join(this.#uploadsDir, id);
    // Synchronous, as are the session's other small file operations (see the top of this file).
    mkdirSync(this.#uploadsDir, { recursive: true, mode: DIR_MODE });
    mkdirSync(dir, { mode: DIR_MODE }); // EEXIST: the id factory repeated itself
    const startedAt = this.#now();
    writeFileSync(join(dir, 'data'), '', { flag: 'wx', mode: FILE_MODE });
    writeFileSync(join(dir, 'startedat'), startedAt.toISOString(), { mode: FILE_MODE });
    const upload = new FsUpload(this.#host(id), id, dir, startedAt, createDigester());
    this.#sessions.set(id, Promise.resolve(upload));
    return upload;
  }

  async openUpload(id: string): Promise<Upload | undefined> {
    this.#assertOpen();
    if (!UPLOAD_ID.test(id)) return undefined;
    return openCachedSession(this.#sessions, id, () => this.#load(id));
  }

  async delete(digest: Digest): Promise<void> {
    this.#assertOpen();
    try {
      await unlink(this.#blobPath(digest));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    this.#assertOpen();
    for await (const { dir, names } of blobFileNames(this.#blobsDir)) {
      // Two stats at a time: one at a time, listing 10,000 blobs took seconds; more would keep
      // the file-system threads from requests (the listing is for garbage collection).
      const infos = await mapLimit(names, LIST_CONCURRENCY, async (name): Promise<BlobInfo | undefined> => {
        try {
          const s = await stat(join(dir, name));
          return s.isFile() ? { digest: `sha256:${name}` as Digest, size: s.size } : undefined;
        } catch (e) {
          if (isNotFound(e)) return undefined; // deleted while listing
          throw e;
        }
      });
      for (const info of infos) if (info !== undefined) yield info;
    }
  }

  async purgeUploads(olderThan: Date): Promise<number> {
    this.#assertOpen();
    return purgeSessions(this.#uploadsDir, this.#sessions, olderThan);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await detachSessions(this.#sessions);
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('blob store is closed');
  }

  #blobPath(digest: Digest): string {
    const hex = digestHex(digest);
    return join(this.#blobsDir, hex.slice(0, 2), hex);
  }

  #host(id: string): FsUploadHost {
    return {
      blobPath: (digest) => this.#blobPath(digest),
      forget: () => {
        this.#sessions.delete(id);
      },
      ...(this.#received !== undefined ? { received: this.#received } : {}),
    };
  }

  /** Rebuilds a session from disk: cut off unacknowledged bytes, rehash the rest. */
  async #load(id: string): Promise<FsUpload | undefined> {
    const dir = join(this.#uploadsDir, id);
    const dataPath = join(dir, 'data');
    let startedAtText: string;
    let dataSize: number;
    try {
      startedAtText = await readFile(join(dir, 'startedat'), 'utf8');
      dataSize = (await stat(dataPath)).size;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    const startedAt = new Date(startedAtText.trim());
    if (Number.isNaN(startedAt.getTime())) return undefined;
    const recorded = await readRecordedSize(join(dir, 'size'));
    const size = Math.min(recorded, dataSize);
    if (dataSize > size) await truncate(dataPath, size);
    const digester = createDigester();
    if (size > 0) {
      await pipeline(
        createReadStream(dataPath, { start: 0, end: size - 1, highWaterMark: READ_CHUNK }),
        new Writable({
          write(chunk: unknown, _encoding, callback) {
            digester.update(chunkToBuffer(chunk));
            callback();
          },
        }),
      );
    }
    return new FsUpload(this.#host(id), id, dir, startedAt, digester);
  }
}

interface FsUploadHost {
  blobPath(digest: Digest): string;
  forget(): void;
  received?: ChunkReport;
}

class FsUpload implements Upload {
  #state: 'open' | 'committed' | 'cancelled' | 'closed' = 'open';
  #digester: Digester;
  #committed: BlobInfo | undefined;
  /** `data` may hold bytes past `size` (a rollback failed); cut them before the next write. */
  #dirty = false;
  /** The last append's sink, whose fdatasync covers every byte of `data` (none after it). */
  #lastAppend: AppendSink | undefined;
  #inflight: AbortController | undefined;
  readonly #queue = new SerialQueue();
  readonly #data: string;

  constructor(
    private readonly host: FsUploadHost,
    readonly id: string,
    private readonly dir: string,
    readonly startedAt: Date,
    digester: Digester,
  ) {
    this.#digester = digester;
    this.#data = join(dir, 'data');
  }

  get size(): number {
    return this.#digester.size;
  }

  digest(): Digest {
    return this.#digester.digest();
  }

  append(body: Readable, opts: AppendOptions = {}): Promise<number> {
    return this.#queue.run(async () => {
      this.#assertOpen();
      await this.#repair();
      const { maxBytes } = opts;
      if (maxBytes !== undefined && this.size > maxBytes) throw new UploadTooLargeError(maxBytes);
      const start = this.size;
      this.#lastAppend = undefined;
      const fd = openSync(this.#data, 'a');
      // Hash into a checkpoint; it becomes the session's state only once the bytes are written.
      const digester = this.#digester.copy();
      // Writeback starts while the upload is still arriving (fdatasync every WRITEBACK_EVERY),
      // so commit's fsync has little left to wait for: 256 MiB pushes ~175 → ~255 MiB/s here.
      const sink = new AppendSink(fd, digester, {
        ...(maxBytes !== undefined ? { maxBytes } : {}),
        tooLarge: () => new UploadTooLargeError(maxBytes ?? 0),
        syncEvery: WRITEBACK_EVERY,
        lastSyncFrom: EARLY_LAST_SYNC,
        batchBytes: UPLOAD_BATCH,
        ...(this.host.received !== undefined ? { received: this.host.received } : {}),
      });
      const { controller, dispose } = linkedAbort(opts.signal);
      this.#inflight = controller;
      try {
        await pipeline(borrowStream(body), sink, { signal: controller.signal });
        await this.#recordSize(digester.size);
        this.#lastAppend = sink;
      } catch (e) {
        await this.#rollback(sink, start);
        if (this.#state === 'cancelled') throw new UploadNotFoundError(this.id);
        throw e;
      } finally {
        dispose();
        this.#inflight = undefined;
      }
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
      await this.#repair();
      const actual = this.#digester.digest();
      if (actual !== expected) {
        await this.#remove();
        throw new DigestMismatchError(expected, actual);
      }
      const size = this.size;
      const target = this.host.blobPath(actual);
      await ensureDir(dirname(target));
      const existing = statIfExists(target);
      if (existing?.isFile() === true && existing.size === size) {
        // The same content is already a blob (dedup), or an earlier attempt renamed it but
        // failed after. Its directory entry may be another commit's, not yet fsynced: sync it.
        await unlink(this.#data).catch((e: unknown) => {
          if (!isNotFound(e)) throw e;
        });
      } else {
        // The last append's fdatasync began when its bytes were in; a session reopened after a
        // restart has none in flight.
        await (this.#lastAppend?.durable() ?? fsyncFile(this.#data));
        renameSync(this.#data, target);
      }
      await fsyncDir(dirname(target));
      this.#committed = { digest: actual, size };
      this.#state = 'committed';
      // The blob is durable; a leftover session directory (no data file) only waits for purgeUploads.
      await this.#remove().catch(() => undefined);
      return { ...this.#committed };
    });
  }

  cancel(): Promise<void> {
    if (this.#state === 'open') {
      this.#state = 'cancelled';
      this.#inflight?.abort(new UploadNotFoundError(this.id));
    }
    return this.#queue.run(async () => {
      if (this.#state === 'cancelled') await this.#remove();
    });
  }

  /** The store is closing: stop what runs, keep the session on disk. */
  async detach(): Promise<void> {
    if (this.#state === 'open') {
      this.#state = 'closed';
      this.#inflight?.abort(new Error('blob store is closed'));
    }
    await this.#queue.idle();
  }

  async #remove(): Promise<void> {
    if (this.#state === 'open') this.#state = 'cancelled';
    this.host.forget();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #recordSize(size: number): Promise<void> {
    const tmp = join(this.dir, 'size.tmp');
    writeFileSync(tmp, String(size), { mode: FILE_MODE });
    renameSync(tmp, join(this.dir, 'size'));
  }

  /** Undo a failed append: wait until the file stream has let go, then cut back to `start`. */
  async #rollback(sink: Writable, start: number): Promise<void> {
    if (!sink.closed) {
      await new Promise<void>((done) => {
        sink.once('close', done);
        sink.destroy();
      });
    }
    try {
      await truncate(this.#data, start);
    } catch {
      this.#dirty = true;
    }
  }

  async #repair(): Promise<void> {
    if (!this.#dirty) return;
    await truncate(this.#data, this.size);
    this.#dirty = false;
  }

  #assertOpen(): void {
    if (this.#state === 'closed') throw new Error('blob store is closed');
    if (this.#state !== 'open') throw new UploadNotFoundError(this.id);
  }
}

export async function readRecordedSize(path: string): Promise<number> {
  try {
    const n = Number((await readFile(path, 'utf8')).trim());
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  } catch (e) {
    // No append has finished yet.
    if (isNotFound(e)) return 0;
    throw e;
  }
}

export async function fsyncFile(path: string): Promise<void> {
  await fsyncOpened(path, 'r+');
}

/** Makes the entries of `dir` durable (a rename, a new subdirectory). Not possible on Windows. */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  await fsyncOpened(dir, 'r');
}

async function fsyncOpened(path: string, flags: string): Promise<void> {
  const fd = openSync(path, flags);
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}

const fsyncFd = promisify(fsync);

/** mkdir -p, then fsync the parent of every directory it created so they survive a crash. */
export async function ensureDir(dir: string): Promise<void> {
  const first = mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  if (first === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    await fsyncDir(dirname(d));
    if (d === first || dirname(d) === d) break;
  }
}

export async function statOrUndefined(path: string): Promise<Awaited<ReturnType<typeof stat>> | undefined> {
  try {
    return await stat(path);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** statOrUndefined on the event loop (see the top of this file), for uploads and downloads. */
function statIfExists(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
}

/**
 * The blob files under a store's `blobs/` directory, one prefix directory at a time:
 * `blobs/ab/ab…` (64 hex digits of the sha256, the first two naming the directory).
 */
export async function* blobFileNames(blobsDir: string): AsyncIterable<{ dir: string; names: string[] }> {
  for (const prefix of await readdirOrEmpty(blobsDir)) {
    if (!PREFIX.test(prefix)) continue;
    const dir = join(blobsDir, prefix);
    yield { dir, names: (await readdirOrEmpty(dir)).filter((name) => HEX.test(name) && name.startsWith(prefix)) };
  }
}

/** A session as the file stores keep it: cancellable, detachable, with its start time. */
interface StoredSession {
  readonly startedAt: Date;
  cancel(): Promise<void>;
  detach(): Promise<void>;
}

/**
 * The session `id` from the store's table, loading it from disk once. Concurrent opens share
 * one load; a load that finds nothing or fails is not kept, so a later open tries again.
 */
export async function openCachedSession<U>(
  sessions: Map<string, Promise<U | undefined>>,
  id: string,
  load: () => Promise<U | undefined>,
): Promise<U | undefined> {
  let session = sessions.get(id);
  if (session === undefined) {
    session = load();
    sessions.set(id, session);
  }
  try {
    const upload = await session;
    if (upload === undefined && sessions.get(id) === session) sessions.delete(id);
    return upload;
  } catch (e) {
    if (sessions.get(id) === session) sessions.delete(id);
    throw e;
  }
}

/**
 * Removes the upload sessions under `uploadsDir` started before `olderThan`: a live one is
 * cancelled, any other directory removed. Returns how many went.
 */
export async function purgeSessions(
  uploadsDir: string,
  sessions: ReadonlyMap<string, Promise<StoredSession | undefined>>,
  olderThan: Date,
): Promise<number> {
  let purged = 0;
  for (const id of await readdirOrEmpty(uploadsDir)) {
    if (!UPLOAD_ID.test(id)) continue;
    const live = sessions.get(id);
    const upload = live === undefined ? undefined : await live.catch(() => undefined);
    const startedAt = upload?.startedAt ?? (await readStartedAt(join(uploadsDir, id)));
    if (startedAt === undefined || startedAt >= olderThan) continue;
    if (upload !== undefined) await upload.cancel();
    else await rm(join(uploadsDir, id), { recursive: true, force: true });
    purged++;
  }
  return purged;
}

/** Sessions stay on disk, resumable by the next process; only appends in flight are stopped. */
export async function detachSessions(sessions: Map<string, Promise<StoredSession | undefined>>): Promise<void> {
  const live = await Promise.all([...sessions.values()].map((s) => s.catch(() => undefined)));
  await Promise.all(live.map((u) => u?.detach()));
  sessions.clear();
}

async function readStartedAt(dir: string): Promise<Date | undefined> {
  try {
    const date = new Date((await readFile(join(dir, 'startedat'), 'utf8')).trim());
    if (!Number.isNaN(date.getTime())) return date;
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  // Crashed before startedat was written: the directory's own time is close enough.
  try {
    return (await stat(dir)).mtime;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export function isNotFound(e: unknown): boolean {
  return e instanceof Error && 'code' in e && (e.code === 'ENOENT' || e.code === 'ENOTDIR');
}

/** How many bytes an upload writes between the fdatasyncs that start writeback early. */
export const WRITEBACK_EVERY = 16 * 1024 * 1024;

export const openFd = promisify(openCallback) as (path: string, flags: string) => Promise<number>;
export const fstatFd = promisify(fstat);
export const closeFd = promisify(close);
