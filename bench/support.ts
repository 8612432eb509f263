import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { npmStart } from '../test/support/npm-start.js';

export const ROOT = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
export const REPO_ROOT = join(import.meta.dirname, '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface Target {
  name: string;
  url: string;
  child: ChildProcess;
  /** ms from spawn to the first answered request */
  startupMs: number;
  stop(): Promise<void>;
}

async function waitFor(url: string, probe: () => Promise<boolean>, child: ChildProcess, started: number): Promise<number> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited with ${child.exitCode}`);
    try {
      if (await probe()) return performance.now() - started;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
}

let built = false;

/** simfra as its own process, the way `npm start` runs it (the bundle), in memory unless env says otherwise. */
export async function startSimfra(env: Record<string, string> = {}, nodeArgs: readonly string[] = []): Promise<Target> {
  if (!built) {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
    built = true;
  }
  const port = await freePort();
  const started = performance.now();
  const start = npmStart(REPO_ROOT);
  const child = spawn(process.execPath, [...start.nodeArgs, ...nodeArgs, 'dist/main.mjs'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...start.env, SIMFRA_PORT: String(port), SIMFRA_HOST: '127.0.0.1', SIMFRA_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const client = new JsonClient(url, 'ecr');
  const startupMs = await waitFor(url, async () => (await client.call('AmazonEC2ContainerRegistry_V20150921.DescribeRepositories', '{}')).status === 200, child, started);
  client.close();
  return { name: 'simfra', url, child, startupMs, stop: stopper(child) };
}

/** Whether moto's standalone server is installed (it comes with the Python moto package). */
export function hasMoto(): boolean {
  try {
    execFileSync('which', ['moto_server'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** moto's standalone server, the reference peer. */
export async function startMoto(): Promise<Target> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'ignore'] });
  const url = `http://127.0.0.1:${port}`;
  const client = new JsonClient(url, 'ecr');
  const startupMs = await waitFor(url, async () => (await client.call('AmazonEC2ContainerRegistry_V20150921.DescribeRepositories', '{}')).status === 200, child, started);
  client.close();
  return { name: 'moto', url, child, startupMs, stop: stopper(child) };
}

/** A lean signed JSON 1.1 client over keep-alive connections, so the load generator stays cheap. */
export class JsonClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly signer: SignatureV4;
  private readonly host: string;
  private readonly port: number;

  constructor(
    url: string,
    service: string,
    credentials = ROOT,
    region = 'us-east-1',
  ) {
    const u = new URL(url);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.signer = new SignatureV4({ credentials, region, service, sha256: Hash.bind(null, 'sha256') });
  }

  async sign(target: string, body: string): Promise<Record<string, string>> {
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: this.host,
      port: this.port,
      path: '/',
      query: {},
      headers: { host: `${this.host}:${this.port}`, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
      body,
    });
    return signed.headers as Record<string, string>;
  }

  send(headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: this.host, port: this.port, method: 'POST', path: '/', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, agent: this.agent },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  async call(target: string, body: string): Promise<{ status: number; body: string }> {
    return this.send(await this.sign(target, body), body);
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  opsPerSec: number;
  p50: number;
  p99: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `op` from `concurrency` loops for `seconds` (bounded), collecting latencies in ms. */
export async function load(op: () => Promise<boolean>, concurrency: number, seconds: number, maxRequests = 200_000): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < deadline && latencies.length + errors < maxRequests) {
      const t0 = performance.now();
      const ok = await op().catch(() => false);
      if (ok) latencies.push(performance.now() - t0);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    seconds: elapsed,
    opsPerSec: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

export function table(rows: Record<string, string | number>[]): string {
  const cols = Object.keys(rows[0] ?? {});
  const fmt = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => fmt(r[c] ?? '').length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => fmt(r[c] ?? ''))))].join('\n');
}

/** Resident MiB of the process by mapping (malloc heap, V8's anonymous memory, the node binary). */
export function memoryMap(pid: number): string {
  const rss = new Map<string, number>();
  let name = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) name = m[1] === '' ? '[anon]' : m[1]!;
    else if (line.startsWith('Rss:')) rss.set(name, (rss.get(name) ?? 0) + Number(line.split(/\s+/)[1]) / 1024);
  }
  return [...rss].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([n, mib]) => `${mib.toFixed(1).padStart(7)} MiB ${n}`).join('\n');
}

