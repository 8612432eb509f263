/**
 * Encrypted blobs as files (envelope encryption): the same layout and guarantees as fs.ts, but
 * every byte at rest is sealed under a data key of its own, and the data key is stored only
 * wrapped by a `BlobKeyring` (a KMS key in practice):
 *
 *   <root>/blobs/sha256/<first 2 hex>/<hex>   committed blobs in the sealed-format.ts format;
 *                                             <hex> is the digest of the plaintext, as clients see it
 *   <root>/uploads/<id>/data                  header + the full segments received so far, sealed
 *   <root>/uploads/<id>/tail                  size of the session + the bytes past the last full
 *                                             segment, sealed; replaced by rename after each append
 *   <root>/uploads/<id>/startedat             ISO-8601 start time
 *
 * Bytes stream from the request through a hashing and sealing transform into `data`, one 1 MiB
 * segment at a time; nothing holds a whole blob. `tail` plays the part of fs.ts's `size`: it is
 * the acknowledgement of an append (bytes of `data` past its size were never acknowledged and are
 * cut off when the session is opened again). Commit seals the tail as the last record, fsyncs,
 * renames into `blobs/` and fsyncs the directory, as fs.ts does. Reads unwrap the data key
 * through the keyring every time (so a disabled key stops them) and decrypt only the records a
 * range touches.
 */
import { randomUUID } from 'node:crypto';
import { close, createWriteStream, fdatasync, read as readCallback, type WriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable, Transform, Writable, addAbortSignal } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { createDigester, digestHex, type Digest, type Digester } from '../../oci/digest.js';
import {
  BlobNotFoundError,
  DigestMismatchError,
  SerialQueue,
  UploadNotFoundError,
  UploadTooLargeError,
  borrowStream,
  chunkToBuffer,
  linkedAbort,
  resolveRange,
  type AppendOptions,
  type BlobInfo,
  type BlobStore,
  type ReadOptions,
  type Upload,
} from './blob-store.js';
import type { SealWorker } from './seal-worker.js';
import {
  DIR_MODE,
  FILE_MODE,
  UPLOAD_ID,
  WRITEBACK_EVERY,
  blobFileNames,
  closeFd,
  detachSessions,
  ensureDir,
  fstatFd,
  fsyncDir,
  isNotFound,
  openCachedSession,
  openFd,
  purgeSessions,
  readdirOrEmpty,
  statOrUndefined,
} from './fs.js';
import {
  DEFAULT_SEGMENT,
  HEADER_FIXED,
  OVERHEAD,
  SealedBlobCorruptError,
  decodeHeaderFixed,
  encodeHeader,
  openRecordPieces,
  openTail,
  plainSize,
  recordOffset,
  sealPieces,
  sealRecordAlloc,
  sealTail,
  type SealedHeader,
} from './sealed-format.js';

/**
 * Wraps and unwraps data keys. Both throw (the caller's own error type, passed through the store
 * untouched) when the wrapping key cannot be used now: a disabled or deleted KMS key.
 */
export interface BlobKeyring {
  /** A fresh 32-byte data key and its wrapped form, stored beside the data. */
  newDataKey(): Promise<{ key: Buffer; wrapped: Buffer }>;
  unwrap(wrapped: Buffer): Promise<Buffer>;
}

export interface SealedFsBlobStoreOptions {
  ids?: () => string;
  now?: () => Date;
  /** Plaintext bytes per record; DEFAULT_SEGMENT (1 MiB) unless a test wants tiny ones. */
  segment?: number;
  /** Seals upload segments off the request's thread (shared by the stores of an app; not closed by them). */
  worker?: SealWorker;
}

/** Segments an upload may have being sealed before it waits for the oldest. */
const SEALS_IN_FLIGHT = 4;
/** About how many bytes one filesystem read takes in (whole records, at least one). */
const READ_BYTES = 1 << 20;

export class SealedFsBlobStore implements BlobStore {
  readonly root: string;
  readonly #blobsDir: string;
  readonly #uploadsDir: string;
  readonly #keyring: BlobKeyring;
  readonly #ids: () => string;
  readonly #now: () => Date;
  readonly #segment: number;
  readonly #sessions = new Map<string, Promise<SealedUpload | undefined>>();
  readonly #worker: SealWorker | undefined;
  #closed = false;

