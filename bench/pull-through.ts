/**
 * Pull-through cache (issue 14), simfra as its own process on the filesystem store
 * (SIMFRA_DATA_DIR), a local docker-registry (Debian's, filesystem storage) as the upstream
 * through SIMFRA_ECR_UPSTREAM_QUAY. A 256 MiB image (one 256 MiB layer, generated) is pushed to
 * the upstream once. Measured, each a whole pull (manifest GET, then every blob GET, hashed and
 * checked, bytes discarded):
 * - a direct pull from the upstream;
 * - a cold pull through simfra (a new rule prefix each run, so the cache is empty): simfra
 *   fetches the manifest and blobs from the upstream, stores and verifies them, then serves them;
 * - a warm pull of the same image from the cache;
 * - a plain simfra pull of the same image pushed straight into a simfra repository.
 *
 *   node --import tsx bench/pull-through.ts [--runs 2] [--mib 256]
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { dockerRegistryUnavailable, startUpstreamRegistry } from '../test/support/docker-registry.js';
import { JsonClient, startSimfra, table } from './support.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? Number(process.argv[i + 1]) : NaN) || fallback;
};
const RUNS = arg('runs', 2);
const MIB = arg('mib', 256);
const TARGET = 'AmazonEC2ContainerRegistry_V20150921';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** A GET whose body is hashed and dropped as it arrives; resolves with status, digest and size. */
function get(port: number, auth: string | undefined, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; digest: string; size: number; body: Buffer }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'GET', path, agent, headers: { ...(auth ? { authorization: auth } : {}), ...headers } }, (res) => {
      const hash = createHash('sha256');
      let size = 0;
      const small: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        hash.update(c);
        size += c.length;
        if (size <= 1 << 20) small.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, digest: `sha256:${hash.digest('hex')}`, size, body: Buffer.concat(small) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A whole pull of `name:tag`; checks every digest. */
async function pull(port: number, auth: string | undefined, name: string, tag: string): Promise<void> {
  const m = await get(port, auth, `/v2/${name}/manifests/${tag}`, { accept: OCI_MANIFEST });
  if (m.status !== 200) throw new Error(`manifest ${name}:${tag}: ${m.status} ${m.body.toString()}`);
  const manifest = JSON.parse(m.body.toString()) as { config: { digest: string }; layers: { digest: string }[] };
  for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
    const b = await get(port, auth, `/v2/${name}/blobs/${d}`);
    if (b.status !== 200 || b.digest !== d) throw new Error(`blob ${d}: ${b.status}`);
  }
}

async function call(client: JsonClient, op: string, input: unknown): Promise<Record<string, unknown>> {
  const res = await client.call(`${TARGET}.${op}`, JSON.stringify(input));
  if (res.status !== 200) throw new Error(`${op}: ${res.status} ${res.body}`);
  return JSON.parse(res.body) as Record<string, unknown>;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const unavailable = dockerRegistryUnavailable();
  if (unavailable) {
    console.log(`skipped: ${unavailable}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'simfra-bench-ptc-'));
  const upstream = await startUpstreamRegistry();
  const simfra = await startSimfra({ SIMFRA_DATA_DIR: join(dir, 'data'), SIMFRA_ECR_UPSTREAM_QUAY: upstream.url });
  const port = Number(new URL(simfra.url).port);
  const ecr = new JsonClient(simfra.url, 'ecr');
  try {
    const peak = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${simfra.child.pid}/status`, 'utf8'))?.[1] ?? 0) >> 10;
    const token = (await call(ecr, 'GetAuthorizationToken', {})) as { authorizationData: { authorizationToken: string }[] };
    const auth = `Basic ${token.authorizationData[0]!.authorizationToken}`;

    // The image, upstream and (for the plain pull) in simfra.
    const layer = randomBytes(MIB << 20);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
      }),
    );
    await upstream.pushBlobStream('bench/big', sha256(config), config.length, () => Readable.from([config]));
    await upstream.pushBlobStream('bench/big', sha256(layer), layer.length, () => Readable.from([layer]));
    await upstream.pushManifest('bench/big', 'v1', manifest, OCI_MANIFEST);
    await call(ecr, 'CreateRepository', { repositoryName: 'plain/big' });
    for (const blob of [config, layer]) {
      const r = await new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, method: 'POST', path: `/v2/plain/big/blobs/uploads/?digest=${sha256(blob)}`, agent, headers: { authorization: auth, 'content-length': blob.length } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(blob);
      });
      if (r !== 201) throw new Error(`push to simfra: ${r}`);
    }
    const put = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, method: 'PUT', path: '/v2/plain/big/manifests/v1', agent, headers: { authorization: auth, 'content-type': OCI_MANIFEST, 'content-length': manifest.length } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(manifest);
    });
    if (put !== 201) throw new Error(`manifest push to simfra: ${put}`);

    const peakBefore = peak();
    const direct: number[] = [];
    const cold: number[] = [];
    const warm: number[] = [];
    const plain: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      await call(ecr, 'CreatePullThroughCacheRule', { ecrRepositoryPrefix: `c${run}`, upstreamRegistryUrl: 'quay.io' });
      let t = performance.now();
      await pull(upstream.port, undefined, 'bench/big', 'v1');
      direct.push(performance.now() - t);
      t = performance.now();
      await pull(port, auth, `c${run}/bench/big`, 'v1');
      cold.push(performance.now() - t);
      t = performance.now();
      await pull(port, auth, `c${run}/bench/big`, 'v1');
      warm.push(performance.now() - t);
      t = performance.now();
      await pull(port, auth, 'plain/big', 'v1');
      plain.push(performance.now() - t);
    }
    const mibps = (ms: number) => ((MIB / ms) * 1000).toFixed(0);
    console.log(
      table([
        { measure: `direct pull from the upstream (docker-registry), ${MIB} MiB`, 'median ms': median(direct).toFixed(0), 'MiB/s': mibps(median(direct)), runs: RUNS },
        { measure: 'cold pull through simfra (fetch, verify, store, serve)', 'median ms': median(cold).toFixed(0), 'MiB/s': mibps(median(cold)), runs: RUNS },
        { measure: 'warm pull from the cache', 'median ms': median(warm).toFixed(0), 'MiB/s': mibps(median(warm)), runs: RUNS },
        { measure: 'plain simfra pull of the same image', 'median ms': median(plain).toFixed(0), 'MiB/s': mibps(median(plain)), runs: RUNS },
      ]),
    );
    console.log(`\ncold / direct: ${(median(cold) / median(direct)).toFixed(2)}×; warm / plain: ${(median(warm) / median(plain)).toFixed(2)}×`);
    // Blobs stream through simfra: its peak memory stays far below the image's size.
    console.log(`simfra's peak resident memory: ${peakBefore} MiB after the direct push into simfra, ${peak()} MiB after the pulls (image: ${MIB} MiB)`);
  } finally {
    ecr.close();
    agent.destroy();
    await simfra.stop();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
