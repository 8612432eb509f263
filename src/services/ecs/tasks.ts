/**
 * Task lifecycle: PROVISIONING → PENDING (the pull) → RUNNING → DEPROVISIONING → STOPPED, as
 * DescribeTasks reports it. The pull is done as AWS does it: with the authority of the task
 * definition's execution role (assumed as ecs-tasks.amazonaws.com), through the IAM engine, so a
 * role without ecr:GetAuthorizationToken / ecr:BatchGetImage / ecr:GetDownloadUrlForLayer, a
 * repository policy refusing another account, or a missing tag or repository stops the task with
 * TaskFailedToStart and the texts AWS shows. Containers then run in the shared container runtime
 * when there is one; without it the task stops with a reason saying how to enable containers.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import { ImageAccessDenied, type ContainerRuntime, type RunningContainer } from '../../containers/runtime.js';
import { parseImageUri } from '../../containers/image-uri.js';
import { AccessDeniedError, type AuthzSubject, type PolicyAuthorizer } from '../../iam/authorize.js';
import type { StsSessions, IssuedSession } from '../../iam/sessions.js';
import { rootPrincipal, servicePrincipal, type AssumedRolePrincipal, type Principal } from '../../iam/principal.js';
import type { Images } from '../../images/images.js';
import { ImageError } from '../../images/errors.js';
import type { Digest } from '../../oci/digest.js';
import type { MetaStore } from '../../store/meta/meta-store.js';
import { texts } from './messages.js';
import type { Ids } from '../../ids.js';
import { InvalidParameterException } from '../../model/ecs/errors.js';
import type { Tag, TaskOverride } from '../../model/ecs/types.js';
import { arns, type ClusterRecord, type ContainerRecord, type TaskDefinitionRecord, type TaskRecord, type TaskStatus } from './records.js';

export const ECS_TASKS_SERVICE = 'ecs-tasks.amazonaws.com';

export interface TaskEndpoints {
  /** Registers the task's role credentials and metadata; returns the env vars its containers get. */
  register(task: TaskRecord, def: TaskDefinitionRecord, roleCredentials: IssuedSession | undefined, renew: () => Promise<IssuedSession>): Record<string, string>;
  /** The per-container env (ECS_CONTAINER_METADATA_URI_V4). */
  containerEnv(task: TaskRecord, container: string): Record<string, string>;
  forget(taskId: string): void;
}

export interface EcsTasksDeps {
  meta: MetaStore;
  images: Images;
  authorizer: PolicyAuthorizer;
  sessions: StsSessions;
  clock: Clock;
  ids: Ids;
  log: Logger;
  registryDomain: string;
  /** The runtime, or why containers do not run. */
  runtime: () => ContainerRuntime | string;
  endpoints: () => TaskEndpoints | undefined;
  endpointUrl: () => string;
  /** Called after a task stops (the service scheduler replaces it). */
  onStopped?: (task: TaskRecord) => void;
}

interface Live {
  containers: Map<string, RunningContainer>;
  stopping?: { code: string; reason: string };
  done: Promise<void>;
}

/** A pull refused or impossible: the task stops with TaskFailedToStart and this reason. */
class PullFailure extends Error {}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[^/]+\/)*([^/]+)$/;

/**
 * The launch type a task of `def` runs with, or InvalidParameterException. No container instances
 * here: a task without a launch type runs as on Fargate when its definition allows it, else as
 * EC2 would (the same containers either way).
 */
export function launchTypeFor(def: TaskDefinitionRecord, launchType: string | undefined, networkConfiguration: unknown): string {
  const chosen = launchType ?? (def.compatibilities.includes('FARGATE') ? 'FARGATE' : 'EC2');
  if (!def.compatibilities.includes(chosen)) throw new InvalidParameterException(texts.launchTypeUnsupported(chosen));
  if (def.networkMode === 'awsvpc' && networkConfiguration === undefined) throw new InvalidParameterException(texts.networkConfigurationRequired);
  return chosen;
}

export class EcsTasks {
  readonly #live = new Map<string, Live>();

  constructor(private readonly deps: EcsTasksDeps) {}

