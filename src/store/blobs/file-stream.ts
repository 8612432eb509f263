/**
 * Reading a blob file: a Readable for any consumer, and a faster way to send it to a Writable
 * (an HTTP response) that reads into a few large buffers used over and over.
 *
 * Why: a blob GET read 64 KiB at a time into a new buffer each time. Every buffer is garbage
 * once the socket has copied it, and V8 collects external memory only after tens of MiB of it
 * have piled up, so eight clients pulling large blobs held ~60 MiB of dead buffers and paid
 * for mapping, faulting and freeing each one. `[sendTo]` reads into two buffers per transfer,
 * taken from the store's pools (1 MiB or 512 KiB), and reuses a buffer only once the socket
 * has reported its write complete (the write callback), so nothing is copied twice and nothing
 * is allocated per chunk.
 */
import { closeSync, fdatasync, read, writevSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';

import type { ChunkHolder, ChunkReport } from './young-garbage.js';

const readFd = promisify(read);

/**
 * Large buffers of one size, kept for reuse up to `max` of them (more are left to the GC), and
 * lent up to `limit` at once when the borrower asks how many are `spare`.
 */
export class BufferPool {
  readonly #free: Buffer[] = [];
  #lent = 0;

  constructor(
    readonly size: number,
    readonly max: number,
    readonly limit = Infinity,
  ) {}

  take(): Buffer {
    this.#lent++;
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  give(buf: Buffer): void {
    this.#lent--;
    if (this.#free.length < this.max && buf.length === this.size) this.#free.push(buf);
  }

  /** A lent buffer that will not come back (a destroyed socket may still hold it). */
  lose(): void {
    this.#lent--;
  }

  /** How many more may be taken within `limit`. */
  get spare(): number {
    return this.limit - this.#lent;
  }

  /** Buffers waiting for reuse (for tests). */
  get idle(): number {
    return this.#free.length;
  }
}

/** A stream that can send itself to a Writable faster than `pipeline` would. */
export const sendTo: unique symbol = Symbol('sendTo');

export interface SendableStream extends Readable {
  /** Writes the whole stream into `dest` and ends it; rejects (and destroys `dest`) on a failure. */
  [sendTo](dest: Writable, signal?: AbortSignal): Promise<void>;
}

export function isSendable(stream: Readable): stream is SendableStream {
  return typeof (stream as Partial<SendableStream>)[sendTo] === 'function';
}

/**
 * Bytes `start`..`end` (inclusive) of the open file `fd`, which the stream owns and closes. As a
 * Readable it reads `pool.size` bytes at a time into new buffers (a consumer may keep them);
 * `[sendTo]` reads into two buffers of `larger` while it has two spare, else of `pool`.
 *
 * Why two sizes: 1 MiB reads cost the least CPU per MiB (a 256 MiB pull: ~0.4 against ~0.75 ms
 * with 256 KiB), but eight clients pulling at once held 16 MiB of them. A few large buffers go to
 * the first transfers and the others read 512 KiB at a time.
 */
export class FileRangeStream extends Readable implements SendableStream {
  #fd: number | undefined;
  #position: number;
  readonly #end: number;
  readonly #pool: BufferPool;
  readonly #larger: BufferPool | undefined;
  #sending = false;
  /** The read in flight: the fd is closed only after it (a reused fd number must not be read). */
  #io: Promise<unknown> | undefined;

  constructor(fd: number, span: { start: number; end: number }, pool: BufferPool, larger?: BufferPool) {
    super({ highWaterMark: pool.size });
    this.#fd = fd;
    this.#position = span.start;
    this.#end = span.end;
    this.#pool = pool;
    this.#larger = larger;
  }

  override _read(): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    const length = Math.min(this.#pool.size, this.#end - this.#position + 1);
    if (length <= 0) {
      this.push(null);
      return;
    }
    const buf = Buffer.allocUnsafeSlow(length);
    this.#readAt(fd, buf, length).then(
      ({ bytesRead }) => {
        if (bytesRead === 0) {
          this.destroy(new Error('blob file ended early'));
          return;
        }
        this.#position += bytesRead;
        this.push(bytesRead === length ? buf : buf.subarray(0, bytesRead));
      },
      (e: unknown) => this.destroy(e as Error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd === undefined) {
      callback(error);
      return;
    }
    const io = this.#io ?? Promise.resolve();
    io.catch(() => undefined)
      .then(() => closeSync(fd))
      .then(
      () => callback(error),
      (e: unknown) => callback(error ?? (e as Error)),
    );
  }

  #readAt(fd: number, buf: Buffer, length: number): Promise<{ bytesRead: number }> {
    const io = readFd(fd, buf, 0, length, this.#position);
    this.#io = io;
    return io;
  }

  async [sendTo](dest: Writable, signal?: AbortSignal): Promise<void> {
    const fd = this.#fd;
    if (fd === undefined || this.#sending || this.readableFlowing !== null || this.readableLength > 0) {
      throw new Error('stream already read');
    }
    this.#sending = true;
    const pool = this.#larger !== undefined && this.#larger.spare >= 2 ? this.#larger : this.#pool;
    // Two buffers: one is read into while the socket sends the other.
    const buffers = [pool.take(), pool.take()] as const;
    const writes: (Promise<void> | undefined)[] = [undefined, undefined];
    let aborted: Promise<never> | undefined;
    let onAbort: (() => void) | undefined;
    if (signal !== undefined) {
      aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
      aborted.catch(() => undefined);
    }
    const wait = <T>(p: Promise<T>): Promise<T> => (aborted === undefined ? p : Promise.race([p, aborted]));
    let failed = false;
    try {
      let i = 0;
      while (this.#position <= this.#end) {
        const buf = buffers[i]!;
        // The socket is done with this buffer before it is read into again.
        if (writes[i] !== undefined) await wait(writes[i]!);
        const length = Math.min(buf.length, this.#end - this.#position + 1);
        const { bytesRead } = await wait(this.#readAt(fd, buf, length));
        if (bytesRead === 0) throw new Error('blob file ended early');
        this.#position += bytesRead;
        const chunk = buf.subarray(0, bytesRead);
        writes[i] = new Promise<void>((resolve, reject) => {
          dest.write(chunk, (e) => (e ? reject(e) : resolve()));
        });
        writes[i]!.catch(() => undefined);
        i ^= 1;
      }
      await wait(Promise.all(writes));
      await wait(new Promise<void>((resolve, reject) => dest.end((e?: Error | null) => (e ? reject(e) : resolve()))));
    } catch (e) {
      failed = true;
      // Cut the transfer short; the error goes to the caller, not to listeners of `dest`.
      dest.destroy();
      throw e;
    } finally {
      if (signal !== undefined && onAbort !== undefined) signal.removeEventListener('abort', onAbort);
      // A buffer goes back only when its write is known to be over; one still held by a
      // destroyed socket is left to the GC.
      for (const buf of buffers) {
        if (failed) pool.lose();
        else pool.give(buf);
      }
      this.destroy();
    }
  }
}

/** `stream` into `dest` (ended after), by `[sendTo]` when the stream offers it. */
export async function sendStream(stream: Readable, dest: Writable, signal?: AbortSignal): Promise<void> {
  if (isSendable(stream)) {
    await stream[sendTo](dest, signal);
    return;
  }
  await pipeline(stream, dest);
}

/**
 * The file end of an upload: hashes each chunk as it arrives (into `digester`, a checkpoint the
 * caller adopts only once everything is written) and appends to `fd`, which it owns and closes.
 *
 * Why not a hashing Transform into fs.WriteStream: with both at 16 KiB high-water marks, every
 * 64 KiB chunk off the socket went through two stream stages and one file-system round trip of
 * its own. Here chunks are held (nothing is copied) until `batchBytes` of them have come, then
 * go to the file in one writev.
 *
 * Why the writev is synchronous: it only copies into the page cache (writeback and the fsync
 * that makes the blob durable run on libuv's threads, off the event loop), and handing it to a
 * thread cost more than the copy: a thread wake-up to start it and an event-loop wake-up to
 * finish it, for every batch. On this project's 2-core VM those wake-ups were the largest single
 * cost of a push (perf: ~29 % of the server's samples in the hypervisor's interrupt enabling),
 * and a 256 MiB push took 2.72 ms of server CPU per MiB with them, 2.24 without.
 */
export class AppendSink extends Writable implements ChunkHolder {
  readonly #fd: number;
  readonly #digester: { update(buf: Buffer): void; readonly size: number };
  readonly #maxBytes: number | undefined;
  readonly #tooLarge: () => Error;
  readonly #syncEvery: number;
  readonly #lastSyncFrom: number;
  #syncedAt: number;
  readonly #batchBytes: number;
  /** Chunks hashed (the digester's size counts them) and not yet written, and their size. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** A writeback fdatasync in flight: the fd is closed only after it. */
  #sync: Promise<void> | undefined;
  /** No more writes: the fd is closed, or is being closed after the last fdatasync (`durable`). */
  #closed = false;
  #fdClosed = false;
  /** The last fdatasync, started when the upload ends and not waited for there; why it failed. */
  #lastSync: Promise<Error | undefined> | undefined;
  readonly #received: ChunkReport | undefined;
  /** A write that failed outside a write call (`releaseChunks`, writeback), for the next one to report. */
  #failure: Error | undefined;

  constructor(
    fd: number,
    digester: { update(buf: Buffer): void; readonly size: number },
    opts: {
      maxBytes?: number;
      tooLarge: () => Error;
      syncEvery: number;
      /** Unsynced bytes at the end from which finishing starts the last fdatasync (`durable`). */
      lastSyncFrom?: number;
      batchBytes: number;
      received?: ChunkReport;
    },
  ) {
    super({ highWaterMark: opts.batchBytes, decodeStrings: true });
    this.#fd = fd;
    this.#digester = digester;
    this.#maxBytes = opts.maxBytes;
    this.#tooLarge = opts.tooLarge;
    this.#syncEvery = opts.syncEvery;
    this.#lastSyncFrom = opts.lastSyncFrom ?? Number.POSITIVE_INFINITY;
    this.#syncedAt = digester.size;
    this.#batchBytes = opts.batchBytes;
    this.#received = opts.received;
  }

  /** Whether the fd is closed (after destroy, or after finish and `durable`). */
  get fileClosed(): boolean {
    return this.#fdClosed;
  }

  /**
   * The last fdatasync, if finishing started it (with `lastSyncFrom` bytes or more unsynced):
   * settles once every byte this sink wrote is on disk, rejecting with why not. Undefined before
   * finish, or when finishing did not start one.
   */
  durable(): Promise<void> | undefined {
    return this.#lastSync?.then((error) => {
      if (error !== undefined) throw error;
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#take([chunk], callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.#take(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  #take(bufs: Buffer[], callback: (error?: Error | null) => void): void {
    if (this.#failure !== undefined) {
      callback(this.#failure);
      return;
    }
    let total = 0;
    for (const b of bufs) total += b.length;
    if (this.#maxBytes !== undefined && this.#digester.size + total > this.#maxBytes) {
      callback(this.#tooLarge());
      return;
    }
    // Before it holds anything: every upload holding chunks is asked to write them out before a
    // collection (young-garbage.ts), not only those that wrote a batch since the last one.
    if (this.#pendingBytes === 0) this.#received?.(0, this, false);
    for (const b of bufs) {
      this.#digester.update(b);
      this.#pending.push(b);
    }
    this.#pendingBytes += total;
    if (this.#pendingBytes >= this.#batchBytes) {
      try {
        this.#flush();
      } catch (e) {
        callback(e as Error);
        return;
      }
    }
    callback();
  }

  #flush(last = false): void {
    const total = this.#write();
    if (total > 0 || last) this.#received?.(total, this, last);
  }

  /** Writes the chunks held now (see young-garbage.ts); a failure goes to the next write. */
  releaseChunks(): void {
    if (this.#closed) {
      this.#pending.length = 0; // emptied, not only dropped (see #write)
      this.#pendingBytes = 0;
      return;
    }
    try {
      this.#write();
    } catch (e) {
      this.#failure ??= e as Error;
    }
  }

  /** Writes the pending chunks and lets go of them; the bytes written. */
  #write(): number {
    if (this.#pendingBytes === 0) return 0;
    const bufs = this.#pending;
    const total = this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    writevAllSync(this.#fd, bufs);
    // Emptied, not only dropped: an array that lived through two young collections is in the old
    // generation, and the young collector keeps alive whatever an old object points at, dead or
    // not, until the next full collection. Left full, it kept its written chunks alive until they
    // were promoted too (eight 256 MiB pushes: a 70 MiB malloc heap).
    bufs.length = 0;
    // Start writeback while the upload is still arriving, so commit's fsync has little left
    // to wait for (the kernel would otherwise keep the whole layer dirty until then).
    const written = this.#digester.size;
    if (written - this.#syncedAt >= this.#syncEvery && this.#sync === undefined) {
      this.#syncedAt = written;
      // A failed writeback fails the upload: the kernel reports a lost write once, to this
      // fdatasync, and commit's own fsync (on a new fd) would not hear of it again.
      this.#sync = fdatasyncFd(this.#fd).then(
        () => (this.#sync = undefined),
        (e: unknown) => {
          this.#sync = undefined;
          this.#failure ??= e as Error;
        },
      );
    }
    return total;
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#failure !== undefined) {
      callback(this.#failure);
      return;
    }
    try {
      this.#flush(true);
    } catch (e) {
      callback(e as Error);
      return;
    }
    if (this.#digester.size - this.#syncedAt < this.#lastSyncFrom) {
      this.#close().then(() => callback(), callback);
      return;
    }
    // A writeback in flight may still fail the upload. The last fdatasync does not hold up the
    // reply: a client's next request is commit, which waits for what is left of it (durable).
    // For a 4 MiB push that is the whole fdatasync, ~5 ms here, begun a round trip earlier.
    this.#closed = true;
    void Promise.resolve(this.#sync).then(() => {
      if (this.#failure !== undefined) {
        this.#closeFd();
        callback(this.#failure);
        return;
      }
      this.#lastSync = fdatasyncFd(this.#fd).then(
        () => this.#closeFd(),
        (e: unknown) => {
          this.#closeFd();
          return e as Error;
        },
      );
      callback();
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#close().then(
      () => callback(error),
      (e: unknown) => callback(error ?? (e as Error)),
    );
  }

  async #close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sync;
    const error = this.#closeFd() ?? this.#failure;
    if (error !== undefined) throw error;
  }

  /** Closes the fd once; what closing it reported, if anything. */
  #closeFd(): Error | undefined {
    if (this.#fdClosed) return undefined;
    this.#fdClosed = true;
    try {
      closeSync(this.#fd);
      return undefined;
    } catch (e) {
      return e as Error;
    }
  }
}

const fdatasyncFd = promisify(fdatasync);

function writevAllSync(fd: number, bufs: Buffer[]): void {
  let pending = bufs;
  while (pending.length > 0) {
    let written = writevSync(fd, pending);
    // A short write (rare for files): carry on with what is left.
    const rest: Buffer[] = [];
    for (const b of pending) {
      if (written >= b.length) written -= b.length;
      else {
        rest.push(b.subarray(written));
        written = 0;
      }
    }
    pending = rest;
  }
}
