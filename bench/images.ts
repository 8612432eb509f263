/**
 * The image API on a large repository, simfra beside moto_server in the same run: 10,000 images
 * put into one repository of each, then
 *   - DescribeImages, a page of 100 (the default) and of 1,000; and by one imageId;
 *   - ListImages paging through all 10,000 (maxResults 1,000), per call and per full listing;
 *   - 8 concurrent callers of DescribeImages (page of 100) and of ListImages (page of 1,000).
 * moto ignores maxResults and nextToken on both operations ("not implemented" in its docs), so
 * each of its calls answers all 10,000 images: its "page" rows are whole listings.
 *
 * The run is bounded (--budget seconds, default 170): moto's PutImage is slow (its request
 * overhead and a scan of the repository per put), so if seeding it would overrun the budget it
 * stops early and the table says how many images moto held.
 *
 *   node --import tsx bench/images.ts [--seconds 2] [--images 10000] [--budget 170]
 */
import { createHash } from 'node:crypto';
import { JsonClient, hasMoto, load, percentile, startMoto, startSimfra, table, type Target } from './support.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? Number(process.argv[i + 1]) : NaN) || fallback;
};
const seconds = arg('seconds', 2);
const IMAGES = arg('images', 10_000);
const deadline = performance.now() + arg('budget', 170) * 1000;
/** What moto's measurements need after its seeding (they wait for its slowest whole listings). */
const MOTO_MEASURE_MS = 45_000;
const TARGET = 'AmazonEC2ContainerRegistry_V20150921';
const REPO = 'bench/images';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

const sha256 = (data: string | Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

type Row = Record<string, string | number>;

async function call(client: JsonClient, op: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await client.call(`${TARGET}.${op}`, JSON.stringify(body));
  if (res.status !== 200) throw new Error(`${op}: ${res.status} ${res.body.slice(0, 300)}`);
  return JSON.parse(res.body) as Record<string, unknown>;
}

/**
 * One config and one layer, uploaded once through the layer API (moto stubs that API: it does
 * not check layers, so it gets the manifests only), then IMAGES tiny manifests that differ by an
 * annotation, each with its own tag, put by 16 callers at once.
 */
async function seed(target: Target, client: JsonClient, until: number): Promise<number> {
  await call(client, 'CreateRepository', { repositoryName: REPO });
  const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  const layer = Buffer.alloc(1024, 7);
  if (target.name === 'simfra') {
    for (const blob of [config, layer]) {
      const { uploadId } = (await call(client, 'InitiateLayerUpload', { repositoryName: REPO })) as { uploadId: string };
      await call(client, 'UploadLayerPart', {
        repositoryName: REPO,
        uploadId,
        partFirstByte: 0,
        partLastByte: blob.length - 1,
        layerPartBlob: blob.toString('base64'),
      });
      await call(client, 'CompleteLayerUpload', { repositoryName: REPO, uploadId, layerDigests: [sha256(blob)] });
    }
  }
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < IMAGES && performance.now() < until; i = next++) {
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
        annotations: { n: String(i) },
      });
      // imageDigest is given: moto otherwise derives one digest from the (shared) layers.
      await call(client, 'PutImage', { repositoryName: REPO, imageTag: `v${i}`, imageManifest: manifest, imageDigest: sha256(manifest) });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return (performance.now() - started) / 1000;
}

