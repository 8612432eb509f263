/**
 * A local CNCF distribution registry (Debian's `docker-registry`, 2.8) standing in for an
 * upstream of the pull-through cache (Docker Hub, Quay, …): filesystem storage in a temp dir,
 * on a free loopback port, optionally behind htpasswd (Basic) auth. Tests skip, naming the tool,
 * when it is missing.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { basic, httpRequest, sha256 } from './registry.js';
import { tempDir } from './server.js';

export const DOCKER_REGISTRY_BIN = process.env.SIMFRA_DOCKER_REGISTRY ?? '/usr/bin/docker-registry';

/** Why the tests cannot run a local registry, or undefined. */
export function dockerRegistryUnavailable(): string | undefined {
  return existsSync(DOCKER_REGISTRY_BIN) ? undefined : `docker-registry not installed (apt-get install docker-registry)`;
}

export interface UpstreamRegistry {
  port: number;
  url: string;
  /** The Authorization header value for pushes (undefined without auth). */
  auth: string | undefined;
  /** Pushes the blobs, then the manifest under `reference`; returns the manifest digest. */
  pushImage(name: string, reference: string, image: { manifest: Buffer; mediaType: string; blobs: readonly Buffer[] }): Promise<string>;
  /** Pushes one blob from a stream of known digest and size (large blobs, never held). */
  pushBlobStream(name: string, digest: string, size: number, body: () => Readable): Promise<void>;
  pushManifest(name: string, reference: string, manifest: Buffer, mediaType: string): Promise<string>;
  stop(): Promise<void>;
  /** Starts it again on the same port and storage. */
  start(): Promise<void>;
  /** Stops it and removes its storage. */
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A bcrypt htpasswd line (docker-registry accepts bcrypt only), made with perl's crypt(3). */
function htpasswdLine(user: string, password: string): string {
  const salt = Buffer.from(Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 0xff)).toString('base64').replace(/[+=]/g, '.').slice(0, 22);
  const hash = execFileSync('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, `$2b$05$${salt}`], { encoding: 'utf8' });
  if (!hash.startsWith('$2')) throw new Error('perl crypt(3) cannot make bcrypt hashes here');
  return `${user}:${hash}\n`;
}

export async function startUpstreamRegistry(opts: { username?: string; password?: string } = {}): Promise<UpstreamRegistry> {
  const dir = tempDir('simfra-upstream-');
  let port = await freePort();
  mkdirSync(join(dir.path, 'data'));
  let authConfig = '';
  if (opts.username !== undefined && opts.password !== undefined) {
    writeFileSync(join(dir.path, 'htpasswd'), htpasswdLine(opts.username, opts.password));
    authConfig = `auth:\n  htpasswd:\n    realm: upstream\n    path: ${join(dir.path, 'htpasswd')}\n`;
  }
  const configPath = join(dir.path, 'config.yml');
  const writeConfig = () =>
    writeFileSync(
      configPath,
      `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir.path, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${authConfig}`,
    );
  writeConfig();
  const auth = opts.username !== undefined && opts.password !== undefined ? basic(opts.password, opts.username) : undefined;
  let child: ChildProcess | undefined;
  let out = '';

  const start = async () => {
    child = spawn(DOCKER_REGISTRY_BIN, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const res = await httpRequest(port, 'GET', '/v2/');
        if (res.status === 200 || res.status === 401) {
          // Whoever answered, it must be ours: a registry that could not bind has exited by now.
          await new Promise((r) => setTimeout(r, 100));
          if (child.exitCode === null) return;
        }
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`docker-registry did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };
  // Another test process may take the free port first: try a few.
  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (e) {
      await stop();
      if (attempt === 3) throw e;
      port = await freePort();
      writeConfig();
    }
  }

  const request = (method: string, path: string, o: { body?: Buffer | Readable; headers?: Record<string, string | number> } = {}) =>
    httpRequest(port, method, path, { ...o, ...(auth !== undefined ? { auth } : {}) });

  async function pushBlobBody(name: string, digest: string, size: number, body: Buffer | (() => Readable)): Promise<void> {
    const head = await request('HEAD', `/v2/${name}/blobs/${digest}`);
    if (head.status === 200) return;
    const started = await request('POST', `/v2/${name}/blobs/uploads/`);
    if (started.status !== 202) throw new Error(`upstream upload start: ${started.status} ${started.text}`);
    const location = new URL(String(started.headers.location), `http://127.0.0.1:${port}`);
    location.searchParams.set('digest', digest);
    const res = await request('PUT', `${location.pathname}${location.search}`, {
      body: Buffer.isBuffer(body) ? body : body(),
      headers: { 'content-type': 'application/octet-stream', 'content-length': size },
    });
    if (res.status !== 201) throw new Error(`upstream upload ${digest}: ${res.status} ${res.text}`);
  }

  const pushManifest = async (name: string, reference: string, manifest: Buffer, mediaType: string) => {
    const res = await request('PUT', `/v2/${name}/manifests/${reference}`, { body: manifest, headers: { 'content-type': mediaType } });
    if (res.status !== 201) throw new Error(`upstream manifest ${name}:${reference}: ${res.status} ${res.text}`);
    return String(res.headers['docker-content-digest']);
  };

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    auth,
    async pushImage(name, reference, image) {
      for (const blob of image.blobs) await pushBlobBody(name, sha256(blob), blob.length, blob);
      return pushManifest(name, reference, image.manifest, image.mediaType);
    },
    pushBlobStream: (name, digest, size, body) => pushBlobBody(name, digest, size, body),
    pushManifest,
    stop,
    start,
    async close() {
      await stop();
      dir.remove();
    },
  };
}
