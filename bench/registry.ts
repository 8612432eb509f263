/**
 * Registry data-plane benchmark, simfra (filesystem store) beside the CNCF distribution registry
 * (Debian's `docker-registry`, filesystem driver, htpasswd Basic auth like simfra's) in the same
 * run: blob push and pull throughput for 4 MiB and 256 MiB blobs with 1 and 8 concurrent
 * clients (pulls and pushes twice: with this process's Node client, then with one curl per
 * client when curl is installed), the server's CPU per MiB pushed and pulled, manifest PUT/GET requests per second, the
 * start of a docker pull (GET /v2/, HEAD and GET manifest), each server's peak RSS over the whole
 * run, its peak RSS while a 1 GiB layer is pushed, and what this machine can hash and write+fsync
 * with no HTTP at all (the ceiling for a push).
 *
 * simfra runs as `npm start` runs it: the esbuild bundle with `npm start`'s environment and node
 * flags (read from package.json by test/support/npm-start.ts), default log level.
 *
 *   node --import tsx bench/registry.ts [--quick] [--simfra-only] [--only=blobs,manifests,start,limit,big]
 *
 * Blobs are generated on the fly (unique per blob, so nothing deduplicates) and hashed while
 * they are sent. Only the curl pushes need files: written to a temporary directory before their
 * timing starts, and removed after.
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fdatasyncSync, fsyncSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { Agent, request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonClient, freePort, memoryMap, percentile, startSimfra, table } from './support.js';

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
// --cells=256x8,4x1: only those blob cells (MiB × clients)
const cellsArg = process.argv.find((a) => a.startsWith('--cells='))?.slice('--cells='.length).split(',') ?? ['4x1', '4x8', '256x1', '256x8'];
const cellSizes = cellsArg.map((c) => Number(c.split('x')[0]));
const cellClients = [...new Set(cellsArg.map((c) => Number(c.split('x')[1])))];
const sections = new Set((onlyArg?.slice('--only='.length) ?? 'blobs,manifests,start,limit,big').split(','));
const MiB = 1024 * 1024;

interface Registry {
  name: string;
  port: number;
  auth?: string;
  pid: number;
  stop(): Promise<void>;
}

const agent = new Agent({ keepAlive: true, maxSockets: 32 });

function call(
  reg: Registry,
  method: string,
  path: string,
  opts: { headers?: Record<string, string | number>; body?: Buffer | ((req: import('node:http').ClientRequest) => void); sink?: boolean } = {},
): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer; bytes: number }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...(opts.headers ?? {}) };
    if (reg.auth) headers.authorization = reg.auth;
    if (Buffer.isBuffer(opts.body)) headers['content-length'] = opts.body.length;
    const req = request({ host: '127.0.0.1', port: reg.port, method, path, headers, agent }, (res) => {
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

const pattern = randomBytes(MiB);

/** The `n` bytes of a blob from offset `sent` (a MiB boundary): the pattern, stamped with the blob's id and the MiB's index. */
function blobChunk(stamp: Buffer, sent: number, n: number): Buffer {
  const chunk = Buffer.from(pattern.subarray(0, n));
  stamp.copy(chunk, 0, 0, Math.min(32, n));
  chunk.writeUInt32BE(sent / MiB, Math.min(32, n - 4 > 0 ? 32 : 0));
  return chunk;
}

