/**
 * Lifecycle policies on a repository of 10,000 images, with a 5-rule policy (untagged count,
 * tag-pattern count, pull age, a transition to archive, an `any` catch-all):
 *   - the engine alone (in process, pure): evaluateLifecycle on 10,000 images;
 *   - StartLifecyclePolicyPreview through the API (snapshot of the repository + engine + storing
 *     the results), and a GetLifecyclePolicyPreview page;
 *   - one evaluation through the admin API (POST /_simfra/jobs/ecr-lifecycle) that expires and
 *     archives thousands of images, then a second one that finds nothing left to do.
 * No peer: moto stores lifecycle policies but never evaluates or previews them.
 *
 * Besides wall time, each row gives CPU time (the bench process's for the engine, the server
 * process's from /proc for the rest): on a shared, loaded machine it says what the work costs.
 *
 *   node --import tsx bench/lifecycle.ts [--images 10000] [--repeat 5]
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { evaluateLifecycle, type LifecycleImage } from '../src/images/lifecycle/evaluate.js';
import { parseLifecyclePolicy } from '../src/images/lifecycle/policy.js';
import { JsonClient, ROOT, percentile, startSimfra, table } from './support.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? Number(process.argv[i + 1]) : NaN) || fallback;
};
const IMAGES = arg('images', 10_000);
const REPEAT = arg('repeat', 5);
const TARGET = 'AmazonEC2ContainerRegistry_V20150921';
const REPO = 'bench/lifecycle';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DAY = 24 * 3600 * 1000;

const POLICY = JSON.stringify({
  rules: [
    { rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 100 }, action: { type: 'expire' } },
    { rulePriority: 2, selection: { tagStatus: 'tagged', tagPatternList: ['prod-*'], countType: 'imageCountMoreThan', countNumber: 500 }, action: { type: 'expire' } },
    { rulePriority: 3, selection: { tagStatus: 'tagged', tagPrefixList: ['dev-'], countType: 'sinceImagePulled', countUnit: 'days', countNumber: 30 }, action: { type: 'expire' } },
    {
      rulePriority: 4,
      selection: { tagStatus: 'tagged', tagPatternList: ['rel-*-*'], countType: 'imageCountMoreThan', countNumber: 1000 },
      action: { type: 'transition', targetStorageClass: 'archive' },
    },
    { rulePriority: 5, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 5000 }, action: { type: 'expire' } },
  ],
});

/** Image i: prod-i, dev-i, rel-i-x, untagged or x-i, by i mod 5. */
const tagOf = (i: number): string | undefined => [`prod-${i}`, `dev-${i}`, `rel-${i}-x`, undefined, `x-${i}`][i % 5];

const sha256 = (data: string | Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const ms = (n: number) => Math.round(n * 10) / 10;

/** CPU milliseconds (user + system) a process has used so far; Linux /proc, else NaN. */
function processCpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return NaN;
  }
}

async function call(client: JsonClient, op: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await client.call(`${TARGET}.${op}`, JSON.stringify(body));
  if (res.status !== 200) throw new Error(`${op}: ${res.status} ${res.body.slice(0, 300)}`);
  return JSON.parse(res.body) as Record<string, unknown>;
}

