/**
 * The blob storage seam: content-addressed bytes and resumable upload sessions that hash while
 * they write. `memory.ts` and `fs.ts` implement it today; `contract.ts` holds every
 * implementation to the same behaviour. It knows nothing of repositories or HTTP: which
 * repository may see a blob is recorded in the metadata store.
 */
import { Readable } from 'node:stream';

import type { Digest } from '../../oci/digest.js';

export interface BlobInfo {
  digest: Digest;
  size: number;
}

/** Bytes `start` to `end` inclusive, as in an HTTP Range header; `end` defaults to the last byte. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface ReadOptions {
  /** An `end` past the last byte is clamped; a `start` past it throws `InvalidRangeError`. */
  range?: ByteRange;
  /** Aborting destroys the returned stream (with an AbortError). */
  signal?: AbortSignal;
}

export interface AppendOptions {
  /** Aborting stops the append and rolls it back; the promise rejects with an AbortError. */
  signal?: AbortSignal;
  /**
   * The most bytes the whole session may hold after this append. Exceeding it rejects with
   * `UploadTooLargeError` and rolls the append back. For a per-request limit pass
   * `upload.size + limit`.
   */
  maxBytes?: number;
}

export interface BlobStore {
  /** Size of a committed blob, or `undefined` when there is none. */
  stat(digest: Digest): Promise<BlobInfo | undefined>;
  /** A stream of a committed blob (or a range of it). Throws `BlobNotFoundError`, `InvalidRangeError`. */
  read(digest: Digest, opts?: ReadOptions): Promise<Readable>;
  startUpload(): Promise<Upload>;
  /**
   * The session with this id, or `undefined` when it does not exist (never started, committed,
   * cancelled, purged, or not a valid id). Sessions outlive a restart in stores that persist.
   * Opening an open session returns the same object.
   */
  openUpload(id: string): Promise<Upload | undefined>;
  /** Removes a committed blob; a no-op when it is absent. Streams already open keep reading. */
  delete(digest: Digest): Promise<void>;
  /** Every committed blob, in no particular order (for garbage collection). */
  list(): AsyncIterable<BlobInfo>;
  /** Cancels the sessions started before `olderThan`; returns how many. */
  purgeUploads(olderThan: Date): Promise<number>;
  /** Aborts appends in flight and releases resources; the store is unusable afterwards. */
  close(): Promise<void>;
}

/**
 * A resumable upload. Operations on one session run one at a time, in call order. An append
 * is all or nothing: when it fails (abort, a broken body, `maxBytes`) the session goes back to
 * the size and digest it had before, so a client can retry from `size`.
 */
export interface Upload {
  readonly id: string;
  /** Bytes received and kept so far. */
  readonly size: number;
  readonly startedAt: Date;
  /**
   * Streams `body` into storage while hashing it; returns the new size. The store borrows
   * `body`: when the append fails for a reason of its own (abort, `maxBytes`, disk) the body is
   * left paused, not destroyed, so an HTTP handler can still answer on its socket.
   */
  append(body: Readable, opts?: AppendOptions): Promise<number>;
  /** The digest of the bytes kept so far (ECR's chunked uploads report it). */
  digest(): Digest;
  /**
   * Verifies the content against `expected` and makes it a blob, durably, before resolving.
   * Calling it again after success returns the same result. A mismatch throws
   * `DigestMismatchError` and cancels the session.
   */
  commit(expected: Digest): Promise<BlobInfo>;
  /** Discards the session and its bytes. Idempotent; safe in `finally`; a no-op after commit. */
  cancel(): Promise<void>;
}

export class BlobNotFoundError extends Error {
  constructor(readonly digest: Digest) {
    super(`blob ${digest} not found`);
    this.name = 'BlobNotFoundError';
  }
}