/** Streams `size` unique bytes (blob id stamped into every MiB) into `req`, returning their digest. */
function streamBlob(req: import('node:http').ClientRequest, size: number, id: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let sent = 0;
    const stamp = Buffer.from(id.padEnd(32, '.'));
    const write = () => {
      while (sent < size) {
        const n = Math.min(MiB, size - sent);
        const chunk = blobChunk(stamp, sent, n);
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

async function pushBlob(reg: Registry, repo: string, size: number, id: string): Promise<string> {
  const start = await call(reg, 'POST', `/v2/${repo}/blobs/uploads/`);
  if (start.status !== 202) throw new Error(`${reg.name} POST upload: ${start.status} ${start.body.toString()}`);
  const location = String(start.headers.location);
  const path = location.startsWith('http') ? new URL(location).pathname + new URL(location).search : location;
  let digest = '';
  const patch = await call(reg, 'PATCH', path, {
    headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
    body: (req) => {
      streamBlob(req, size, id).then((d) => (digest = d), () => undefined);
    },
  });
  if (patch.status !== 202) throw new Error(`${reg.name} PATCH: ${patch.status} ${patch.body.toString()}`);
  const next = String(patch.headers.location);
  const nextPath = next.startsWith('http') ? new URL(next).pathname + new URL(next).search : next;
  const put = await call(reg, 'PUT', `${nextPath}${nextPath.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`, { body: Buffer.alloc(0) });
  if (put.status !== 201) throw new Error(`${reg.name} PUT: ${put.status} ${put.body.toString()}`);
  return digest;
}

async function pullBlob(reg: Registry, repo: string, digest: string, size: number): Promise<void> {
  const res = await call(reg, 'GET', `/v2/${repo}/blobs/${digest}`, { sink: true });
  if (res.status !== 200 || res.bytes !== size) throw new Error(`${reg.name} GET blob: ${res.status} ${res.bytes}`);
}

/**
 * The same pushes again with curl. Each client's blobs are written to files first, outside the
 * timing. Timed:
 * each client opens its upload sessions (POST, from this process), then one curl process sends
 * its blobs in turn over one connection, each as PUT ?digest= with the bytes (the monolithic
 * form both registries accept). Why: this process generates and hashes every byte it pushes, a
 * core's worth with 8 clients on a 2-core machine, so the Node figures measure the client too.
 */
async function pushByCurl(reg: Registry, repo: string, size: number, clients: number, rounds: number): Promise<{ seconds: number; cpu: number }> {
  // In memory where there is a tmpfs: files on the registries' disk cost them its writeback, and
  // removing them its discards (this machine mounts with `discard`), in the fsyncs they measure.
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'simfra-bench-curl-'));
  try {
    const blobs = Array.from({ length: clients }, (_, c) =>
      Array.from({ length: rounds }, (_, r) => writeBlobFile(join(dir, `${c}-${r}`), size, `${reg.name}-curl-${size}-${clients}-${c}-${r}-${Math.random()}`)),
    );
    const cpu = cpuSeconds(reg.pid);
    const t = performance.now();
    await Promise.all(
      blobs.map(async (list) => {
        const args = ['-s', '-w', '%{http_code}\n', '-H', 'content-type: application/octet-stream', '-H', 'Expect:', ...(reg.auth ? ['-H', `Authorization: ${reg.auth}`] : [])];
        for (const blob of list) {
          const start = await call(reg, 'POST', `/v2/${repo}/blobs/uploads/`);
          if (start.status !== 202) throw new Error(`${reg.name} POST upload: ${start.status} ${start.body.toString()}`);
          const location = new URL(String(start.headers.location), `http://127.0.0.1:${reg.port}`);
          location.searchParams.set('digest', blob.digest);
          args.push('-o', '/dev/null', '-T', blob.path, location.href);
        }
        await curl(args, list.length, '201', `${reg.name} curl push`);
      }),
    );
    return { seconds: (performance.now() - t) / 1000, cpu: cpuSeconds(reg.pid) - cpu };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes `size` unique bytes (as streamBlob makes them) to `path`; their digest. */
function writeBlobFile(path: string, size: number, id: string): { path: string; digest: string } {
  const hash = createHash('sha256');
  const stamp = Buffer.from(id.padEnd(32, '.'));
  const fd = openSync(path, 'w');
  try {
    for (let sent = 0; sent < size; sent += MiB) {
      const chunk = blobChunk(stamp, sent, Math.min(MiB, size - sent));
      hash.update(chunk);
      writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
  return { path, digest: `sha256:${hash.digest('hex')}` };
}

/** Runs one curl for `transfers` transfers, each of which must write out (`-w`) the line `expected`. */
function curl(args: string[], transfers: number, expected: string, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    execFile('curl', args, { maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error) return reject(error);
      const lines = stdout.trim().split('\n');
      const bad = lines.find((l) => l !== expected);
      if (lines.length !== transfers || bad !== undefined) return reject(new Error(`${what}: ${bad ?? `${lines.length} of ${transfers}`}`));
      resolve();
    });
  });
}

/** CPU seconds (user + system) the process has used so far, from /proc (clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function throughput(reg: Registry, size: number, clients: number, rounds: number) {
  const repo = 'bench/blobs';
  const digests: string[][] = Array.from({ length: clients }, () => []);
  let cpu = cpuSeconds(reg.pid);
  let t = performance.now();
  await Promise.all(
    digests.map(async (list, c) => {
      for (let r = 0; r < rounds; r++) list.push(await pushBlob(reg, repo, size, `${reg.name}-${size}-${clients}-${c}-${r}-${Math.random()}`));
    }),
  );
  const pushSec = (performance.now() - t) / 1000;
  const pushCpu = cpuSeconds(reg.pid) - cpu;
  cpu = cpuSeconds(reg.pid);
  t = performance.now();
  await Promise.all(digests.map(async (list) => { for (const d of list) await pullBlob(reg, repo, d, size); }));
  const pullSec = (performance.now() - t) / 1000;
  const pullCpu = cpuSeconds(reg.pid) - cpu;
  const total = (size * clients * rounds) / MiB;
  const byCurl = hasCurl ? await pullByCurl(reg, repo, digests, size) : undefined;
  const pushedByCurl = hasCurl ? await pushByCurl(reg, repo, size, clients, rounds) : undefined;
  return {
    push: total / pushSec,
    pull: total / pullSec,
    pushCpuMsPerMiB: (pushCpu * 1000) / total,
    pullCpuMsPerMiB: (pullCpu * 1000) / total,
    curlPull: byCurl === undefined ? 'no curl' : total / byCurl.seconds,
    curlPullCpuMsPerMiB: byCurl === undefined ? 'no curl' : (byCurl.cpu * 1000) / total,
    curlPush: pushedByCurl === undefined ? 'no curl' : total / pushedByCurl.seconds,
    curlPushCpuMsPerMiB: pushedByCurl === undefined ? 'no curl' : (pushedByCurl.cpu * 1000) / total,
  };
}

const hasCurl = (() => {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    console.log('curl not installed (apt-get install curl): pushes and pulls are measured with the Node client only');
    return false;
  }
})();

/**
 * The same pulls again, each client one curl process fetching its blobs in turn over one
 * connection. Why: this process's own Node client costs several times the server's CPU per
 * 4 MiB blob and its time per blob is bimodal (~12 or ~28 ms against either server), so with one
 * client the Node figures measure the client more than the server.
 */
async function pullByCurl(reg: Registry, repo: string, digests: string[][], size: number): Promise<{ seconds: number; cpu: number }> {
  const cpu = cpuSeconds(reg.pid);
  const t = performance.now();
  await Promise.all(
    digests.map((list) => {
      const args = ['-s', '-w', '%{http_code} %{size_download}\n', ...(reg.auth ? ['-H', `Authorization: ${reg.auth}`] : [])];
      for (const d of list) args.push('-o', '/dev/null', `http://127.0.0.1:${reg.port}/v2/${repo}/blobs/${d}`);
      return curl(args, list.length, `200 ${size}`, `${reg.name} curl pull`);
    }),
  );
  return { seconds: (performance.now() - t) / 1000, cpu: cpuSeconds(reg.pid) - cpu };
}

/**
 * What docker does before it pulls layers: GET /v2/, HEAD the manifest by tag, GET it by digest;
 * one client, one sequence after another, for `seconds`. Latency of the whole sequence.
 */
async function startOfPull(reg: Registry, seconds: number) {
  const repo = 'bench/manifests';
  const accept = 'application/vnd.oci.image.manifest.v1+json';
  const lat: number[] = [];
  const cpu = cpuSeconds(reg.pid);
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    const t0 = performance.now();
    const ping = await call(reg, 'GET', '/v2/');
    const head = await call(reg, 'HEAD', `/v2/${repo}/manifests/t1`, { headers: { accept } });
    const digest = String(head.headers['docker-content-digest']);
    const get = await call(reg, 'GET', `/v2/${repo}/manifests/${digest}`, { headers: { accept } });
    if (ping.status !== 200 || head.status !== 200 || get.status !== 200) throw new Error(`${reg.name} start of pull: ${ping.status} ${head.status} ${get.status}`);
    lat.push(performance.now() - t0);
  }
  const cpuMs = ((cpuSeconds(reg.pid) - cpu) * 1000) / lat.length;
  lat.sort((a, b) => a - b);
  return { n: lat.length, p50: percentile(lat, 50), p99: percentile(lat, 99), cpuMs };
}

/**
 * The ceiling for a push on this machine: sha256 over the bytes while writing them to a file in
 * 1 MiB writes, fdatasync, rename into place, fsync the directory: what a registry must do, with
 * no HTTP and no bookkeeping.
 */
function hashWriteLimit(dir: string, size: number, count: number): { mibPerSec: number; cpuMsPerMiB: number } {
  const t = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const hash = createHash('sha256');
    const tmp = join(dir, `tmp-${i}`);
    const fd = openSync(tmp, 'w', 0o600);
    for (let sent = 0; sent < size; sent += MiB) {
      const chunk = Buffer.from(pattern.subarray(0, Math.min(MiB, size - sent)));
      chunk.writeUInt32BE(i, 0);
      chunk.writeUInt32BE(sent / MiB, 4);
      hash.update(chunk);
      writeSync(fd, chunk);
    }
    fdatasyncSync(fd);
    closeSync(fd);
    hash.digest('hex');
    renameSync(tmp, join(dir, `blob-${i}`));
    const dfd = openSync(dir, 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  }
  const seconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  const mib = (size * count) / MiB;
  return { mibPerSec: mib / seconds, cpuMsPerMiB: (used.user + used.system) / 1000 / mib };
}

/**
 * The same with `writers` blobs at once, as `writers` pushes would: sha256 on this thread, the
 * writes, fdatasync and rename through libuv's file-system threads, as a server in Node does.
 */
async function parallelHashWriteLimit(dir: string, size: number, writers: number): Promise<{ mibPerSec: number; cpuMsPerMiB: number }> {
  const t = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: writers }, async (_, i) => {
      const hash = createHash('sha256');
      const tmp = join(dir, `ptmp-${i}`);
      const fh = await open(tmp, 'w', 0o600);
      for (let sent = 0; sent < size; sent += MiB) {
        const chunk = Buffer.from(pattern.subarray(0, Math.min(MiB, size - sent)));
        chunk.writeUInt32BE(i, 0);
        chunk.writeUInt32BE(sent / MiB, 4);
        hash.update(chunk);
        await fh.write(chunk);
      }
      await fh.datasync();
      await fh.close();
      hash.digest('hex');
      await rename(tmp, join(dir, `pblob-${i}`));
      const dh = await open(dir, 'r');
      await dh.sync();
      await dh.close();
    }),
  );
  const seconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  const mib = (size * writers) / MiB;
  return { mibPerSec: mib / seconds, cpuMsPerMiB: (used.user + used.system) / 1000 / mib };
}

