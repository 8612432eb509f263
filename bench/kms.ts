/**
 * KMS-encrypted repositories against AES256 ones, in one simfra (filesystem store) and one run:
 * push and pull throughput of 256 MiB blobs, one client, rounds interleaved (AES256, KMS,
 * AES256, …) so both see the same machine. The aim (issue 10): KMS under 15 % slower.
 *
 *   node --import tsx bench/kms.ts [--quick]
 *
 * Blobs are generated on the fly (unique per blob) and hashed while they are sent; pulls are
 * read to the end and their bytes counted.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request, type ClientRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonClient, startSimfra, table } from './support.js';

const quick = process.argv.includes('--quick');
const MiB = 1024 * 1024;
const SIZE = 256 * MiB;
const ROUNDS = quick ? 2 : 3;

const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const pattern = randomBytes(MiB);

interface Target {
  port: number;
  auth: string;
}

function call(
  t: Target,
  method: string,
  path: string,
  opts: { headers?: Record<string, string | number>; body?: Buffer | ((req: ClientRequest) => void); sink?: boolean } = {},
): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer; bytes: number }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { authorization: t.auth, ...(opts.headers ?? {}) };
    if (Buffer.isBuffer(opts.body)) headers['content-length'] = opts.body.length;
    const req = request({ host: '127.0.0.1', port: t.port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (!opts.sink) chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (typeof opts.body === 'function') opts.body(req);
    else req.end(opts.body);
  });
}

/** Streams `size` unique bytes into `req`; resolves with their digest once all are written. */
function streamBlob(req: ClientRequest, size: number, id: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const stamp = Buffer.from(id.padEnd(48, '.'));
    let sent = 0;
    const write = (): void => {
      while (sent < size) {
        const n = Math.min(MiB, size - sent);
        const chunk = Buffer.from(pattern.subarray(0, n));
        stamp.copy(chunk, 0, 0, Math.min(48, n));
        chunk.writeUInt32BE(sent / MiB, 48);
        hash.update(chunk);
        sent += n;
        if (!req.write(chunk)) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
      resolve(`sha256:${hash.digest('hex')}`);
    };
    req.on('error', reject);
    write();
  });
}

async function push(t: Target, repo: string, id: string): Promise<{ digest: string; seconds: number }> {
  const t0 = performance.now();
  const start = await call(t, 'POST', `/v2/${repo}/blobs/uploads/`);
  if (start.status !== 202) throw new Error(`POST ${repo}: ${start.status} ${start.body.toString()}`);
  let digest = '';
  const patch = await call(t, 'PATCH', String(start.headers.location), {
    headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
    body: (req) => {
      streamBlob(req, SIZE, id).then((d) => (digest = d), () => undefined);
    },
  });
  if (patch.status !== 202) throw new Error(`PATCH ${repo}: ${patch.status} ${patch.body.toString()}`);
  const put = await call(t, 'PUT', `${String(patch.headers.location)}?digest=${encodeURIComponent(digest)}`, { body: Buffer.alloc(0) });
  if (put.status !== 201) throw new Error(`PUT ${repo}: ${put.status} ${put.body.toString()}`);
  return { digest, seconds: (performance.now() - t0) / 1000 };
}