/** Every page of a ListImages listing; returns the per-call latencies and the ids seen. */
async function listAll(client: JsonClient, pageSize: number): Promise<{ calls: number[]; ids: number }> {
  const calls: number[] = [];
  let ids = 0;
  let nextToken: string | undefined;
  do {
    const t0 = performance.now();
    const page = (await call(client, 'ListImages', { repositoryName: REPO, maxResults: pageSize, ...(nextToken ? { nextToken } : {}) })) as {
      imageIds: unknown[];
      nextToken?: string;
    };
    calls.push(performance.now() - t0);
    ids += page.imageIds.length;
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return { calls, ids };
}

async function measure(target: Target, seedUntil: number): Promise<{ rows: Row[]; seeding: Row }> {
  const client = new JsonClient(target.url, 'ecr');
  const seedSeconds = await seed(target, client, seedUntil);
  const count = (await listAll(client, 1000)).ids;
  const rows: Row[] = [];
  const row = (op: string, clients: number, r: { opsPerSec: number; p50: number; p99: number; errors: number }, note = '') =>
    rows.push({ server: target.name, op, clients, 'calls/s': Math.round(r.opsPerSec), 'p50 ms': r.p50, 'p99 ms': r.p99, errors: r.errors, note });
  const ok = (op: string, body: unknown) => async () => (await client.call(`${TARGET}.${op}`, JSON.stringify(body))).status === 200;

  const describe100 = ok('DescribeImages', { repositoryName: REPO, maxResults: 100 });
  const describe1000 = ok('DescribeImages', { repositoryName: REPO, maxResults: 1000 });
  const describeOne = ok('DescribeImages', { repositoryName: REPO, imageIds: [{ imageTag: `v${IMAGES >> 1}` }] });
  row('DescribeImages maxResults=100', 1, await load(describe100, 1, seconds), target.name === 'moto' ? 'answers all images' : '');
  row('DescribeImages maxResults=1000', 1, await load(describe1000, 1, seconds), target.name === 'moto' ? 'answers all images' : '');
  row('DescribeImages imageIds=[1 tag]', 1, await load(describeOne, 1, seconds));

  // Full listings, one after another for `seconds`: every call's latency, and each listing's.
  const calls: number[] = [];
  const listings: number[] = [];
  let seen = 0;
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline || listings.length === 0) {
    const t0 = performance.now();
    const all = await listAll(client, 1000);
    listings.push(performance.now() - t0);
    calls.push(...all.calls);
    seen = all.ids;
  }
  calls.sort((a, b) => a - b);
  listings.sort((a, b) => a - b);
  rows.push({
    server: target.name,
    op: 'ListImages maxResults=1000, one page',
    clients: 1,
    'calls/s': Math.round(calls.length / listings.reduce((a, b) => a + b, 0) * 1000),
    'p50 ms': percentile(calls, 50),
    'p99 ms': percentile(calls, 99),
    errors: 0,
    note: `${calls.length / listings.length} calls per listing`,
  });
  rows.push({
    server: target.name,
    op: `ListImages, all ${seen} ids`,
    clients: 1,
    'calls/s': Math.round(listings.length / (listings.reduce((a, b) => a + b, 0) / 1000)),
    'p50 ms': percentile(listings, 50),
    'p99 ms': percentile(listings, 99),
    errors: 0,
    note: 'per full listing',
  });

  row('DescribeImages maxResults=100', 8, await load(describe100, 8, seconds));
  row('ListImages maxResults=1000', 8, await load(ok('ListImages', { repositoryName: REPO, maxResults: 1000 }), 8, seconds));
  client.close();
  return {
    rows,
    seeding: {
      server: target.name,
      images: count,
      'seed s (16 callers)': seedSeconds,
      'PutImage/s': Math.round(count / seedSeconds),
      note: count < IMAGES ? `seeding stopped at the time budget (${IMAGES} wanted)` : '',
    },
  };
}

const started = performance.now();
const rows: Row[] = [];
const seeding: Row[] = [];
const simfra = await startSimfra();
try {
  const r = await measure(simfra, Infinity);
  rows.push(...r.rows);
  seeding.push(r.seeding);
} finally {
  await simfra.stop();
}
if (hasMoto()) {
  const moto = await startMoto();
  try {
    const r = await measure(moto, deadline - MOTO_MEASURE_MS);
    rows.push(...r.rows);
    seeding.push(r.seeding);
  } finally {
    await moto.stop();
  }
} else {
  console.log('moto_server not installed: skipping the side-by-side run');
}
console.log(table(seeding));
console.log();
console.log(table(rows));
console.log(`\n(${Math.round((performance.now() - started) / 1000)} s in all)`);