/** POST /_simfra/jobs/{name}, signed with the root credentials. */
async function runJob(url: string, name: string): Promise<Record<string, unknown>> {
  const u = new URL(`/_simfra/jobs/${name}`, url);
  const signer = new SignatureV4({ credentials: ROOT, region: 'us-east-1', service: 'simfra', sha256: Hash.bind(null, 'sha256') });
  const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: u.pathname, query: {}, headers: { host: u.host }, body: '' });
  const { host: _host, ...headers } = signed.headers as Record<string, string>;
  const res = await fetch(u, { method: 'POST', headers, body: '' });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`job ${name}: ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

function engineAlone(): Record<string, string | number> {
  const now = new Date();
  const images: LifecycleImage[] = Array.from({ length: IMAGES }, (_, i) => {
    const tag = tagOf(i);
    return { digest: sha256(String(i)), tags: tag ? [tag] : [], pushedAt: new Date(now.getTime() - (IMAGES - i) * 60_000), storageClass: 'STANDARD', children: [] };
  });
  const policy = parseLifecyclePolicy(POLICY);
  const times: number[] = [];
  const cpus: number[] = [];
  let actions = 0;
  for (let r = 0; r < Math.max(REPEAT, 5); r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    actions = evaluateLifecycle(policy, images, new Date(now.getTime() + DAY)).length;
    const c = process.cpuUsage(c0);
    times.push(performance.now() - t0);
    cpus.push((c.user + c.system) / 1000);
  }
  times.sort((a, b) => a - b);
  cpus.sort((a, b) => a - b);
  return {
    what: `engine alone (pure), ${IMAGES} images`,
    'p50 ms': ms(percentile(times, 50)),
    'max ms': ms(times[times.length - 1]!),
    'cpu ms': ms(percentile(cpus, 50)),
    note: `${actions} actions`,
  };
}

async function seed(client: JsonClient): Promise<number> {
  await call(client, 'CreateRepository', { repositoryName: REPO });
  const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  const layer = Buffer.alloc(1024, 7);
  for (const blob of [config, layer]) {
    const { uploadId } = (await call(client, 'InitiateLayerUpload', { repositoryName: REPO })) as { uploadId: string };
    await call(client, 'UploadLayerPart', { repositoryName: REPO, uploadId, partFirstByte: 0, partLastByte: blob.length - 1, layerPartBlob: blob.toString('base64') });
    await call(client, 'CompleteLayerUpload', { repositoryName: REPO, uploadId, layerDigests: [sha256(blob)] });
  }
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < IMAGES; i = next++) {
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
        annotations: { n: String(i) },
      });
      const tag = tagOf(i);
      await call(client, 'PutImage', { repositoryName: REPO, imageManifest: manifest, ...(tag ? { imageTag: tag } : {}) });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return (performance.now() - started) / 1000;
}

const rows: Record<string, string | number>[] = [engineAlone()];
const simfra = await startSimfra({ SIMFRA_ECR_LIFECYCLE_INTERVAL_SECONDS: '0' });
try {
  const client = new JsonClient(simfra.url, 'ecr');
  const seedSeconds = await seed(client);
  await call(client, 'PutLifecyclePolicy', { repositoryName: REPO, lifecyclePolicyText: POLICY });

  const pid = simfra.child.pid;
  const previews: number[] = [];
  const previewCpu0 = processCpuMs(pid);
  for (let r = 0; r < REPEAT; r++) {
    const t0 = performance.now();
    await call(client, 'StartLifecyclePolicyPreview', { repositoryName: REPO });
    previews.push(performance.now() - t0);
  }
  const previewCpu = (processCpuMs(pid) - previewCpu0) / REPEAT;
  previews.sort((a, b) => a - b);
  const gets: number[] = [];
  const getCpu0 = processCpuMs(pid);
  let page: Record<string, unknown> = {};
  for (let r = 0; r < REPEAT; r++) {
    const g0 = performance.now();
    page = await call(client, 'GetLifecyclePolicyPreview', { repositoryName: REPO, maxResults: 100 });
    gets.push(performance.now() - g0);
  }
  const getCpu = (processCpuMs(pid) - getCpu0) / REPEAT;
  gets.sort((a, b) => a - b);
  rows.push({ what: `StartLifecyclePolicyPreview, ${IMAGES} images`, 'p50 ms': ms(percentile(previews, 50)), 'max ms': ms(previews[previews.length - 1]!), 'cpu ms': ms(previewCpu), note: JSON.stringify(page.summary) });
  rows.push({ what: 'GetLifecyclePolicyPreview, a page of 100', 'p50 ms': ms(percentile(gets, 50)), 'max ms': ms(gets[gets.length - 1]!), 'cpu ms': ms(getCpu), note: '' });

  const e0 = performance.now();
  const eCpu0 = processCpuMs(pid);
  const first = await runJob(simfra.url, 'ecr-lifecycle');
  const firstMs = performance.now() - e0;
  const firstCpu = processCpuMs(pid) - eCpu0;
  rows.push({
    what: `evaluation (job), ${IMAGES} images`,
    'p50 ms': ms(firstMs),
    'max ms': ms(firstMs),
    'cpu ms': ms(firstCpu),
    note: `expired ${String(first.imagesExpired)}, transitioned ${String(first.imagesTransitioned)}`,
  });
  const s0 = performance.now();
  const sCpu0 = processCpuMs(pid);
  const second = await runJob(simfra.url, 'ecr-lifecycle');
  const secondMs = performance.now() - s0;
  const secondCpu = processCpuMs(pid) - sCpu0;
  const left = IMAGES - Number(first.imagesExpired);
  rows.push({ what: `evaluation (job) again, ${left} images left`, 'p50 ms': ms(secondMs), 'max ms': ms(secondMs), 'cpu ms': ms(secondCpu), note: `expired ${String(second.imagesExpired)}, transitioned ${String(second.imagesTransitioned)}` });
  client.close();
  console.log(`seeded ${IMAGES} images in ${seedSeconds.toFixed(1)} s (PutImage, 16 callers)\n`);
} finally {
  await simfra.stop();
}
console.log(table(rows));