  constructor(rootDir: string, keyring: BlobKeyring, opts: SealedFsBlobStoreOptions = {}) {
    this.root = resolve(rootDir);
    this.#blobsDir = join(this.root, 'blobs', 'sha256');
    this.#uploadsDir = join(this.root, 'uploads');
    this.#keyring = keyring;
    this.#ids = opts.ids ?? randomUUID;
    this.#now = opts.now ?? (() => new Date());
    this.#segment = opts.segment ?? DEFAULT_SEGMENT;
    this.#worker = opts.worker;
  }

  async stat(digest: Digest): Promise<BlobInfo | undefined> {
    this.#assertOpen();
    let fd: number;
    try {
      fd = await openFd(this.#blobPath(digest), 'r');
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    try {
      const { header, fileSize } = await readHeader(fd);
      return { digest, size: plainSize(fileSize, header) };
    } finally {
      await closeFd(fd);
    }
  }

  async read(digest: Digest, opts: ReadOptions = {}): Promise<Readable> {
    this.#assertOpen();
    let fd: number;
    try {
      fd = await openFd(this.#blobPath(digest), 'r');
    } catch (e) {
      if (isNotFound(e)) throw new BlobNotFoundError(digest);
      throw e;
    }
    let stream: Readable;
    try {
      const { header, fileSize } = await readHeader(fd);
      const size = plainSize(fileSize, header);
      const span = resolveRange(opts.range, size) ?? (size === 0 ? undefined : { start: 0, end: size - 1 });
      // Unwrapped on every read: the keyring decides whether the key may be used now.
      const key = await this.#keyring.unwrap(header.wrapped);
      stream = span === undefined ? Readable.from([]) : new SealedReader(fd, key, header, fileSize, size, span);
      if (span === undefined) await closeFd(fd);
    } catch (e) {
      await closeFd(fd).catch(() => undefined);
      throw e;
    }
    if (opts.signal !== undefined) addAbortSignal(opts.signal, stream);
    return stream;
  }

  async startUpload(): Promise<Upload> {
    this.#assertOpen();
    const id = this.#ids();
    if (!UPLOAD_ID.test(id)) throw new Error(`invalid upload id ${JSON.stringify(id)}`);
    // The data key first: a key that cannot be used refuses the push before anything is written.
    const { key, wrapped } = await this.#keyring.newDataKey();
    const dir = join(this.#uploadsDir, id);
    await mkdir(this.#uploadsDir, { recursive: true, mode: DIR_MODE });
    await mkdir(dir, { mode: DIR_MODE });
    const startedAt = this.#now();
    const headerBytes = encodeHeader(this.#segment, wrapped);
    await writeFile(join(dir, 'data'), headerBytes, { flag: 'wx', mode: FILE_MODE });
    await writeFile(join(dir, 'startedat'), startedAt.toISOString(), { mode: FILE_MODE });
    const header: SealedHeader = { segment: this.#segment, wrapped, length: headerBytes.length };
    const upload = new SealedUpload(this.#host(id), id, dir, startedAt, key, header, createDigester(), 0, Buffer.alloc(0));
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
    for await (const { names } of blobFileNames(this.#blobsDir)) {
      for (const name of names) {
        const info = await this.stat(`sha256:${name}` as Digest).catch((e: unknown) => {
          if (e instanceof SealedBlobCorruptError) return undefined;
          throw e;
        });
        if (info !== undefined) yield info;
      }
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

  #host(id: string): SealedUploadHost {
    return {
      blobPath: (digest) => this.#blobPath(digest),
      forget: () => {
        this.#sessions.delete(id);
      },
      worker: this.#worker,
    };
  }

  /** Rebuilds a session from disk: unwrap its key, cut off unacknowledged records, rehash the rest. */
  async #load(id: string): Promise<SealedUpload | undefined> {
    const dir = join(this.#uploadsDir, id);
    const dataPath = join(dir, 'data');
    let startedAtText: string;
    let fd: number;
    try {
      startedAtText = await readFile(join(dir, 'startedat'), 'utf8');
      fd = await openFd(dataPath, 'r');
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    const startedAt = new Date(startedAtText.trim());
    let header: SealedHeader;
    let dataSize: number;
    try {
      if (Number.isNaN(startedAt.getTime())) return undefined;
      ({ header, fileSize: dataSize } = await readHeader(fd));
    } catch (e) {
      if (e instanceof SealedBlobCorruptError) return undefined;
      throw e;
    } finally {
      await closeFd(fd);
    }
    const key = await this.#keyring.unwrap(header.wrapped);
    let size = 0;
    let tail: Buffer = Buffer.alloc(0);
    try {
      ({ size, tail } = openTail(key, await readFile(join(dir, 'tail'))));
    } catch (e) {
      if (e instanceof SealedBlobCorruptError) return undefined;
      if (!isNotFound(e)) throw e; // no append has finished yet
    }
    const records = (size - tail.length) / header.segment;
    if (!Number.isSafeInteger(records) || records < 0 || tail.length >= header.segment) return undefined;
    const end = recordOffset(records, header);
    if (dataSize < end) return undefined;
    if (dataSize > end) await truncate(dataPath, end);
    const digester = createDigester();
    if (records > 0) {
      const reader = new SealedReader(await openFd(dataPath, 'r'), key, header, end, records * header.segment, {
        start: 0,
        end: records * header.segment - 1,
      }, false);
      await pipeline(
        reader,
        new Writable({
          write(chunk: unknown, _encoding, callback) {
            digester.update(chunkToBuffer(chunk));
            callback();
          },
        }),
      );
    }
    digester.update(tail);
    return new SealedUpload(this.#host(id), id, dir, startedAt, key, header, digester, records, tail);
  }
}

interface SealedUploadHost {
  blobPath(digest: Digest): string;
  forget(): void;
  worker: SealWorker | undefined;
}

class SealedUpload implements Upload {
  #state: 'open' | 'committed' | 'cancelled' | 'closed' = 'open';
  #digester: Digester;
  /** Full records in `data`. */
  #records: number;
  /** Plaintext past the last full record (shorter than a segment). */
  #tail: Buffer;
  #committed: BlobInfo | undefined;
  #dirty = false;
  #inflight: AbortController | undefined;
  readonly #queue = new SerialQueue();
  readonly #data: string;

  constructor(
    private readonly host: SealedUploadHost,
    readonly id: string,
    private readonly dir: string,
    readonly startedAt: Date,
    private readonly key: Buffer,
    private readonly header: SealedHeader,
    digester: Digester,
    records: number,
    tail: Buffer,
  ) {
    this.#digester = digester;
    this.#records = records;
    this.#tail = tail;
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
      const startRecords = this.#records;
      const { key, header } = this;
      const segment = header.segment;
      const fd = await openFd(this.#data, 'a');
      const sink = createWriteStream('', { fd, flags: 'a' });
      const digester = this.#digester.copy();
      let records = startRecords;
      let pieces: Buffer[] = this.#tail.length > 0 ? [this.#tail] : [];
      let pending = this.#tail.length;
      let syncedAt = digester.size;
      const writebacks: Promise<void>[] = [];
      let writebackError: Error | undefined;
      // Full segments are sealed as they complete — on the sealing worker when the store has
      // one, while this thread hashes on — and written in order, at most SEALS_IN_FLIGHT behind.
      const worker = this.host.worker;
      const queue: Promise<Buffer>[] = [];
      const drain = async (stream: Transform, max: number): Promise<void> => {
        while (queue.length > max) stream.push(await queue.shift()!);
      };
      const sealer = new Transform({
        transform(chunk: unknown, _encoding, callback) {
          const buf = chunkToBuffer(chunk);
          if (maxBytes !== undefined && digester.size + buf.byteLength > maxBytes) {
            callback(new UploadTooLargeError(maxBytes));
            return;
          }
          digester.update(buf);
          for (let at = 0; at < buf.byteLength; ) {
            const take = Math.min(segment - pending, buf.byteLength - at);
            pieces.push(buf.subarray(at, at + take));
            pending += take;
            at += take;
            if (pending === segment) {
              let sealed: Promise<Buffer>;
              if (worker === undefined) {
                // One buffer per record: thousands of small writes cost the file stream far more
                // (a 256 MiB push: ~4× the CPU and wall time) than one copy.
                sealed = Promise.resolve(Buffer.concat(sealPieces(key, records++, false, pieces)));
              } else {
                // A buffer of its own, handed over to the worker (transferred, not copied again).
                const data = Buffer.allocUnsafeSlow(segment);
                let n = 0;
                for (const piece of pieces) n += piece.copy(data, n);
                sealed = worker.seal(key, records++, false, data);
                sealed.catch(() => undefined); // drain awaits it; one abandoned by a failed append must not go unhandled
              }
              queue.push(sealed);
              pieces = [];
              pending = 0;
            }
          }
          if (digester.size - syncedAt >= WRITEBACK_EVERY && !sink.closed) {
            syncedAt = digester.size;
            // A failed writeback fails the append, as in AppendSink (file-stream.ts); EBADF only
            // means the stream had closed the fd first, and commit's fsync still follows.
            writebacks.push(
              new Promise<void>((done) =>
                fdatasync(fd, (e) => {
                  if (e !== null && e.code !== 'EBADF') writebackError ??= e;
                  done();
                }),
              ),
            );
          }
          drain(this, SEALS_IN_FLIGHT).then(() => callback(), callback);
        },
        flush(callback) {
          drain(this, 0).then(() => callback(), callback);
        },
      });
      const { controller, dispose } = linkedAbort(opts.signal);
      this.#inflight = controller;
      let tail: Buffer;
      try {
        await pipeline(borrowStream(body), sealer, sink, { signal: controller.signal });
        await Promise.all(writebacks);
        if (writebackError !== undefined) throw writebackError;
        tail = Buffer.concat(pieces, pending);
        await this.#recordTail(digester.size, tail);
      } catch (e) {
        await this.#rollback(sink, startRecords);
        if (this.#state === 'cancelled') throw new UploadNotFoundError(this.id);
        throw e;
      } finally {
        dispose();
        this.#inflight = undefined;
      }
      this.#digester = digester;
      this.#records = records;
      this.#tail = tail;
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
      const existing = await statOrUndefined(target);
      if (existing?.isFile() === true && existing.size === recordOffset(this.#records, this.header) + this.#tail.length + OVERHEAD) {
        // The same content is already a blob here (dedup within this key's namespace).
        await unlink(this.#data).catch((e: unknown) => {
          if (!isNotFound(e)) throw e;
        });
      } else {
        // The last record goes where the full ones end; until the rename, a crash leaves a
        // session whose `tail` still says where that is.
        this.#dirty = true;
        const last = sealRecordAlloc(this.key, this.#records, true, this.#tail);
        const handle = await open(this.#data, 'r+');
        try {
          const at = recordOffset(this.#records, this.header);
          await handle.write(last, 0, last.length, at);
          await handle.truncate(at + last.length);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(this.#data, target);
        this.#dirty = false;
      }
      await fsyncDir(dirname(target));
      this.#committed = { digest: actual, size };
      this.#state = 'committed';
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
    await rm(this.dir, { recursive: true, force: true });
  }

  async #recordTail(size: number, tail: Buffer): Promise<void> {
    const tmp = join(this.dir, 'tail.tmp');
    await writeFile(tmp, sealTail(this.key, size, tail), { mode: FILE_MODE });
    await rename(tmp, join(this.dir, 'tail'));
  }

  async #rollback(sink: WriteStream, records: number): Promise<void> {
    if (!sink.closed) {
      await new Promise<void>((done) => {
        sink.once('close', done);
        sink.destroy();
      });
    }
    try {
      await truncate(this.#data, recordOffset(records, this.header));
    } catch {
      this.#dirty = true;
    }
  }

  async #repair(): Promise<void> {
    if (!this.#dirty) return;
    await truncate(this.#data, recordOffset(this.#records, this.header));
    this.#dirty = false;
  }

  #assertOpen(): void {
    if (this.#state === 'closed') throw new Error('blob store is closed');
    if (this.#state !== 'open') throw new UploadNotFoundError(this.id);
  }
}

/**
 * Streams plaintext bytes `span.start`–`span.end` of a sealed file, reading and opening
 * about READ_BYTES of records at a time. A record that does not authenticate (tampering, a file cut
 * short) destroys the stream with SealedBlobCorruptError. Owns `fd` and closes it.
 */
class SealedReader extends Readable {
  readonly #fd: number;
  readonly #key: Buffer;
  readonly #header: SealedHeader;
  readonly #fileSize: number;
  /** Index of the last record of the file (the one sealed as last), when reading a committed blob. */
  readonly #lastIndex: number;
  readonly #lastRecord: number;
  #next: number;
  #skip: number;
  #remaining: number;
  #buffer: Buffer = Buffer.alloc(0);
  /** A read is in flight or its records are being pushed; a _read meanwhile only asks for more. */
  #busy = false;
  #wanted = false;

  constructor(
    fd: number,
    key: Buffer,
    header: SealedHeader,
    fileSize: number,
    size: number,
    span: { start: number; end: number },
    committed = true,
  ) {
    super({ highWaterMark: 1 << 20 });
    this.#fd = fd;
    this.#key = key;
    this.#header = header;
    this.#fileSize = fileSize;
    // An upload's `data` holds only full records; none of them is sealed as the last.
    this.#lastIndex = committed ? Math.floor(size / header.segment) : -1;
    this.#next = Math.floor(span.start / header.segment);
    this.#lastRecord = Math.floor(span.end / header.segment);
    this.#skip = span.start - this.#next * header.segment;
    this.#remaining = span.end - span.start + 1;
  }

  override _read(): void {
    if (this.#busy) {
      this.#wanted = true;
      return;
    }
    if (this.#remaining <= 0) {
      this.push(null);
      return;
    }
    this.#busy = true;
    const { segment } = this.#header;
    const count = Math.min(Math.max(1, Math.floor(READ_BYTES / segment)), this.#lastRecord - this.#next + 1);
    const offset = recordOffset(this.#next, this.#header);
    const length = Math.min(count * (segment + OVERHEAD), this.#fileSize - offset);
    // One read buffer per stream, reused: it only lives until its records are opened.
    if (this.#buffer.byteLength < length) this.#buffer = Buffer.allocUnsafe(length);
    const buf = this.#buffer;
    readFd(this.#fd, buf, 0, length, offset).then(
      (n) => {
        if (this.destroyed) return;
        try {
          if (n < length) throw new SealedBlobCorruptError('file shorter than its records');
          for (let i = 0, at = 0; i < count && this.#remaining > 0; i++) {
            const index = this.#next++;
            const recordLength = Math.min(segment + OVERHEAD, length - at);
            const pieces = openRecordPieces(this.#key, index, index === this.#lastIndex, buf.subarray(at, at + recordLength));
            at += recordLength;
            for (let piece of pieces) {
              if (this.#skip > 0) {
                const skipped = Math.min(this.#skip, piece.byteLength);
                piece = piece.subarray(skipped);
                this.#skip -= skipped;
              }
              if (piece.byteLength > this.#remaining) piece = piece.subarray(0, this.#remaining);
              if (piece.byteLength === 0) continue;
              this.#remaining -= piece.byteLength;
              this.push(piece);
            }
          }
          this.#busy = false;
          if (this.#remaining <= 0) this.push(null);
          else if (this.#wanted) {
            this.#wanted = false;
            this._read();
          }
        } catch (e) {
          this.destroy(e instanceof Error ? e : new Error(String(e)));
        }
      },
      (e: unknown) => this.destroy(e instanceof Error ? e : new Error(String(e))),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    close(this.#fd, () => callback(error));
  }
}

async function readHeader(fd: number): Promise<{ header: SealedHeader; fileSize: number }> {
  const { size: fileSize } = await fstatFd(fd);
  const fixed = Buffer.alloc(HEADER_FIXED);
  if ((await readFd(fd, fixed, 0, HEADER_FIXED, 0)) < HEADER_FIXED) throw new SealedBlobCorruptError('header truncated');
  const { segment, wrappedLength } = decodeHeaderFixed(fixed);
  const wrapped = Buffer.alloc(wrappedLength);
  if ((await readFd(fd, wrapped, 0, wrappedLength, HEADER_FIXED)) < wrappedLength) throw new SealedBlobCorruptError('header truncated');
  return { header: { segment, wrapped, length: HEADER_FIXED + wrappedLength }, fileSize };
}

/** Directory names under a store root that hold one namespace each (see sealedNamespaces). */
export async function listDirs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdirOrEmpty(dir)) {
    const s = await statOrUndefined(join(dir, name));
    if (s?.isDirectory() === true) out.push(name);
  }
  return out;
}

const readOnce = (fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> =>
  new Promise((done, fail) => {
    readCallback(fd, buf, offset, length, position, (err, n) => (err ? fail(err) : done(n)));
  });

/** Reads until `length` bytes or end of file; returns how many were read. */
async function readFd(fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  let got = 0;
  while (got < length) {
    const n = await readOnce(fd, buf, offset + got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}
