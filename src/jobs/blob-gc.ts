import { performance } from 'node:perf_hooks';
import type { BlobGc } from '../images/blob-gc.js';
import { JobOptionsError, type Job } from './jobs.js';

export const BLOB_GC_JOB = 'blob-gc';

/**
 * `blob-gc`: one sweep of the blob store. Options (the admin request body): `graceSeconds`, a
 * non-negative number replacing the configured grace period for this run (tests pass 0).
 * Answers `{blobsDeleted, bytesFreed, blobsKept, ms}`.
 */
export function blobGcJob(gc: BlobGc, opts: { intervalMs: number; graceMs: number }): Job {
  return {
    name: BLOB_GC_JOB,
    intervalMs: opts.intervalMs,
    async run(options) {
      const graceMs = graceOption(options) ?? opts.graceMs;
      const started = performance.now();
      const result = await gc.sweep({ graceMs });
      return { ...result, ms: Math.round(performance.now() - started) };
    },
  };
}

function graceOption(options: Readonly<Record<string, unknown>>): number | undefined {
  for (const name of Object.keys(options)) {
    if (name !== 'graceSeconds') throw new JobOptionsError(`unknown option '${name}' (blob-gc takes graceSeconds)`);
  }
  const grace = options.graceSeconds;
  if (grace === undefined) return undefined;
  if (typeof grace !== 'number' || !Number.isFinite(grace) || grace < 0) {
    throw new JobOptionsError('graceSeconds must be a non-negative number');
  }
  return grace * 1000;
}