async function manifests(reg: Registry, seconds: number) {
  const repo = 'bench/manifests';
  const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
  // POST then PUT ?digest= with the bytes: the monolithic form both registries support
  // (distribution 2.8 ignores a digest on the POST itself)
  const up = await call(reg, 'POST', `/v2/${repo}/blobs/uploads/`);
  const loc = new URL(String(up.headers.location), 'http://x');
  const configPut = await call(reg, 'PUT', `${loc.pathname}${loc.search ? `${loc.search}&` : '?'}digest=${configDigest}`, {
    body: config,
    headers: { 'content-type': 'application/octet-stream' },
  });
  if (configPut.status !== 201) throw new Error(`${reg.name} monolithic PUT: ${configPut.status} ${configPut.body.toString()}`);
  const layerDigest = await pushBlob(reg, repo, 1024, `${reg.name}-layer`);
  const manifest = (n: number) =>
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: 1024 }],
        annotations: { n: String(n) },
      }),
    );
  const accept = 'application/vnd.oci.image.manifest.v1+json';
  const measure = async (op: (i: number) => Promise<boolean>) => {
    const lat: number[] = [];
    let i = 0;
    const cpu = cpuSeconds(reg.pid);
    const deadline = performance.now() + seconds * 1000;
    const t = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (performance.now() < deadline && lat.length < 100_000) {
          const t0 = performance.now();
          if (!(await op(i++))) throw new Error(`${reg.name} manifest op failed`);
          lat.push(performance.now() - t0);
        }
      }),
    );
    lat.sort((a, b) => a - b);
    const cpuMs = ((cpuSeconds(reg.pid) - cpu) * 1000) / lat.length;
    return { count: lat.length, rps: lat.length / ((performance.now() - t) / 1000), p50: percentile(lat, 50), p99: percentile(lat, 99), cpuMs };
  };
  const put = await measure(async (i) =>
    (await call(reg, 'PUT', `/v2/${repo}/manifests/t${i}`, { body: manifest(i), headers: { 'content-type': accept } })).status === 201,
  );
  // Only tags the PUTs made (a registry with slow auth makes fewer than 200 in a quick run).
  const tags = Math.max(1, Math.min(200, put.count));
  const get = await measure(async (i) => (await call(reg, 'GET', `/v2/${repo}/manifests/t${i % tags}`, { headers: { accept } })).status === 200);
  return { put, get };
}

