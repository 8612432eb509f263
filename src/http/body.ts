import type { IncomingMessage } from 'node:http';

/** Shared by the HTTP fronts (AWS protocols, registry, admin): reading small request bodies. */
export class BodyTooLargeError extends Error {}

/** Reading the body would take the bytes held across all requests over their budget. */
export class BodyBudgetExceededError extends Error {}

/**
 * A bound on the request-body bytes held in memory across all requests at once. Each request
 * takes a lease, grows it as it reads and releases it when it is done with the body, so many
 * concurrent large bodies are refused (throttled) instead of being buffered.
 */
export class ByteBudget {
  #used = 0;

  constructor(readonly limit: number) {}

  /** Bytes held now. */
  get used(): number {
    return this.#used;
  }

  lease(): BudgetLease {
    let held = 0;
    return {
      take: (n: number) => {
        if (this.#used + n > this.limit) throw new BodyBudgetExceededError();
        this.#used += n;
        held += n;
      },
      release: () => {
        this.#used -= held;
        held = 0;
      },
    };
  }
}

/** One request's share of a ByteBudget. */
export interface BudgetLease {
  /** Throws BodyBudgetExceededError when the budget has no `n` bytes left. */
  take(n: number): void;
  /** Gives back everything taken; idempotent. */
  release(): void;
}

/** Content-Length as a number, or undefined when absent or not a non-negative integer. */
export function contentLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Reads a small body (an API call, a manifest) whole, refusing more than `limit` bytes before
 * reading when Content-Length says so, and while reading otherwise. With a lease, the bytes are
 * taken from its budget first: all of a declared length up front, else chunk by chunk. Never
 * used for blobs. On a throw the rest of the body is left unread: the caller closes the
 * connection with its answer.
 */
export function readCapped(req: IncomingMessage, limit: number, lease?: BudgetLease): Promise<Buffer> {
  const declared = contentLength(req);
  if (declared !== undefined && declared > limit) return Promise.reject(new BodyTooLargeError());
  try {
    if (declared !== undefined) lease?.take(declared);
  } catch (e) {
    return Promise.reject(e);
  }
  // Events, not `for await`: leaving an async iterator early destroys the request, and with it
  // the socket the answer must still go out on.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err: unknown, body?: Buffer) => {
      req.off('data', onData).off('end', onEnd).off('error', finish).off('close', onClose);
      if (err !== undefined) {
        req.pause();
        reject(err);
      } else {
        resolve(body!);
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) return finish(new BodyTooLargeError());
      try {
        if (declared === undefined) lease?.take(chunk.byteLength);
      } catch (e) {
        return finish(e);
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(undefined, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    const onClose = () => {
      if (!req.complete) finish(new Error('the client closed the connection before sending the whole body'));
    };
    req.on('data', onData).on('end', onEnd).on('error', finish).on('close', onClose);
  });
}
