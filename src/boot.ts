/**
 * The entry of the built server (dist/main.mjs): runs the bundle dist/server.cjs, compiled from
 * V8's code cache (dist/server.cjs.cache) when one matches it, and writes that cache when none does.
 *
 * Why: parsing the 2.3 MB bundle took ~13 MiB of malloc'd parser memory at start. It was freed,
 * but what the server allocated meanwhile usually kept glibc from giving it back, so most starts
 * stayed ~10 MiB larger for the life of the process (8 starts: 82 MiB RSS in 5 of them, 72 in
 * the others). From the cache V8 rebuilds the compiled code without parsing: every start is at
 * ~72 MiB.
 *
 * Why CommonJS: Node 20 offers a code cache for scripts (vm.Script), not for ES modules. The
 * bundle is one function expression `(exports, require, module, __filename, __dirname) => …`, as
 * Node's own CommonJS loader would wrap it (scripts/build.mjs writes the wrapper around it).
 *
 * The cache depends on node's version and flags as well as on the source: V8 refuses one made
 * under other flags, and this file then writes a new one. scripts/build.mjs makes the first by
 * running `npm start` once, so that the flags are npm start's.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

type Wrapped = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;

const file = fileURLToPath(new URL('./server.cjs', import.meta.url));
const cacheFile = `${file}.cache`;
// esbuild writes ASCII (it escapes anything else), so latin1 reads it as it is, and cheaply.
const source = readFileSync(file, 'latin1');
// V8 checks a cache against the source's length only: the digest ties it to these bytes.
const digest = createHash('sha256').update(source, 'latin1').digest();
const cached = readCache();
const script = new Script(source, { filename: file, ...(cached !== undefined ? { cachedData: cached } : {}) });
if (cached === undefined || script.cachedDataRejected === true) writeCache(script.createCachedData());
const run = script.runInThisContext() as Wrapped;
const module = { exports: {} };
run(module.exports, createRequire(file), module, file, dirname(file));

function readCache(): Buffer | undefined {
  try {
    const data = readFileSync(cacheFile);
    return data.subarray(0, digest.length).equals(digest) ? data.subarray(digest.length) : undefined;
  } catch {
    return undefined;
  }
}

function writeCache(data: Buffer): void {
  const tmp = `${cacheFile}.${process.pid}`;
  try {
    writeFileSync(tmp, Buffer.concat([digest, data]));
    renameSync(tmp, cacheFile);
  } catch {
    // A read-only install starts without a cache, parsing the bundle as before.
    rmSync(tmp, { force: true });
  }
}
