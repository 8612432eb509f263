/**
 * The container runtime Lambda and ECS share. It knows images (simfra's own store), IAM (who may
 * pull what) and the Docker Engine, and nothing of the services that use it.
 *
 * Images reach the engine by `docker load` of an archive streamed from the blob store, after the
 * IAM engine has allowed the pull (ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on the
 * repository) for the principal the calling service names: no registry round trip, no /etc/hosts
 * line, any account and region. The engine keeps the image under its config digest (its image
 * id), so an image already loaded is not loaded again.
 *
 * Every container carries labels that tie it to this process (`simfra.managed`, `simfra.instance`,
 * `simfra.host`, `simfra.pid`, plus the caller's own): close() removes this instance's containers,
 * and start-up removes those of a simfra process on this host that is gone (a crash).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { AuthzSubject, PolicyAuthorizer } from '../iam/authorize.js';
import type { Images } from '../images/images.js';
import type { Digest } from '../oci/digest.js';
import type { RepoKey } from '../store/meta/meta-store.js';
import { DockerEngine, engineAddress, type ContainerSpec } from './engine.js';
import { dockerArchive, type BlobRef } from './image-archive.js';

export const LABELS = {
  managed: 'simfra.managed',
  instance: 'simfra.instance',
  host: 'simfra.host',
  pid: 'simfra.pid',
} as const;

/** Who pulls the image: a principal (the caller), or an AWS service acting for an account. */
export type ImageAccess =
  | { kind: 'principal'; subject: AuthzSubject }
  | { kind: 'service'; service: string; sourceAccount: string; sourceArn?: string; now: Date };

export class ImageAccessDenied extends Error {}

/** Why containers cannot run: SIMFRA_DOCKER is off, or the engine is out of reach. */
export class RuntimeUnavailable extends Error {}

export interface RunSpec {
  /** The engine's image id (from ensureImage). */
  image: string;
  name: string;
  entrypoint?: string[];
  cmd?: string[];
  env: Record<string, string>;
  workingDir?: string;
  memoryMb: number;
  labels: Record<string, string>;
}

/** What a container wrote (stdout and stderr together), capped to its last `OUTPUT_CAP` bytes. */
const OUTPUT_CAP = 256 * 1024;

export class RunningContainer {
  #chunks: Buffer[] = [];
  #held = 0;
  /** Bytes written since start (including those no longer held). */
  written = 0;
  #stopLogs: (() => void) | undefined;
  readonly exited: Promise<number>;

  constructor(
    readonly id: string,
    private readonly runtime: ContainerRuntime,
    exited: Promise<number>,
  ) {
    this.exited = exited;
  }

  /** @internal */
  attach(stop: () => void): void {
    this.#stopLogs = stop;
  }

