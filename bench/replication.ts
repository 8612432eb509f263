/**
 * ECR replication lag (issue 13 item 6), simfra as its own process on the filesystem store
 * (SIMFRA_DATA_DIR): a 256 MiB image (one 256 MiB layer) pushed over the registry API into a
 * repository that a replication rule copies to us-west-2 of the same account; the lag is the time
 * from the manifest PUT's answer to DescribeImageReplicationStatus answering COMPLETE (polled
 * every 2 ms, no admin call: the push itself kicks the copy). Then the replica is pulled from the
 * us-west-2 registry host and its digest checked. Beside it: a plain copy of the same 256 MiB
 * file on this machine (fs.copyFile into the same temp dir), the aim being within 2× of it.
 * The same again from a KMS-encrypted repository (blobs sealed under its key) into an AES256 one:
 * there the copy moves the bytes (read and unsealed under the source key, written plain).
 *
 *   node --import tsx bench/replication.ts [--runs 3] [--mib 256]
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { copyFile, unlink, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonClient, startSimfra, table } from './support.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? Number(process.argv[i + 1]) : NaN) || fallback;
};
const RUNS = arg('runs', 3);
const MIB = arg('mib', 256);
const TARGET = 'AmazonEC2ContainerRegistry_V20150921';
const ACCOUNT = '000000000000';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

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

async function call(client: JsonClient, op: string, input: unknown): Promise<Record<string, unknown>> {
  const res = await client.call(`${TARGET}.${op}`, JSON.stringify(input));
  if (res.status !== 200) throw new Error(`${op}: ${res.status} ${res.body}`);
  return JSON.parse(res.body) as Record<string, unknown>;
}

async function auth(client: JsonClient): Promise<string> {
  const token = (await call(client, 'GetAuthorizationToken', {})) as { authorizationData: { authorizationToken: string }[] };
  return `Basic ${token.authorizationData[0]!.authorizationToken}`;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'simfra-bench-repl-'));
  const simfra = await startSimfra({ SIMFRA_DATA_DIR: join(dir, 'data') });
  const port = Number(new URL(simfra.url).port);
  const east = new JsonClient(simfra.url, 'ecr');
  const west = new JsonClient(simfra.url, 'ecr', undefined, 'us-west-2');
  try {
    const eastAuth = await auth(east);
    const westAuth = await auth(west);
    const westHost = `${ACCOUNT}.dkr.ecr.us-west-2.localhost:${port}`;
    await call(east, 'PutReplicationConfiguration', { replicationConfiguration: { rules: [{ destinations: [{ region: 'us-west-2', registryId: ACCOUNT }] }] } });
    await call(east, 'CreateRepository', { repositoryName: 'bench/big' });
    await call(east, 'CreateRepository', { repositoryName: 'bench/sealed', encryptionConfiguration: { encryptionType: 'KMS' } });

    const lags: number[] = [];
    const sealedLags: number[] = [];
    const copies: number[] = [];
    const pushes: number[] = [];
    for (let i = 0; i < 2 * RUNS; i++) {
      const run = i % RUNS;
      const repo = i < RUNS ? 'bench/big' : 'bench/sealed';
      const layer = randomBytes(MIB << 20);
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', run, repo }));
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
        }),
      );
      const digest = sha256(manifest);

      // The plain copy of the same bytes on this machine.
      if (i < RUNS) {
      const file = join(dir, `layer-${run}`);
      await writeFile(file, layer);
      const c0 = performance.now();
      await copyFile(file, `${file}.copy`);
      copies.push(performance.now() - c0);
      await unlink(`${file}.copy`);
      await unlink(file);
      }

      const p0 = performance.now();
      for (const blob of [config, layer]) {
        const r = await http(port, eastAuth, 'POST', `/v2/${repo}/blobs/uploads/?digest=${sha256(blob)}`, blob, { 'content-type': 'application/octet-stream' });
        if (r.status !== 201) throw new Error(`blob push: ${r.status} ${r.body.toString()}`);
      }
      const put = await http(port, eastAuth, 'PUT', `/v2/${repo}/manifests/run-${run}`, manifest, { 'content-type': OCI_MANIFEST });
      const pushed = performance.now();
      if (put.status !== 201) throw new Error(`manifest push: ${put.status} ${put.body.toString()}`);
      if (i < RUNS) pushes.push(pushed - p0);
      for (;;) {
        const status = (await call(east, 'DescribeImageReplicationStatus', { repositoryName: repo, imageId: { imageDigest: digest } })) as {
          replicationStatuses: { status: string }[];
        };
        const s = status.replicationStatuses[0]?.status;
        if (s === 'COMPLETE') break;
        if (s === 'FAILED') throw new Error('replication FAILED');
        await new Promise((r) => setTimeout(r, 2));
      }
      (i < RUNS ? lags : sealedLags).push(performance.now() - pushed);

      // The replica is there, byte for byte, on the destination's registry host.
      const pulled = await http(port, westAuth, 'GET', `/v2/${repo}/blobs/${sha256(layer)}`, undefined, { host: westHost });
      if (pulled.status !== 200 || sha256(pulled.body) !== sha256(layer)) throw new Error(`replica pull: ${pulled.status}`);
    }
    console.log(
      table([
        { measure: `push of the ${MIB} MiB image (registry API)`, 'median ms': median(pushes).toFixed(0), runs: RUNS },
        { measure: 'replication lag to us-west-2 (PUT answered → COMPLETE)', 'median ms': median(lags).toFixed(1), runs: RUNS },
        { measure: 'lag from a KMS repository (bytes unsealed and copied)', 'median ms': median(sealedLags).toFixed(1), runs: RUNS },
        { measure: `plain copy of ${MIB} MiB (fs.copyFile, same disk)`, 'median ms': median(copies).toFixed(1), runs: RUNS },
      ]),
    );
    console.log(`\nlag / plain copy: ${(median(lags) / median(copies)).toFixed(2)}× (aim: ≤ 2×); from KMS: ${(median(sealedLags) / median(copies)).toFixed(2)}×`);
  } finally {
    east.close();
    west.close();
    agent.destroy();
    await simfra.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