async function pull(t: Target, repo: string, digest: string): Promise<number> {
  const t0 = performance.now();
  const res = await call(t, 'GET', `/v2/${repo}/blobs/${digest}`, { sink: true });
  if (res.status !== 200 || res.bytes !== SIZE) throw new Error(`GET ${repo}: ${res.status} ${res.bytes}`);
  return (performance.now() - t0) / 1000;
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const dir = mkdtempSync(join(tmpdir(), 'simfra-bench-kms-'));
const simfra = await startSimfra({ SIMFRA_DATA_DIR: dir });
try {
  const kms = new JsonClient(simfra.url, 'kms');
  const created = await kms.call('TrentService.CreateKey', '{}');
  if (created.status !== 200) throw new Error(`CreateKey: ${created.status} ${created.body}`);
  const keyArn = (JSON.parse(created.body) as { KeyMetadata: { Arn: string } }).KeyMetadata.Arn;
  kms.close();
  const ecr = new JsonClient(simfra.url, 'ecr');
  const repos = { AES256: 'bench/aes256', KMS: 'bench/kms' } as const;
  await ecr.call('AmazonEC2ContainerRegistry_V20150921.CreateRepository', JSON.stringify({ repositoryName: repos.AES256 }));
  const made = await ecr.call(
    'AmazonEC2ContainerRegistry_V20150921.CreateRepository',
    JSON.stringify({ repositoryName: repos.KMS, encryptionConfiguration: { encryptionType: 'KMS', kmsKey: keyArn } }),
  );
  if (made.status !== 200) throw new Error(`CreateRepository KMS: ${made.status} ${made.body}`);
  const token = JSON.parse((await ecr.call('AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken', '{}')).body) as {
    authorizationData: { authorizationToken: string }[];
  };
  ecr.close();
  const target: Target = { port: Number(new URL(simfra.url).port), auth: `Basic ${token.authorizationData[0]!.authorizationToken}` };

  const pid = simfra.child.pid!;
  const fresh = () => ({ push: [] as number[], pull: [] as number[], pushCpu: [] as number[], pullCpu: [] as number[] });
  const samples = { AES256: fresh(), KMS: fresh() };
  // One warm-up push and pull per repository (JIT, first data key, directories), not counted.
  for (const kind of ['AES256', 'KMS'] as const) {
    const { digest } = await push(target, repos[kind], `warm-${kind}`);
    await pull(target, repos[kind], digest);
  }
  for (let r = 0; r < ROUNDS; r++) {
    const order: ('AES256' | 'KMS')[] = r % 2 === 0 ? ['AES256', 'KMS'] : ['KMS', 'AES256'];
    for (const kind of order) {
      let cpu = cpuSeconds(pid);
      const { digest, seconds } = await push(target, repos[kind], `${kind}-${r}`);
      samples[kind].push.push(SIZE / MiB / seconds);
      samples[kind].pushCpu.push(SIZE / MiB / (cpuSeconds(pid) - cpu));
      cpu = cpuSeconds(pid);
      samples[kind].pull.push(SIZE / MiB / (await pull(target, repos[kind], digest)));
      samples[kind].pullCpu.push(SIZE / MiB / (cpuSeconds(pid) - cpu));
    }
  }
  const rows = (['AES256', 'KMS'] as const).map((kind) => ({
    encryption: kind,
    blob: '256 MiB',
    rounds: ROUNDS,
    'push MiB/s (median)': median(samples[kind].push),
    'pull MiB/s (median)': median(samples[kind].pull),
    // simfra's own CPU time: what the run costs when the machine is shared.
    'push MiB per CPU-s': median(samples[kind].pushCpu),
    'pull MiB per CPU-s': median(samples[kind].pullCpu),
  }));
  const slower = (kind: 'push' | 'pull') => (1 - median(samples.KMS[kind]) / median(samples.AES256[kind])) * 100;
  console.log(table(rows));
  console.log();
  console.log(`KMS vs AES256: push ${slower('push').toFixed(1)} % slower, pull ${slower('pull').toFixed(1)} % slower (aim: under 15 %)`);
  const moreCpu = (kind: 'pushCpu' | 'pullCpu') => (median(samples.AES256[kind]) / median(samples.KMS[kind]) - 1) * 100;
  console.log(`simfra CPU time per MiB, KMS vs AES256: push ${moreCpu('pushCpu').toFixed(1)} %, pull ${moreCpu('pullCpu').toFixed(1)} % (negative: less)`);
} finally {
  agent.destroy();
  await simfra.stop();
  rmSync(dir, { recursive: true, force: true });
}