  /** @internal */
  append(chunk: Buffer): void {
    this.#chunks.push(Buffer.from(chunk));
    this.#held += chunk.length;
    this.written += chunk.length;
    while (this.#held - (this.#chunks[0]?.length ?? 0) >= OUTPUT_CAP) this.#held -= this.#chunks.shift()!.length;
  }

  /** Output written since `offset` (a past value of `written`), as far as it is still held. */
  outputSince(offset: number): Buffer {
    let want = Math.min(this.written - offset, this.#held);
    const parts: Buffer[] = [];
    for (let i = this.#chunks.length - 1; i >= 0 && want > 0; i--) {
      const c = this.#chunks[i]!;
      parts.unshift(c.length <= want ? c : c.subarray(c.length - want));
      want -= c.length;
    }
    return Buffer.concat(parts);
  }

  async remove(): Promise<void> {
    this.#stopLogs?.();
    await this.runtime.remove(this.id);
  }
}

export interface RuntimeOptions {
  dockerHost: string | undefined;
  network: string;
  images: Images;
  authorizer: PolicyAuthorizer;
  log: Logger;
}

export class ContainerRuntime {
  readonly instanceId = randomUUID();
  readonly #engine: DockerEngine;
  readonly #loading = new Map<string, Promise<string>>();
  readonly #containers = new Set<string>();

  private constructor(
    private readonly opts: RuntimeOptions,
    engine: DockerEngine,
  ) {
    this.#engine = engine;
  }

  /** Connects to the engine; one clear log line and `RuntimeUnavailable` when it cannot. */
  static async connect(opts: RuntimeOptions): Promise<ContainerRuntime> {
    let engine: DockerEngine;
    try {
      engine = new DockerEngine(engineAddress(opts.dockerHost));
    } catch (e) {
      throw new RuntimeUnavailable((e as Error).message);
    }
    const where = opts.dockerHost ?? 'unix:///var/run/docker.sock';
    try {
      const v = await engine.version();
      opts.log.info({ docker: where, version: v.Version, network: opts.network }, `containers: Docker Engine ${v.Version} at ${where}, network ${opts.network}`);
    } catch (e) {
      throw new RuntimeUnavailable(`the Docker Engine at ${where} cannot be reached (${(e as Error).message})`);
    }
    const runtime = new ContainerRuntime(opts, engine);
    await runtime.reapOrphans();
    return runtime;
  }

  /** How a container reaches simfra on `port`. */
  endpointHost(): string {
    return this.opts.network === 'host' ? '127.0.0.1' : 'host.docker.internal';
  }

  /**
   * Makes the image `digest` (an image manifest, not an index) of `repo` available to the engine,
   * once `access` may pull it. Returns the engine's image id.
   */
  async ensureImage(repo: RepoKey, digest: Digest, access: ImageAccess): Promise<string> {
    await this.#authorizePull(repo, access);
    const { manifest } = await this.opts.images.getManifest(repo, { kind: 'digest', digest });
    const parsed = JSON.parse(manifest.toString('utf8')) as { config?: BlobRef; layers?: BlobRef[] };
    if (!parsed.config || !Array.isArray(parsed.layers)) throw new Error(`image ${digest} is not an image manifest`);
    const imageId = `sha256:${parsed.config.digest.slice(parsed.config.digest.indexOf(':') + 1)}`;
    let loading = this.#loading.get(imageId);
    if (!loading) {
      loading = (async () => {
        if (await this.#engine.imageExists(imageId)) return imageId;
        const tag = `simfra.local/${repo.accountId}/${repo.region}/${repo.name}:${digest.slice(7, 19)}`;
        const content = {
          config: parsed.config!,
          layers: parsed.layers!,
          read: async (d: string) => (await this.opts.images.readLayer(repo, d as Digest)).stream,
        };
        await this.#engine.loadImage(dockerArchive(content, tag));
        return imageId;
      })();
      this.#loading.set(imageId, loading);
      loading.catch(() => this.#loading.delete(imageId));
    }
    return loading;
  }

  async #authorizePull(repo: RepoKey, access: ImageAccess): Promise<void> {
    const resource = `arn:aws:ecr:${repo.region}:${repo.accountId}:repository/${repo.name}`;
    const requests = [
      { action: 'ecr:BatchGetImage', resource },
      { action: 'ecr:GetDownloadUrlForLayer', resource },
    ];
    if (access.kind === 'principal') {
      await this.opts.authorizer.authorize(access.subject, requests);
      return;
    }
    const decision = await this.opts.authorizer.authorizeService(
      { name: access.service, sourceAccount: access.sourceAccount, ...(access.sourceArn !== undefined ? { sourceArn: access.sourceArn } : {}) },
      requests,
      access.now,
    );
    if (!decision.allowed) throw new ImageAccessDenied(decision.message);
  }

  /** Creates and starts a container; its output is followed from the start. */
  async start(spec: RunSpec): Promise<RunningContainer> {
    const body: ContainerSpec = {
      name: spec.name,
      Image: spec.image,
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      Labels: {
        ...spec.labels,
        [LABELS.managed]: 'true',
        [LABELS.instance]: this.instanceId,
        [LABELS.host]: hostname(),
        [LABELS.pid]: String(process.pid),
      },
      HostConfig: { NetworkMode: this.opts.network, Memory: spec.memoryMb * 1024 * 1024 },
      ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
      ...(spec.cmd ? { Cmd: spec.cmd } : {}),
      ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
    };
    const id = await this.#engine.createContainer(body);
    this.#containers.add(id);
    try {
      let resolveExit!: (code: number) => void;
      const exited = new Promise<number>((r) => (resolveExit = r));
      const container = new RunningContainer(id, this, exited);
      await this.#engine.startContainer(id);
      container.attach(await this.#engine.followLogs(id, (c) => container.append(c)));
      this.#engine.waitContainer(id).then(
        (r) => resolveExit(r.StatusCode),
        () => resolveExit(-1),
      );
      return container;
    } catch (e) {
      await this.remove(id);
      throw e;
    }
  }

  async remove(id: string): Promise<void> {
    this.#containers.delete(id);
    await this.#engine.removeContainer(id).catch((err: unknown) => this.opts.log.warn({ err, id }, 'removing a container failed'));
  }

  /** Removes containers left by a simfra process of this host that no longer runs. */
  async reapOrphans(): Promise<number> {
    const mine = await this.#engine.listContainers([`${LABELS.managed}=true`, `${LABELS.host}=${hostname()}`]);
    let removed = 0;
    for (const c of mine) {
      const pid = Number(c.Labels[LABELS.pid]);
      if (c.Labels[LABELS.instance] === this.instanceId || (Number.isInteger(pid) && pid > 0 && alive(pid))) continue;
      await this.remove(c.Id);
      removed++;
    }
    if (removed > 0) this.opts.log.info({ removed }, `containers: removed ${removed} container(s) left by a stopped simfra`);
    return removed;
  }

  /** Removes every container this instance started. */
  async close(): Promise<void> {
    const mine = await this.#engine.listContainers([`${LABELS.instance}=${this.instanceId}`]).catch(() => []);
    const ids = new Set([...this.#containers, ...mine.map((c) => c.Id)]);
    await Promise.all([...ids].map((id) => this.remove(id)));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