export class DigestMismatchError extends Error {
  constructor(
    readonly expected: Digest,
    readonly actual: Digest,
  ) {
    super(`digest mismatch: expected ${expected}, content is ${actual}`);
    this.name = 'DigestMismatchError';
  }
}

/** The session does not exist any more (cancelled, committed elsewhere, purged, closed). */
export class UploadNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`upload ${id} not found`);
    this.name = 'UploadNotFoundError';
  }
}

export class UploadTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`upload exceeds ${maxBytes} bytes`);
    this.name = 'UploadTooLargeError';
  }
}

/** A range that starts past the end of the blob, or ends before it starts (HTTP 416). */
export class InvalidRangeError extends Error {
  constructor(
    readonly range: ByteRange,
    readonly size: number,
  ) {
    super(`range ${range.start}-${range.end ?? ''} not satisfiable for a blob of ${size} bytes`);
    this.name = 'InvalidRangeError';
  }
}

/**
 * The inclusive byte span a range selects from a blob of `size` bytes (`end` clamped to the
 * last byte). Throws `InvalidRangeError` when it selects nothing.
 */
export function resolveRange(range: ByteRange | undefined, size: number): { start: number; end: number } | undefined {
  if (range === undefined) return undefined;
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0 || start >= size) throw new InvalidRangeError(range, size);
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) throw new InvalidRangeError(range, size);
  return { start, end: Math.min(end ?? size - 1, size - 1) };
}

// ——— Helpers shared by the implementations ———

/** A chunk from a byte stream as a Buffer (a stream in string mode gives strings). */
export function chunkToBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`blob streams carry bytes, not ${typeof chunk}`);
}

/**
 * `fn` over `items` with at most `limit` calls in flight; results in input order. Background
 * work (garbage collection) uses it to leave libuv's four file-system threads to requests.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Runs tasks one at a time in call order; a failing task does not stop the ones after it. */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every task queued so far has settled. */
  idle(): Promise<void> {
    return this.#tail.then(() => undefined);
  }
}

/**
 * An AbortController that also aborts when `outer` does, so one append can be stopped by its
 * caller (client gone) or by the store (cancel, close). `dispose` detaches from `outer`.
 */
export function linkedAbort(outer: AbortSignal | undefined): { controller: AbortController; dispose(): void } {
  const controller = new AbortController();
  if (outer === undefined) return { controller, dispose: () => undefined };
  const onAbort = (): void => controller.abort(outer.reason);
  if (outer.aborted) onAbort();
  else outer.addEventListener('abort', onAbort, { once: true });
  return { controller, dispose: () => outer.removeEventListener('abort', onAbort) };
}

/**
 * A readable view of `body` that can be torn down without destroying `body`: `pipeline`
 * destroys every stream it was given when it fails, and destroying an http.IncomingMessage
 * destroys its socket, so the registry could no longer answer 413 or 500. Destroying the view
 * only detaches it and pauses `body`; an error or early close of `body` still fails the view.
 */
export function borrowStream(body: Readable): Readable {
  let ended = false;
  const detach = (): void => {
    body.off('data', onData);
    body.off('end', onEnd);
    body.off('error', onError);
    body.off('close', onClose);
  };
  const view = new Readable({
    read() {
      body.resume();
    },
    destroy(error, callback) {
      detach();
      if (!ended) body.pause();
      callback(error);
    },
  });
  const onData = (chunk: unknown): void => {
    if (!view.push(chunkToBuffer(chunk))) body.pause();
  };
  const onEnd = (): void => {
    ended = true;
    detach();
    view.push(null);
  };
  const onError = (error: Error): void => {
    detach();
    view.destroy(error);
  };
  const onClose = (): void => {
    if (!ended) view.destroy(prematureClose());
  };
  if (body.readableEnded) {
    ended = true;
    view.push(null);
  } else if (body.destroyed) {
    view.destroy(body.errored ?? prematureClose());
  } else {
    body.pause();
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onError);
    body.on('close', onClose);
  }
  return view;
}

function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}
