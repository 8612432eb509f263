/**
 * A Docker Engine API client over node:http: the dozen calls the runtime makes (ping, load an
 * image, inspect it, create / start / remove containers, list them by label, follow their logs).
 * Chosen over dockerode because those calls are small and stable, while dockerode's modem pulls in
 * ssh2 (and its optional native addon), which the esbuild bundle would have to special-case.
 * Paths are pinned to API v1.41 (Engine 20.10, the oldest engine we meet; newer engines answer
 * older versions unchanged).
 */
import { request, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

export const API_VERSION = 'v1.41';

export class EngineError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/** Where the engine listens: a unix socket path, or a TCP host and port. */
export type EngineAddress = { socketPath: string } | { host: string; port: number };

/** DOCKER_HOST (`unix:///path`, `tcp://host:port`) or the default socket. */
export function engineAddress(dockerHost: string | undefined): EngineAddress {
  if (!dockerHost) return { socketPath: '/var/run/docker.sock' };
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  const m = /^(?:tcp|http):\/\/([^:/]+):(\d+)\/?$/.exec(dockerHost);
  if (m) return { host: m[1]!, port: Number(m[2]) };
  throw new Error(`DOCKER_HOST must be unix:///path or tcp://host:port, got '${dockerHost}'`);
}

export interface ContainerSpec {
  name?: string;
  Image: string;
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  Labels?: Record<string, string>;
  HostConfig?: { NetworkMode?: string; Memory?: number; AutoRemove?: boolean; Init?: boolean };
}

export interface ContainerSummary {
  Id: string;
  Labels: Record<string, string>;
  State: string;
}

export class DockerEngine {
  constructor(private readonly address: EngineAddress) {}

  private raw(method: string, path: string, body?: Readable | Buffer | string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          ...('socketPath' in this.address ? { socketPath: this.address.socketPath } : { host: this.address.host, port: this.address.port }),
          method,
          path: `/${API_VERSION}${path}`,
          headers: { host: 'docker', ...headers },
        },
        resolve,
      );
      req.on('error', reject);
      if (body instanceof Readable) {
        body.on('error', (e) => req.destroy(e));
        body.pipe(req);
      } else {
        req.end(body);
      }
    });
  }

  private async call<T>(method: string, path: string, body?: unknown, ok: readonly number[] = [200, 201, 204]): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const res = await this.raw(method, path, payload, payload === undefined ? {} : { 'content-type': 'application/json' });
    const text = await readAll(res);
    if (!ok.includes(res.statusCode ?? 0)) throw new EngineError(res.statusCode ?? 0, engineMessage(text));
    return (text.length > 0 && String(res.headers['content-type']).includes('json') ? JSON.parse(text) : undefined) as T;
  }

  /** The engine's version; rejects when it cannot be reached. */
  async version(): Promise<{ Version: string; ApiVersion: string; Os: string; Arch: string }> {
    return this.call('GET', '/version');
  }

  async imageExists(ref: string): Promise<boolean> {
    try {
      await this.call('GET', `/images/${encodeURIComponent(ref)}/json`);
      return true;
    } catch (e) {
      if (e instanceof EngineError && e.status === 404) return false;
      throw e;
    }
  }

  /** `docker load` of a docker-archive tar stream; resolves once the engine has it. */
  async loadImage(tar: Readable): Promise<void> {
    const res = await this.raw('POST', '/images/load?quiet=1', tar, { 'content-type': 'application/x-tar' });
    const text = await readAll(res);
    if (res.statusCode !== 200) throw new EngineError(res.statusCode ?? 0, engineMessage(text));
    // Errors after the headers come as a JSON message in the stream.
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const msg = JSON.parse(line) as { error?: string; errorDetail?: { message?: string } };
      if (msg.error) throw new EngineError(500, msg.errorDetail?.message ?? msg.error);
    }
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const name = spec.name ? `?name=${encodeURIComponent(spec.name)}` : '';
    const { name: _n, ...body } = spec;
    const out = await this.call<{ Id: string }>('POST', `/containers/create${name}`, body);
    return out.Id;
  }

  async startContainer(id: string): Promise<void> {
    await this.call('POST', `/containers/${id}/start`, undefined, [204, 304]);
  }

  async removeContainer(id: string): Promise<void> {
    await this.call('DELETE', `/containers/${id}?force=1&v=1`, undefined, [204, 404, 409]);
  }

  /** Containers (running or not) carrying every label given (`key=value` or `key`). */
  async listContainers(labels: readonly string[]): Promise<ContainerSummary[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: labels }));
    return this.call('GET', `/containers/json?all=1&filters=${filters}`);
  }

  async waitContainer(id: string): Promise<{ StatusCode: number }> {
    return this.call('POST', `/containers/${id}/wait?condition=not-running`);
  }

  /**
   * Follows the container's stdout and stderr from its start; `onData` gets each chunk of output
   * (the engine's 8-byte frame headers removed). Resolves once the stream is open.
   */
  async followLogs(id: string, onData: (chunk: Buffer) => void): Promise<() => void> {
    const res = await this.raw('GET', `/containers/${id}/logs?follow=1&stdout=1&stderr=1`);
    if (res.statusCode !== 200) throw new EngineError(res.statusCode ?? 0, engineMessage(await readAll(res)));
    const deframe = deframer(onData);
    res.on('data', deframe);
    res.on('error', () => undefined);
    return () => res.destroy();
  }
}

/** Splits the engine's multiplexed stream (`[stream, 0, 0, 0, size(4 bytes BE)] payload`). */
function deframer(onData: (chunk: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      onData(pending.subarray(8, 8 + size));
      pending = pending.subarray(8 + size);
    }
  };
}

async function readAll(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function engineMessage(text: string): string {
  try {
    return (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    return text;
  }
}
