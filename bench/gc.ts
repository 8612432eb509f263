/**
 * Blob garbage collection on the filesystem store (SIMFRA_DATA_DIR), simfra as its own process:
 *   1. 1,000 images pushed over the registry API (docker's order: HEAD each blob, upload the
 *      missing ones, PUT the manifest) into 4 repositories. Layers are shared: one of 4 base
 *      layers (256 KiB), one of 25 middle layers (64 KiB), then a layer and a config of its own.
 *   2. 900 of them deleted with BatchDeleteImage, 100 kept; one sweep (graceSeconds 0). Disk use
 *      of ecr/blobs before and after, beside what the 100 remaining images need; the 100 are
 *      then pulled and checked byte for byte.
 *   3. 10,000 unreferenced blobs (500 pushed without a manifest, the rest written into ecr/blobs
 *      as a crash would leave them), swept with nothing else going on; then 10,000 more swept
 *      while a client keeps pushing small images: the push latency during the sweep beside the
 *      one before it.
 *
 *   node --import tsx bench/gc.ts [--images 1000] [--keep 100] [--garbage 10000]
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJob } from '../test/support/admin.js';
import { JsonClient, percentile, startSimfra, table } from './support.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? Number(process.argv[i + 1]) : NaN) || fallback;
};
const IMAGES = arg('images', 1000);
const KEEP = arg('keep', 100);
const GARBAGE = arg('garbage', 10_000);
const REPOS = ['gc/a', 'gc/b', 'gc/c', 'gc/d'];
const TARGET = 'AmazonEC2ContainerRegistry_V20150921';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const KiB = 1024;

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const agent = new Agent({ keepAlive: true, maxSockets: 32 });

interface Image {
  repo: string;
  tag: string;
  manifest: Buffer;
  digest: string;
  blobs: Buffer[];
}

function http(port: number, auth: string, method: string, path: string, body?: Buffer, headers: Record<string, string | number> = {}) {
  return new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: { authorization: auth, ...headers, ...(body !== undefined ? { 'content-length': body.length } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function makeImage(repo: string, n: number, bases: Buffer[], middles: Buffer[], configs: Buffer[]): Image {
  const own = randomBytes(16 * KiB);
  const config = configs[n % configs.length]!;
  const layers = [bases[n % bases.length]!, middles[n % middles.length]!, own];
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(l), size: l.length })),
    }),
  );
  return { repo, tag: `v${n}`, manifest, digest: sha256(manifest), blobs: [config, ...layers] };
}

/** docker's order: HEAD every blob, upload those missing, then PUT the manifest. */
async function pushImage(port: number, auth: string, image: Image): Promise<void> {
  for (const blob of image.blobs) {
    const d = sha256(blob);
    if ((await http(port, auth, 'HEAD', `/v2/${image.repo}/blobs/${d}`)).status === 200) continue;
    const res = await http(port, auth, 'POST', `/v2/${image.repo}/blobs/uploads/?digest=${d}`, blob, { 'content-type': 'application/octet-stream' });
    if (res.status !== 201) throw new Error(`blob ${d}: ${res.status} ${res.body.toString()}`);
  }
  const res = await http(port, auth, 'PUT', `/v2/${image.repo}/manifests/${image.tag}`, image.manifest, { 'content-type': OCI_MANIFEST });
  if (res.status !== 201) throw new Error(`manifest ${image.repo}:${image.tag}: ${res.status} ${res.body.toString()}`);
}

async function inParallel<T>(items: readonly T[], workers: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: workers }, async () => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i]!);
  }));
}

/** Files and bytes (apparent size) under ecr/blobs. */
async function diskUse(dataDir: string): Promise<{ files: number; bytes: number }> {
  const root = join(dataDir, 'ecr', 'blobs', 'sha256');
  let files = 0;
  let bytes = 0;
  for (const prefix of await readdir(root).catch(() => [])) {
    for (const name of await readdir(join(root, prefix))) {
      files++;
      bytes += (await stat(join(root, prefix, name))).size;
    }
  }
  return { files, bytes };
}