  #key(t: { accountId: string; region: string; taskId: string }) {
    return { accountId: t.accountId, region: t.region, kind: 'task', name: t.taskId };
  }

  #now(): string {
    return this.deps.clock.now().toISOString();
  }

  async #set(task: TaskRecord, change: Partial<TaskRecord>): Promise<TaskRecord> {
    const next = await this.deps.meta.ecs.update<TaskRecord>(this.#key(task), (t) => ({ ...t, ...change, version: t.version + 1 }));
    return next ?? task;
  }

  async #setContainer(task: TaskRecord, name: string, change: Partial<ContainerRecord>): Promise<void> {
    await this.deps.meta.ecs.update<TaskRecord>(this.#key(task), (t) => ({
      ...t,
      version: t.version + 1,
      containers: t.containers.map((c) => (c.name === name ? { ...c, ...change } : c)),
    }));
  }

  /**
   * RunTask / the scheduler: checks the launch, stores the task as PROVISIONING and starts its
   * lifecycle in the background.
   */
  async create(
    w: { accountId: string; region: string },
    cluster: ClusterRecord,
    def: TaskDefinitionRecord,
    opts: { launchType?: string; networkConfiguration?: unknown; overrides: TaskOverride; startedBy?: string; group: string; tags: Tag[]; serviceName?: string },
  ): Promise<TaskRecord> {
    const launchType = launchTypeFor(def, opts.launchType, opts.networkConfiguration);
    const taskId = this.deps.ids.uuid().replace(/-/g, '');
    const now = this.#now();
    const task: TaskRecord = {
      ...w,
      taskId,
      arn: arns.task(w.region, w.accountId, cluster.name, taskId),
      clusterArn: cluster.arn,
      clusterName: cluster.name,
      taskDefinitionArn: def.arn,
      family: def.family,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      launchType,
      ...(def.cpu !== undefined ? { cpu: def.cpu } : {}),
      ...(def.memory !== undefined ? { memory: def.memory } : {}),
      containers: def.containerDefinitions.map((c) => ({
        name: c.name!,
        arn: arns.container(w.region, w.accountId, cluster.name, taskId, this.deps.ids.uuid()),
        image: c.image!,
        lastStatus: 'PENDING',
        essential: c.essential !== false,
        cpu: String(c.cpu ?? 0),
        ...(c.memory !== undefined ? { memory: String(c.memory) } : {}),
      })),
      overrides: opts.overrides,
      ...(opts.startedBy !== undefined ? { startedBy: opts.startedBy } : {}),
      ...(opts.serviceName !== undefined ? { serviceName: opts.serviceName } : {}),
      group: opts.group,
      tags: opts.tags,
      version: 1,
      createdAt: now,
    };
    await this.deps.meta.ecs.put(this.#key(task), task);
    this.launch(task, def);
    return task;
  }

  /** Starts the lifecycle of a task just stored as PROVISIONING; returns at once. */
  launch(task: TaskRecord, def: TaskDefinitionRecord): void {
    const live: Live = { containers: new Map(), done: Promise.resolve() };
    live.done = this.#run(task, def, live).catch((err: unknown) => {
      this.deps.log.warn({ err, task: task.arn }, 'ecs: task failed');
      return this.#finish(task, live, 'TaskFailedToStart', `simfra: ${(err as Error).message}`).then(() => undefined);
    });
    this.#live.set(task.arn, live);
  }

  /** StopTask and the scheduler: stops the containers; the task reaches STOPPED when they are gone. */
  async stop(task: TaskRecord, code: string, reason: string): Promise<TaskRecord> {
    if (task.lastStatus === 'STOPPED') return task;
    const live = this.#live.get(task.arn);
    const updated = await this.#set(task, { desiredStatus: 'STOPPED', stoppingAt: task.stoppingAt ?? this.#now(), stopCode: code, stoppedReason: reason });
    if (!live) {
      return this.#finish(updated, undefined, code, reason);
    }
    live.stopping ??= { code, reason };
    await Promise.all([...live.containers.values()].map((c) => c.remove()));
    return updated;
  }

  /** Waits for every task's lifecycle (close). */
  async close(): Promise<void> {
    const all = [...this.#live.values()];
    for (const l of all) l.stopping ??= { code: 'TerminationNotice', reason: texts.restarted };
    await Promise.all(all.flatMap((l) => [...l.containers.values()].map((c) => c.remove())));
    await Promise.all(all.map((l) => l.done));
  }

  /** At start: tasks a previous process left unfinished are stopped (their containers are gone). */
  async resume(): Promise<void> {
    for (const t of await this.deps.meta.ecs.all<TaskRecord>('task')) {
      if (t.lastStatus !== 'STOPPED' && !this.#live.has(t.arn)) await this.#finish(t, undefined, 'TerminationNotice', texts.restarted);
    }
  }

  async #finish(task: TaskRecord, live: Live | undefined, code: string, reason: string, containerReason?: string): Promise<TaskRecord> {
    const now = this.#now();
    await this.#set(task, { lastStatus: 'DEPROVISIONING', desiredStatus: 'STOPPED', stoppingAt: task.stoppingAt ?? now, executionStoppedAt: now });
    const stopped = await this.deps.meta.ecs.update<TaskRecord>(this.#key(task), (t) => ({
      ...t,
      version: t.version + 1,
      lastStatus: 'STOPPED' as TaskStatus,
      desiredStatus: 'STOPPED' as const,
      stopCode: live?.stopping?.code ?? t.stopCode ?? code,
      stoppedReason: live?.stopping?.reason ?? t.stoppedReason ?? reason,
      stoppingAt: t.stoppingAt ?? now,
      executionStoppedAt: t.executionStoppedAt ?? now,
      stoppedAt: now,
      containers: t.containers.map((c) => ({
        ...c,
        lastStatus: 'STOPPED',
        ...(c.reason === undefined && containerReason !== undefined && c.exitCode === undefined ? { reason: containerReason } : {}),
      })),
    }));
    this.#live.delete(task.arn);
    this.deps.endpoints()?.forget(task.taskId);
    const result = stopped ?? task;
    this.deps.onStopped?.(result);
    return result;
  }

  /** The principal that pulls: the execution role's session, or the account itself without one. */
  async #puller(task: TaskRecord, def: TaskDefinitionRecord): Promise<AuthzSubject> {
    const now = this.deps.clock.now();
    if (def.executionRoleArn === undefined) return { principal: rootPrincipal(task.accountId), sourceIp: ECS_TASKS_SERVICE, secureTransport: true, now };
    const session = await this.#assume(task, def.executionRoleArn).catch((e: unknown) => {
      if (e instanceof AccessDeniedError) throw new PullFailure(texts.cannotAssumeRole(def.executionRoleArn!));
      throw e;
    });
    return { principal: sessionPrincipal(session, def.executionRoleArn, task.taskId), sourceIp: ECS_TASKS_SERVICE, secureTransport: true, now };
  }

  async #assume(task: TaskRecord, roleArn: string): Promise<IssuedSession> {
    const subject: AuthzSubject = {
      principal: servicePrincipal(ECS_TASKS_SERVICE, task.accountId),
      sourceIp: ECS_TASKS_SERVICE,
      secureTransport: true,
      now: this.deps.clock.now(),
    };
    return this.deps.sessions.assumeRole(subject, { roleArn, roleSessionName: task.taskId });
  }

  /** The pull check for one container image; resolves to the repository and the digest to run. */
  async #checkPull(subject: AuthzSubject, image: string, region: string) {
    const parsed = parseImageUri(image, this.deps.registryDomain);
    if (!parsed || parsed.region !== region) throw new PullFailure(texts.notEcrImage(image));
    const repo = { accountId: parsed.accountId, region: parsed.region, name: parsed.repository };
    const reference = parsed.digest ?? parsed.tag!;
    const ref = `${parsed.accountId}.dkr.ecr.${parsed.region}.amazonaws.com/${parsed.repository}${parsed.digest ? `@${parsed.digest}` : `:${parsed.tag}`}`;
    try {
      await this.deps.authorizer.authorize(subject, [{ action: 'ecr:GetAuthorizationToken', resource: '*' }]);
    } catch (e) {
      if (e instanceof AccessDeniedError) throw new PullFailure(texts.registryAuth(e.message));
      throw e;
    }
    const resource = `arn:aws:ecr:${repo.region}:${repo.accountId}:repository/${repo.name}`;
    try {
      await this.deps.authorizer.authorize(subject, [
        { action: 'ecr:BatchGetImage', resource },
        { action: 'ecr:GetDownloadUrlForLayer', resource },
      ]);
    } catch (e) {
      if (e instanceof AccessDeniedError) throw new PullFailure(texts.pullForbidden(ref, repo.accountId, repo.region, repo.name, reference));
      throw e;
    }
    let digest: string;
    let manifest: Buffer;
    try {
      const r = await this.deps.images.getManifest(repo, parsed.digest ? { kind: 'digest', digest: parsed.digest as Digest } : { kind: 'tag', tag: parsed.tag! }, { recordPull: true });
      digest = r.image.digest;
      manifest = r.manifest;
    } catch (e) {
      if (e instanceof ImageError) throw new PullFailure(texts.pullNotFound(ref));
      throw e;
    }
    let runDigest = digest;
    const doc = JSON.parse(manifest.toString('utf8')) as { manifests?: { digest: string; platform?: { os?: string; architecture?: string } }[] };
    if (Array.isArray(doc.manifests)) {
      const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
      const child = doc.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === arch);
      if (!child) throw new PullFailure(`CannotPullContainerError: ${ref}: no matching manifest for linux/${arch} in the manifest list entries`);
      runDigest = child.digest;
    }
    return { repo, digest, runDigest };
  }

  async #run(task: TaskRecord, def: TaskDefinitionRecord, live: Live): Promise<void> {
    // PROVISIONING → PENDING: the pull, with the execution role's authority.
    task = await this.#set(task, { lastStatus: 'PENDING', connectivityAt: this.#now(), pullStartedAt: this.#now() });
    const pulls = new Map<string, { repo: { accountId: string; region: string; name: string }; digest: string; runDigest: string }>();
    let subject: AuthzSubject;
    let roleCredentials: IssuedSession | undefined;
    try {
      // Both roles must trust ecs-tasks.amazonaws.com before anything starts.
      if (def.taskRoleArn !== undefined) {
        roleCredentials = await this.#assume(task, def.taskRoleArn).catch((e: unknown) => {
          if (e instanceof AccessDeniedError) throw new PullFailure(texts.cannotAssumeRole(def.taskRoleArn!));
          throw e;
        });
      }
      subject = await this.#puller(task, def);
      for (const c of def.containerDefinitions) {
        const p = await this.#checkPull(subject, c.image!, task.region);
        pulls.set(c.name!, p);
        await this.#setContainer(task, c.name!, { imageDigest: p.digest });
      }
    } catch (e) {
      if (!(e instanceof PullFailure)) throw e;
      await this.#set(task, { pullStoppedAt: this.#now() });
      await this.#finish(task, live, 'TaskFailedToStart', e.message, e.message);
      return;
    }
    if (live.stopping) {
      await this.#finish(task, live, live.stopping.code, live.stopping.reason);
      return;
    }
    const runtime = this.deps.runtime();
    if (typeof runtime === 'string') {
      await this.#set(task, { pullStoppedAt: this.#now() });
      await this.#finish(task, live, 'TaskFailedToStart', runtime, runtime);
      return;
    }
    // Into the engine (the runtime authorizes the pull again for the same principal).
    const engineImages = new Map<string, string>();
    try {
      for (const [name, p] of pulls) {
        engineImages.set(name, await runtime.ensureImage(p.repo, p.runDigest as Digest, { kind: 'principal', subject }));
      }
    } catch (e) {
      if (e instanceof ImageAccessDenied || e instanceof AccessDeniedError) {
        await this.#finish(task, live, 'TaskFailedToStart', `CannotPullContainerError: ${e.message}`);
        return;
      }
      throw e;
    }
    task = await this.#set(task, { pullStoppedAt: this.#now() });

    const endpoints = this.deps.endpoints();
    const taskEnv = endpoints?.register(task, def, roleCredentials, () => this.#assume(task, def.taskRoleArn!)) ?? {};

    // Containers in dependsOn order.
    const started = new Map<string, RunningContainer>();
    const exits = new Map<string, number>();
    const exitWaiters = new Map<string, Promise<number>>();
    const overrides = new Map((task.overrides.containerOverrides ?? []).map((o) => [o.name, o]));
    const pending = [...def.containerDefinitions];
    const startOne = async (c: (typeof pending)[number]) => {
      const o = overrides.get(c.name);
      const env: Record<string, string> = {
        AWS_REGION: task.region,
        AWS_DEFAULT_REGION: task.region,
        AWS_ENDPOINT_URL: this.deps.endpointUrl(),
        AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE',
        ...taskEnv,
        ...(endpoints?.containerEnv(task, c.name!) ?? {}),
      };
      for (const kv of [...(c.environment ?? []), ...(o?.environment ?? [])]) if (kv.name !== undefined) env[kv.name] = kv.value ?? '';
      const memoryMb = o?.memory ?? c.memory ?? c.memoryReservation ?? (def.memory !== undefined ? Number(def.memory) : 512);
      const command = o?.command ?? c.command;
      const container = await runtime.start({
        image: engineImages.get(c.name!)!,
        name: `simfra-ecs-${task.taskId}-${c.name}`,
        env,
        memoryMb,
        ...(c.entryPoint ? { entrypoint: c.entryPoint } : {}),
        ...(command ? { cmd: command } : {}),
        ...(c.workingDirectory ? { workingDir: c.workingDirectory } : {}),
        labels: { 'simfra.service': 'ecs', 'simfra.task': task.arn, 'simfra.container': c.name! },
      });
      started.set(c.name!, container);
      live.containers.set(c.name!, container);
      exitWaiters.set(
        c.name!,
        container.exited.then(async (code) => {
          exits.set(c.name!, code);
          live.containers.delete(c.name!);
          await this.#setContainer(task, c.name!, { lastStatus: 'STOPPED', exitCode: code });
          await container.remove();
          return code;
        }),
      );
      await this.#setContainer(task, c.name!, { lastStatus: 'RUNNING', runtimeId: container.id });
    };
    try {
      while (pending.length > 0 && !live.stopping) {
        const c = pending.shift()!;
        for (const dep of c.dependsOn ?? []) {
          if (!exitWaiters.has(dep.containerName)) continue;
          if (dep.condition === 'COMPLETE' || dep.condition === 'SUCCESS') {
            const code = await exitWaiters.get(dep.containerName)!;
            if (dep.condition === 'SUCCESS' && code !== 0) throw new PullFailure(texts.dependencyFailed(c.name!, dep.containerName));
          }
        }
        await startOne(c);
        if (started.size === 1 || pending.length === 0) {
          if (task.lastStatus !== 'RUNNING') task = await this.#set(task, { lastStatus: 'RUNNING', startedAt: this.#now() });
        }
      }
    } catch (e) {
      live.stopping ??= { code: 'TaskFailedToStart', reason: e instanceof PullFailure ? e.message : texts.containerStartFailed('', (e as Error).message) };
    }
    if (live.stopping) {
      await Promise.all([...live.containers.values()].map((c) => c.remove()));
      await Promise.all(exitWaiters.values());
      await this.#finish(task, live, live.stopping.code, live.stopping.reason);
      return;
    }
    // Running: the task stops when an essential container exits (or when stopped).
    const essential = def.containerDefinitions.filter((c) => c.essential !== false).map((c) => c.name!);
    const firstEssential = await Promise.race(essential.map((n) => exitWaiters.get(n)!.then(() => n)));
    if (!live.stopping) {
      live.stopping = { code: 'EssentialContainerExited', reason: texts.essentialExited };
      await this.#set(task, { desiredStatus: 'STOPPED', stoppingAt: this.#now() });
      this.deps.log.debug({ task: task.arn, container: firstEssential }, 'ecs: essential container exited');
    }
    await Promise.all([...live.containers.values()].map((c) => c.remove()));
    await Promise.all(exitWaiters.values());
    await this.#finish(task, live, live.stopping.code, live.stopping.reason);
  }
}

function sessionPrincipal(session: IssuedSession, roleArn: string, sessionName: string): Principal {
  const m = ROLE_ARN.exec(roleArn)!;
  const p: AssumedRolePrincipal = {
    kind: 'assumed-role',
    accountId: m[1]!,
    arn: session.arn,
    userId: session.assumedRoleId,
    accessKeyId: session.accessKeyId,
    roleName: m[2]!,
    roleArn,
    sessionName,
    expiresAt: session.expiration,
  };
  return p;
}
