/**
 * Frees the request-body buffers of blob uploads as they die, not tens of MiB later.
 *
 * Why: Node hands every chunk of a request body to JavaScript in a buffer of its own (up to
 * 64 KiB, allocated outside V8's heap). An upload hashes and writes a chunk and drops it at
 * once, but V8 frees such a buffer only when a collection visits it: the young generation is
 * collected when its JS objects fill it, which a byte stream does slowly (a few hundred bytes of
 * objects per 64 KiB chunk), and the whole heap when external memory has grown by ~64 MiB. So
 * the process held ~40 MiB of dead chunks after a few pushes (its malloc heap at 41 MiB against
 * 4 MiB at start, bench/registry-cpu.ts BENCH_SMAPS=1). A young-generation collection after
 * every `everyBytes` of uploaded data frees them, and costs little: almost nothing in it survives.
 *
 * V8's `gc` is reached the way `--expose-gc` would give it, by turning that flag on and reading
 * `gc` from a fresh context; where that fails, nothing is collected early and nothing breaks.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options: { type: 'minor'; execution: 'sync' }) => void;

export class YoungGarbage {
  #since = 0;
  /** The uploads that took data in since the last collection. */
  readonly #senders = new Set<object>();

  constructor(
    private readonly gc: Gc | undefined,
    readonly everyBytes: number,
    readonly perUploadBytes = 0,
  ) {}

  /** With V8's own collector, when the runtime lets us have it. */
  static fromRuntime(everyBytes: number, perUploadBytes = 0): YoungGarbage {
    return new YoungGarbage(exposedGc(), everyBytes, perUploadBytes);
  }

  /**
   * `bytes` more of upload data have been taken in (and, mostly, dropped) by the upload `from`.
   * With several uploads at once the collection also waits for `perUploadBytes` from each (on
   * average): a chunk lives until its upload's write is over, and one that lives through two
   * collections is moved to the old generation, to be freed only by a full collection (~64 MiB
   * of external memory later). So the gap between collections must be longer than a chunk's
   * life, which is the time its upload takes to receive about twice its write batch.
   */
  received(bytes: number, from: object): void {
    this.#since += bytes;
    this.#senders.add(from);
    if (this.#since < Math.max(this.everyBytes, this.perUploadBytes * this.#senders.size)) return;
    this.#since = 0;
    this.#senders.clear();
    this.gc?.({ type: 'minor', execution: 'sync' });
  }
}

function exposedGc(): Gc | undefined {
  try {
    const existing: unknown = (globalThis as { gc?: unknown }).gc;
    if (typeof existing === 'function') return existing as Gc;
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as Gc) : undefined;
  } catch {
    return undefined;
  }
}
