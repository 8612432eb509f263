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
 * Why the uploads write out what they hold first: a chunk still queued for its upload's next
 * write when one collection runs, and still queued at the next, is moved to the old generation
 * and freed only by a full collection. Eight 256 MiB pushes at once, some of them starved by
 * the others, promoted a few chunks at every collection: the malloc heap rose to 50–70 MiB and
 * V8 ran a full collection every ~200 ms to bring it down. So every upload that holds chunks
 * (it says so when it takes its first) writes them out before the collection, and empties the
 * array that held them (file-stream.ts says why emptying matters); then almost no chunk lives
 * through one.
 *
 * V8's `gc` is reached the way `--expose-gc` would give it, by turning that flag on and reading
 * `gc` from a fresh context; where that fails, nothing is collected early and nothing breaks.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options: { type: 'minor'; execution: 'sync' }) => void;

/** An upload holding chunks it has received and not yet written, able to write them now. */
export interface ChunkHolder {
  releaseChunks(): void;
}

/** How an upload reports to the collector: `YoungGarbage.received`'s shape. */
export type ChunkReport = (bytes: number, from: ChunkHolder, last: boolean) => void;

export class YoungGarbage {
  #since = 0;
  /** The uploads that took data in since the last collection: the only ones holding chunks. */
  readonly #holders = new Set<ChunkHolder>();

  constructor(
    private readonly gc: Gc | undefined,
    readonly everyBytes: number,
  ) {}

  /** With V8's own collector, when the runtime lets us have it. */
  static fromRuntime(everyBytes: number): YoungGarbage {
    return new YoungGarbage(exposedGc(), everyBytes);
  }

  /**
   * The upload `from` has written `bytes` more of upload data and dropped them, or (0 bytes) has
   * taken chunks in that it has not written yet. After its `last` write it holds nothing, and
   * the collection waits for the next write of any upload: run right after an upload's end, it
   * freed all that upload's chunks at once, at the top of the malloc heap, where glibc gave them
   * back and the next upload faulted them in again (see app.ts); run during an upload, the freed
   * chunks lie below that upload's live ones and are reused.
   */
  received(bytes: number, from: ChunkHolder, last = false): void {
    this.#since += bytes;
    if (last) {
      this.#holders.delete(from);
      return;
    }
    this.#holders.add(from);
    if (this.#since < this.everyBytes) return;
    this.#since = 0;
    for (const holder of this.#holders) holder.releaseChunks();
    this.#holders.clear();
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