function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

async function startDistribution(dir: string): Promise<Registry | undefined> {
  if (!existsSync('/usr/bin/docker-registry')) return undefined;
  const port = await freePort();
  const config = join(dir, 'config.yml');
  // htpasswd Basic auth as the issue's comparison ran it: bcrypt at `htpasswd -B`'s default cost 5
  // (perl's crypt is libxcrypt's, which makes $2b$ hashes).
  const password = 'bench-password';
  const bcrypt = execFileSync('perl', ['-e', 'print crypt($ARGV[0], q($2b$05$) . $ARGV[1])', password, randomBytes(16).toString('base64').replace(/[+=]/g, '.').slice(0, 22)], { encoding: 'utf8' });
  if (!bcrypt.startsWith('$2b$05$')) throw new Error(`no bcrypt from perl's crypt: ${bcrypt}`);
  writeFileSync(join(dir, 'htpasswd'), `bench:${bcrypt}\n`);
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nauth:\n  htpasswd:\n    realm: bench\n    path: ${join(dir, 'htpasswd')}\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const auth = `Basic ${Buffer.from(`bench:${password}`).toString('base64')}`;
  const child: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v2/`, { headers: { authorization: auth } });
      if (r.status === 200) break;
      if (r.status === 401) throw new Error('docker-registry refuses the htpasswd credentials');
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return {
    name: 'distribution',
    port,
    auth,
    pid: child.pid!,
    stop: () => new Promise((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); }),
  };
}

async function simfraRegistry(dir: string): Promise<Registry> {
  const target = await startSimfra({
    SIMFRA_DATA_DIR: dir,
    SIMFRA_LOG_LEVEL: process.env.SIMFRA_LOG_LEVEL ?? 'info',
    // BENCH_SIMFRA_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the server alone
  }, (process.env.BENCH_SIMFRA_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''));
  const api = new JsonClient(target.url, 'ecr');
  for (const name of ['bench/blobs', 'bench/manifests', 'bench/big']) {
    await api.call('AmazonEC2ContainerRegistry_V20150921.CreateRepository', JSON.stringify({ repositoryName: name }));
  }
  const token = JSON.parse((await api.call('AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken', '{}')).body) as {
    authorizationData: { authorizationToken: string }[];
  };
  api.close();
  return {
    name: 'simfra (bundle)',
    port: Number(new URL(target.url).port),
    auth: `Basic ${token.authorizationData[0]!.authorizationToken}`,
    pid: target.child.pid!,
    stop: target.stop,
  };
}

const rows: Record<string, string | number>[] = [];
const manifestRows: Record<string, string | number>[] = [];
const startRows: Record<string, string | number>[] = [];
const memRows: Record<string, string | number>[] = [];
const peers = process.argv.includes('--simfra-only') ? [simfraRegistry] : [simfraRegistry, startDistribution];
for (const make of peers) {
  if (!sections.has('blobs') && !sections.has('manifests') && !sections.has('start')) break;
  const dir = mkdtempSync(join(tmpdir(), 'simfra-bench-'));
  const reg = await make(dir);
  if (!reg) {
    console.log('docker-registry not installed (apt-get install docker-registry): skipping the side-by-side run');
    rmSync(dir, { recursive: true, force: true });
    continue;
  }
  try {
    if (sections.has('blobs')) {
      memRows.push({ registry: reg.name, run: 'started', 'peak RSS MiB': Math.round(peakRss(reg.pid)) });
      // Warm up, unmeasured: JIT, lazily loaded modules, first files of each kind.
      for (let i = 0; i < 3; i++) await pullBlob(reg, 'bench/blobs', await pushBlob(reg, 'bench/blobs', 4 * MiB, `${reg.name}-warm-${i}-${Math.random()}`), 4 * MiB);
      for (const [size, rounds] of [[4 * MiB, quick ? 5 : 25], [256 * MiB, quick ? 1 : 2]] as const) {
        if (!cellSizes.includes(size / MiB)) continue;
        for (const clients of cellClients) {
          const r = await throughput(reg, size, clients, clients === 8 && size > 4 * MiB ? 1 : rounds);
          rows.push({
            registry: reg.name,
            blob: `${size / MiB} MiB`,
            clients,
            'push MiB/s': r.push,
            'pull MiB/s': r.pull,
            'push CPU ms/MiB': r.pushCpuMsPerMiB,
            'pull CPU ms/MiB': r.pullCpuMsPerMiB,
            'curl pull MiB/s': r.curlPull,
            'curl pull CPU ms/MiB': r.curlPullCpuMsPerMiB,
            'curl push MiB/s': r.curlPush,
            'curl push CPU ms/MiB': r.curlPushCpuMsPerMiB,
            'peak RSS so far MiB': Math.round(peakRss(reg.pid)),
          });
        }
      }
    }
    if (sections.has('manifests') || sections.has('start')) {
      const m = await manifests(reg, quick ? 2 : 5);
      if (sections.has('manifests')) {
        manifestRows.push({ registry: reg.name, 'PUT req/s': Math.round(m.put.rps), 'PUT p50 ms': m.put.p50, 'PUT p99 ms': m.put.p99, 'PUT CPU ms': m.put.cpuMs, 'GET req/s': Math.round(m.get.rps), 'GET p50 ms': m.get.p50, 'GET p99 ms': m.get.p99, 'GET CPU ms': m.get.cpuMs });
      }
    }
    if (sections.has('start')) {
      const s = await startOfPull(reg, quick ? 2 : 5);
      startRows.push({ registry: reg.name, sequences: s.n, 'p50 ms': s.p50, 'p99 ms': s.p99, 'server CPU ms/sequence': s.cpuMs });
    }
    if (process.env.BENCH_SMAPS !== undefined) console.log(`${reg.name}:\n${memoryMap(reg.pid)}`);
    memRows.push({ registry: reg.name, run: `${[...sections].filter((x) => x !== 'big' && x !== 'limit').join('+')}${quick ? ' (quick)' : ''}`, 'peak RSS MiB': Math.round(peakRss(reg.pid)) });
  } finally {
    await reg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
// Peak RSS of a fresh process pushing one 1 GiB layer to its filesystem store (issue 3: < 150 MiB).
for (const make of sections.has('big') ? peers : []) {
  const dir = mkdtempSync(join(tmpdir(), 'simfra-bench-'));
  const reg = await make(dir);
  if (!reg) continue;
  try {
    const before = peakRss(reg.pid);
    const t = performance.now();
    await pushBlob(reg, 'bench/big', 1024 * MiB, `${reg.name}-1GiB`);
    const seconds = (performance.now() - t) / 1000;
    memRows.push({
      registry: reg.name,
      run: `1 GiB push (peak RSS at start ${Math.round(before)} MiB, ${(1024 / seconds).toFixed(0)} MiB/s)`,
      'peak RSS MiB': Math.round(peakRss(reg.pid)),
    });
  } finally {
    await reg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
const limitRows: Record<string, string | number>[] = [];
if (sections.has('limit')) {
  const dir = mkdtempSync(join(tmpdir(), 'simfra-bench-'));
  try {
    for (const [size, count] of [[4 * MiB, quick ? 10 : 25], [256 * MiB, 1]] as const) {
      const r = hashWriteLimit(dir, size, count);
      limitRows.push({ 'sha256 + write + fdatasync + rename, no HTTP': `${size / MiB} MiB × ${count}`, 'MiB/s': r.mibPerSec, 'CPU ms/MiB': r.cpuMsPerMiB });
    }
    // The ceiling for eight pushes at once (the 8-client push cells).
    for (const size of [4 * MiB, 256 * MiB]) {
      const r = await parallelHashWriteLimit(dir, size, 8);
      limitRows.push({ 'sha256 + write + fdatasync + rename, no HTTP': `${size / MiB} MiB × 8 at once`, 'MiB/s': r.mibPerSec, 'CPU ms/MiB': r.cpuMsPerMiB });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
agent.destroy();
for (const t of [rows, manifestRows, startRows, memRows, limitRows]) {
  if (t.length === 0) continue;
  console.log(table(t));
  console.log();
}
