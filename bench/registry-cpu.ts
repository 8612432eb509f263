/**
 * simfra's server CPU per MiB on the registry data path, with little else in the way: one client
 * pushes then pulls blobs over keep-alive, the server's user+system CPU is read from /proc before
 * and after each phase. On a busy machine CPU time says more than throughput does.
 *
 *   node --import tsx bench/registry-cpu.ts [--pushes=N] [--pulls=N]
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonClient, memoryMap, startSimfra, table } from './support.js';

const MiB = 1024 * 1024;
const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const pattern = randomBytes(MiB);

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

function call(port: number, auth: string, method: string, path: string, body?: (req: import('node:http').ClientRequest) => void, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: import('node:http').IncomingHttpHeaders; bytes: number }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent, headers: { authorization: auth, ...headers } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes }));
    });
    req.on('error', reject);
    if (body) body(req);
    else req.end();
  });
}

async function push(port: number, auth: string, size: number, id: number): Promise<string> {
  const start = await call(port, auth, 'POST', '/v2/bench/cpu/blobs/uploads/');
  const hash = createHash('sha256');
  const patch = await call(port, auth, 'PATCH', String(start.headers.location), (req) => {
    let sent = 0;
    const write = () => {
      while (sent < size) {
        const chunk = Buffer.from(pattern.subarray(0, Math.min(MiB, size - sent)));
        chunk.writeUInt32BE(id, 0);
        chunk.writeUInt32BE(sent / MiB, 4);
        hash.update(chunk);
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  }, { 'content-type': 'application/octet-stream' });
  const digest = `sha256:${hash.digest('hex')}`;
  const put = await call(port, auth, 'PUT', `${String(patch.headers.location)}?digest=${digest}`, (req) => req.end());
  if (put.status !== 201) throw new Error(`push: ${put.status}`);
  return digest;
}

const dir = mkdtempSync(join(tmpdir(), 'simfra-bench-'));
const target = await startSimfra({ SIMFRA_DATA_DIR: dir, SIMFRA_LOG_LEVEL: process.env.SIMFRA_LOG_LEVEL ?? 'info' }, (process.env.BENCH_SIMFRA_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''));
const pid = target.child.pid!;
if (process.env.BENCH_PRINT_PID !== undefined) console.error(`simfra pid ${pid}`);
const port = Number(new URL(target.url).port);
const api = new JsonClient(target.url, 'ecr');
await api.call('AmazonEC2ContainerRegistry_V20150921.CreateRepository', '{"repositoryName":"bench/cpu"}');
const token = (JSON.parse((await api.call('AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken', '{}')).body) as { authorizationData: { authorizationToken: string }[] }).authorizationData[0]!.authorizationToken;
api.close();
const auth = `Basic ${token}`;
const rows: Record<string, string | number>[] = [];
try {
  // Warm up (JIT, lazily loaded modules), unmeasured.
  for (let i = 0; i < 5; i++) {
    const d = await push(port, auth, 4 * MiB, 1000 + i);
    await call(port, auth, 'GET', `/v2/bench/cpu/blobs/${d}`);
  }
  for (const [size, n] of [[4 * MiB, arg('pushes', 20)], [64 * MiB, Math.max(1, Math.round(arg('pushes', 20) / 5))]] as const) {
    let cpu = cpuSeconds(pid);
    let t = performance.now();
    const digests: string[] = [];
    for (let i = 0; i < n; i++) digests.push(await push(port, auth, size, i + size));
    const pushMs = performance.now() - t;
    const pushCpu = cpuSeconds(pid) - cpu;
    const pulls = arg('pulls', 3);
    cpu = cpuSeconds(pid);
    t = performance.now();
    for (let r = 0; r < pulls; r++) {
      for (const d of digests) {
        const res = await call(port, auth, 'GET', `/v2/bench/cpu/blobs/${d}`);
        if (res.status !== 200 || res.bytes !== size) throw new Error(`pull: ${res.status} ${res.bytes}`);
      }
    }
    const pullMs = performance.now() - t;
    const pullCpu = cpuSeconds(pid) - cpu;
    const mib = (size * n) / MiB;
    rows.push({
      blob: `${size / MiB} MiB × ${n}`,
      'push MiB/s': mib / (pushMs / 1000),
      'push CPU ms/MiB': (pushCpu * 1000) / mib,
      'pull MiB/s': (mib * pulls) / (pullMs / 1000),
      'pull CPU ms/MiB': (pullCpu * 1000) / (mib * pulls),
    });
  }
  if (process.env.BENCH_SMAPS !== undefined) console.log(memoryMap(pid));
  rows.push({ blob: 'peak RSS MiB', 'push MiB/s': Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024 });
} finally {
  agent.destroy();
  await target.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(table(rows));