function needed(images: readonly Image[]): { files: number; bytes: number } {
  const distinct = new Map<string, number>();
  for (const i of images) for (const b of i.blobs) distinct.set(sha256(b), b.length);
  return { files: distinct.size, bytes: [...distinct.values()].reduce((a, b) => a + b, 0) };
}

const mib = (bytes: number): string => (bytes / (1 << 20)).toFixed(2);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'simfra-bench-gc-'));
  const target = await startSimfra({ SIMFRA_DATA_DIR: dataDir, SIMFRA_BLOB_GC_INTERVAL_SECONDS: '0' });
  const ecr = new JsonClient(target.url, 'ecr');
  const port = Number(new URL(target.url).port);
  const api = async (op: string, body: unknown): Promise<Record<string, unknown>> => {
    const res = await ecr.call(`${TARGET}.${op}`, JSON.stringify(body));
    if (res.status !== 200) throw new Error(`${op}: ${res.status} ${res.body.slice(0, 300)}`);
    return JSON.parse(res.body) as Record<string, unknown>;
  };
  try {
    for (const repositoryName of REPOS) await api('CreateRepository', { repositoryName });
    const token = (await api('GetAuthorizationToken', {})) as { authorizationData: { authorizationToken: string }[] };
    const auth = `Basic ${token.authorizationData[0]!.authorizationToken}`;

    // 1. Push IMAGES images with shared layers.
    const bases = Array.from({ length: 4 }, () => randomBytes(256 * KiB));
    const middles = Array.from({ length: 25 }, () => randomBytes(64 * KiB));
    const configs = middles.map((_, n) => Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', n, rootfs: { type: 'layers', diff_ids: [] } })));
    const images = Array.from({ length: IMAGES }, (_, n) => makeImage(REPOS[n % REPOS.length]!, n, bases, middles, configs));
    let t0 = performance.now();
    await inParallel(images, 8, (image) => pushImage(port, auth, image));
    const pushSeconds = (performance.now() - t0) / 1000;
    const afterPush = await diskUse(dataDir);

    // 2. Delete all but KEEP of them, then sweep.
    const kept = images.filter((_, n) => n % Math.round(IMAGES / KEEP) === 0).slice(0, KEEP);
    const keptSet = new Set(kept);
    const doomed = images.filter((i) => !keptSet.has(i));
    t0 = performance.now();
    for (const repositoryName of REPOS) {
      const ids = doomed.filter((i) => i.repo === repositoryName).map((i) => ({ imageDigest: i.digest }));
      for (let i = 0; i < ids.length; i += 100) await api('BatchDeleteImage', { repositoryName, imageIds: ids.slice(i, i + 100) });
    }
    const deleteSeconds = (performance.now() - t0) / 1000;
    const afterDelete = await diskUse(dataDir);
    const sweep = await runJob(target.url, 'blob-gc', { graceSeconds: 0 });
    const afterSweep = await diskUse(dataDir);
    const need = needed(kept);
    let intact = 0;
    await inParallel(kept, 8, async (image) => {
      const m = await http(port, auth, 'GET', `/v2/${image.repo}/manifests/${image.digest}`, undefined, { accept: OCI_MANIFEST });
      let ok = m.status === 200 && m.body.equals(image.manifest);
      for (const blob of image.blobs) ok &&= (await http(port, auth, 'GET', `/v2/${image.repo}/blobs/${sha256(blob)}`)).body.equals(blob);
      if (ok) intact++;
    });

    console.log(`${IMAGES} images pushed in ${pushSeconds.toFixed(1)} s (${Math.round(IMAGES / pushSeconds)} images/s, 8 clients); ` +
      `${doomed.length} deleted in ${deleteSeconds.toFixed(1)} s; sweep: ${JSON.stringify(sweep)}\n`);
    console.log(table([
      { state: `after pushing ${IMAGES} images`, 'blob files': afterPush.files, MiB: mib(afterPush.bytes) },
      { state: `after deleting ${doomed.length} (before the sweep)`, 'blob files': afterDelete.files, MiB: mib(afterDelete.bytes) },
      { state: 'after the sweep', 'blob files': afterSweep.files, MiB: mib(afterSweep.bytes) },
      { state: `what the ${kept.length} remaining images need`, 'blob files': need.files, MiB: mib(need.bytes) },
    ]));
    console.log(`\nremaining images pulled byte for byte: ${intact}/${kept.length}\n`);

    // 3. GARBAGE unreferenced blobs, swept while pushes go on. Pushing each would cost four
    // SQLite commits (session, blob record, link, session end): minutes at this machine's fsync
    // latency, so most are written straight into ecr/blobs, as bytes a crash left without a
    // record; the sweep records them and (graceSeconds 0) deletes them with the pushed ones.
    const pushedGarbage = Math.min(GARBAGE, 500);
    t0 = performance.now();
    await inParallel(Array.from({ length: pushedGarbage }, () => randomBytes(1 * KiB)), 8, async (blob) => {
      const res = await http(port, auth, 'POST', `/v2/gc/a/blobs/uploads/?digest=${sha256(blob)}`, blob, { 'content-type': 'application/octet-stream' });
      if (res.status !== 201) throw new Error(`garbage blob: ${res.status}`);
    });
    const writeGarbage = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const blob = randomBytes(1 * KiB);
        const hex = sha256(blob).slice('sha256:'.length);
        const dir = join(dataDir, 'ecr', 'blobs', 'sha256', hex.slice(0, 2));
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, hex), blob);
      }
    };
    await writeGarbage(GARBAGE - pushedGarbage);
    const garbageSeconds = (performance.now() - t0) / 1000;
    const alone = await runJob(target.url, 'blob-gc', { graceSeconds: 0 });
    console.log(`${GARBAGE} unreferenced blobs of 1 KiB (${pushedGarbage} pushed, the rest written as files) in ${garbageSeconds.toFixed(1)} s; ` +
      `sweep with nothing else running: ${JSON.stringify(alone)} (${Math.round((Number(alone.blobsDeleted) / Number(alone.ms)) * 1000)} blobs/s)\n`);
    await writeGarbage(GARBAGE);
    let probe = IMAGES;
    const pushLatency = async (until: () => boolean): Promise<number[]> => {
      const ms: number[] = [];
      while (!until()) {
        const image = makeImage('gc/b', probe++, bases, middles, configs);
        const s = performance.now();
        await pushImage(port, auth, image);
        ms.push(performance.now() - s);
      }
      return ms.sort((a, b) => a - b);
    };
    const quietEnd = performance.now() + 3000;
    const quiet = await pushLatency(() => performance.now() > quietEnd);
    let sweeping = true;
    const during = pushLatency(() => !sweeping);
    t0 = performance.now();
    const big = await runJob(target.url, 'blob-gc', { graceSeconds: 0 });
    const sweepMs = performance.now() - t0;
    sweeping = false;
    const duringMs = await during;
    console.log(`another ${GARBAGE} (files), swept while one client pushes images: ${JSON.stringify(big)} ` +
      `(${Math.round(sweepMs)} ms as the client saw it, ${Math.round((Number(big.blobsDeleted) / Number(big.ms)) * 1000)} blobs/s)\n`);
    console.log(table([
      { 'image push (HEAD×4, config+layer upload, manifest PUT), 1 client': 'before the sweep', pushes: quiet.length, 'p50 ms': percentile(quiet, 50), 'p99 ms': percentile(quiet, 99), 'max ms': quiet.at(-1)?.toFixed(1) ?? '' },
      { 'image push (HEAD×4, config+layer upload, manifest PUT), 1 client': 'during the sweep', pushes: duringMs.length, 'p50 ms': percentile(duringMs, 50), 'p99 ms': percentile(duringMs, 99), 'max ms': duringMs.at(-1)?.toFixed(1) ?? '' },
    ]));
  } finally {
    ecr.close();
    agent.destroy();
    await target.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
