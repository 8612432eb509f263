/**
 * ECS state shared by the operation handlers and the scheduler: clusters (with `default` created
 * on first use, as RunTask and CreateService do), task definitions by family and revision, and
 * how each record is shown on the wire.
 */
import { type RequestContext, authzSubjectOf } from '../../aws/context.js';
import type { Clock } from '../../clock.js';
import type { Authorizer } from '../../iam/authorize.js';
import type { Ids } from '../../ids.js';
import { ClientException, ClusterNotFoundException, InvalidParameterException } from '../../model/ecs/errors.js';
import type { Cluster, Tag, Task, TaskDefinition } from '../../model/ecs/types.js';
import type { MetaStore } from '../../store/meta/meta-store.js';
import { texts } from './messages.js';
import { arns, parseEcsArn, withDates, type ClusterRecord, type FamilyRecord, type TaskDefinitionRecord, type TaskRecord } from './records.js';

export interface Where {
  accountId: string;
  region: string;
}

export class EcsState {
  constructor(
    readonly meta: MetaStore,
    readonly clock: Clock,
    readonly ids: Ids,
    private readonly authorizer?: Authorizer,
  ) {}

  /**
   * RunTask, CreateService and UpdateService pass the task definition's roles to ECS: the caller
   * needs iam:PassRole on each (iam:PassedToService ecs-tasks.amazonaws.com) — source: ECS
   * developer guide, "Task IAM role" / "Task execution IAM role".
   */
  async checkPassRole(ctx: RequestContext, td: TaskDefinitionRecord): Promise<void> {
    const roles = [td.taskRoleArn, td.executionRoleArn].filter((r): r is string => r !== undefined);
    if (!this.authorizer || roles.length === 0) return;
    await this.authorizer.authorize(
      authzSubjectOf(ctx),
      roles.map((r) => ({ action: 'iam:PassRole', resource: r, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } })),
    );
  }

  now(): string {
    return this.clock.now().toISOString();
  }

  /** `name` or ARN → the cluster's name (undefined = `default`). */
  clusterName(ref: string | undefined): string {
    if (ref === undefined || ref === '') return 'default';
    const arn = parseEcsArn(ref);
    return arn && arn.type === 'cluster' ? arn.rest : ref;
  }

  async getCluster(w: Where, ref: string | undefined): Promise<ClusterRecord | undefined> {
    const c = await this.meta.ecs.get<ClusterRecord>({ ...w, kind: 'cluster', name: this.clusterName(ref) });
    return c?.status === 'ACTIVE' ? c : undefined;
  }

  async requireCluster(w: Where, ref: string | undefined): Promise<ClusterRecord> {
    const c = await this.getCluster(w, ref);
    if (!c) throw new ClusterNotFoundException(texts.clusterNotFound);
    return c;
  }

  /** The named cluster, or `default`, created when it does not exist yet (RunTask, CreateService). */
  async clusterForWork(w: Where, ref: string | undefined): Promise<ClusterRecord> {
    if (ref !== undefined && ref !== '' && this.clusterName(ref) !== 'default') return this.requireCluster(w, ref);
    return (await this.getCluster(w, 'default')) ?? this.createCluster(w, 'default', [], []);
  }

  async createCluster(w: Where, name: string, tags: Tag[], settings: { name?: string; value?: string }[]): Promise<ClusterRecord> {
    const existing = await this.getCluster(w, name);
    if (existing) return existing;
    const rec: ClusterRecord = {
      ...w,
      name,
      arn: arns.cluster(w.region, w.accountId, name),
      status: 'ACTIVE',
      tags,
      settings: settings.length > 0 ? settings : [{ name: 'containerInsights', value: 'disabled' }],
      createdAt: this.now(),
    };
    await this.meta.ecs.put({ ...w, kind: 'cluster', name }, rec);
    return rec;
  }

  async clusterView(c: ClusterRecord, withTags: boolean): Promise<Cluster> {
    const tasks = c.status === 'ACTIVE' ? (await this.meta.ecs.list<TaskRecord>(c.accountId, c.region, 'task')).filter((t) => t.clusterName === c.name) : [];
    const services = c.status === 'ACTIVE'
      ? (await this.meta.ecs.list<{ clusterName: string; status: string }>(c.accountId, c.region, 'service')).filter((s) => s.clusterName === c.name && s.status === 'ACTIVE')
      : [];
    return {
      clusterArn: c.arn,
      clusterName: c.name,
      status: c.status,
      registeredContainerInstancesCount: 0,
      runningTasksCount: tasks.filter((t) => t.lastStatus === 'RUNNING').length,
      pendingTasksCount: tasks.filter((t) => ['PROVISIONING', 'PENDING', 'ACTIVATING'].includes(t.lastStatus)).length,
      activeServicesCount: services.length,
      statistics: [],
      tags: withTags ? c.tags : [],
      settings: c.settings as Cluster['settings'],
      capacityProviders: [],
      defaultCapacityProviderStrategy: [],
    };
  }

  // ---- task definitions

  /** `family`, `family:revision` or an ARN → the record (latest ACTIVE revision for a bare family). */
  async findTaskDefinition(w: Where, ref: string): Promise<TaskDefinitionRecord | undefined> {
    let family = ref;
    let revision: number | undefined;
    const arn = parseEcsArn(ref);
    if (arn) {
      if (arn.type !== 'task-definition') return undefined;
      w = { accountId: arn.accountId, region: arn.region };
      family = arn.rest;
    }
    const m = /^(.+):(\d+)$/.exec(family);
    if (m) {
      family = m[1]!;
      revision = Number(m[2]);
    }
    if (revision !== undefined) {
      const r = await this.meta.ecs.get<TaskDefinitionRecord>({ ...w, kind: 'taskdef', name: tdKey(family, revision) });
      return r && r.status !== 'DELETE_IN_PROGRESS' ? r : undefined;
    }
    const all = await this.revisions(w, family);
    return all.filter((r) => r.status === 'ACTIVE').at(-1);
  }

  async revisions(w: Where, family: string): Promise<TaskDefinitionRecord[]> {
    return (await this.meta.ecs.list<TaskDefinitionRecord>(w.accountId, w.region, 'taskdef')).filter((r) => r.family === family).sort((a, b) => a.revision - b.revision);
  }

  async nextRevision(w: Where, family: string): Promise<number> {
    const key = { ...w, kind: 'family', name: family };
    const updated = await this.meta.ecs.update<FamilyRecord>(key, (f) => ({ ...f, lastRevision: f.lastRevision + 1 }));
    if (updated) return updated.lastRevision;
    await this.meta.ecs.put(key, { family, lastRevision: 1 });
    return 1;
  }

  taskDefinitionView(r: TaskDefinitionRecord): TaskDefinition {
    return {
      taskDefinitionArn: r.arn,
      containerDefinitions: r.containerDefinitions,
      family: r.family,
      ...(r.taskRoleArn !== undefined ? { taskRoleArn: r.taskRoleArn } : {}),
      ...(r.executionRoleArn !== undefined ? { executionRoleArn: r.executionRoleArn } : {}),
      networkMode: r.networkMode as TaskDefinition['networkMode'],
      revision: r.revision,
      volumes: [],
      status: r.status,
      requiresAttributes: [],
      placementConstraints: [],
      compatibilities: r.compatibilities as TaskDefinition['compatibilities'],
      requiresCompatibilities: r.requiresCompatibilities as TaskDefinition['requiresCompatibilities'],
      ...(r.cpu !== undefined ? { cpu: r.cpu } : {}),
      ...(r.memory !== undefined ? { memory: r.memory } : {}),
      ...r.extra,
      registeredAt: new Date(r.registeredAt),
      registeredBy: r.registeredBy,
      ...(r.deregisteredAt !== undefined ? { deregisteredAt: new Date(r.deregisteredAt) } : {}),
    } as TaskDefinition;
  }

  // ---- tasks

  async findTask(w: Where, clusterName: string, ref: string): Promise<TaskRecord | undefined> {
    const arn = parseEcsArn(ref);
    let id = ref;
    if (arn) {
      if (arn.type !== 'task') return undefined;
      id = arn.rest.split('/').at(-1)!;
      w = { accountId: arn.accountId, region: arn.region };
    }
    const t = await this.meta.ecs.get<TaskRecord>({ ...w, kind: 'task', name: id });
    return t && t.clusterName === clusterName ? t : undefined;
  }

  taskView(t: TaskRecord, withTags: boolean): Task {
    const fargate = t.launchType === 'FARGATE';
    return {
      ...withDates({
        attachments: [],
        attributes: [],
        availabilityZone: `${t.region}a`,
        clusterArn: t.clusterArn,
        connectivity: t.connectivityAt ? 'CONNECTED' : undefined,
        connectivityAt: t.connectivityAt,
        containers: t.containers.map((c) => ({
          containerArn: c.arn,
          taskArn: t.arn,
          name: c.name,
          image: c.image,
          ...(c.imageDigest !== undefined ? { imageDigest: c.imageDigest } : {}),
          ...(c.runtimeId !== undefined ? { runtimeId: c.runtimeId } : {}),
          lastStatus: c.lastStatus,
          ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
          ...(c.reason !== undefined ? { reason: c.reason } : {}),
          networkBindings: [],
          networkInterfaces: [],
          healthStatus: 'UNKNOWN',
          cpu: c.cpu,
          ...(c.memory !== undefined ? { memory: c.memory } : {}),
        })),
        cpu: t.cpu,
        createdAt: t.createdAt,
        desiredStatus: t.desiredStatus,
        enableExecuteCommand: false,
        executionStoppedAt: t.executionStoppedAt,
        group: t.group,
        healthStatus: 'UNKNOWN',
        lastStatus: t.lastStatus,
        launchType: t.launchType,
        memory: t.memory,
        overrides: { containerOverrides: t.overrides.containerOverrides ?? [], inferenceAcceleratorOverrides: [] },
        platformVersion: fargate ? '1.4.0' : undefined,
        platformFamily: fargate ? 'Linux' : undefined,
        pullStartedAt: t.pullStartedAt,
        pullStoppedAt: t.pullStoppedAt,
        startedAt: t.startedAt,
        startedBy: t.startedBy,
        stopCode: t.stopCode,
        stoppedAt: t.stoppedAt,
        stoppedReason: t.stoppedReason,
        stoppingAt: t.stoppingAt,
        tags: withTags ? t.tags : [],
        taskArn: t.arn,
        taskDefinitionArn: t.taskDefinitionArn,
        version: t.version,
        ...(fargate ? { ephemeralStorage: { sizeInGiB: 20 } } : {}),
      }),
    } as Task;
  }
}

export const tdKey = (family: string, revision: number) => `${family}:${String(revision).padStart(8, '0')}`;

/** Task cpu/memory as given (`1 vCPU`, `2 GB` or units) → CPU units and MiB. */
export function cpuUnits(v: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(vcpu)?\s*$/i.exec(v);
  if (!m) return undefined;
  return m[2] ? Math.round(Number(m[1]) * 1024) : Number(m[1]);
}
export function memoryMib(v: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(gb|mb|mib|gib)?\s*$/i.exec(v);
  if (!m) return undefined;
  return m[2] && /^g/i.test(m[2]) ? Math.round(Number(m[1]) * 1024) : Number(m[1]);
}

/** The valid Fargate (cpu → memory MiB) combinations — source: ECS developer guide, "Task size". */
export function fargateFits(cpu: number, memory: number): boolean {
  const range = (from: number, to: number, step: number) => memory >= from && memory <= to && (memory - from) % step === 0;
  switch (cpu) {
    case 256:
      return [512, 1024, 2048].includes(memory);
    case 512:
      return range(1024, 4096, 1024);
    case 1024:
      return range(2048, 8192, 1024);
    case 2048:
      return range(4096, 16384, 1024);
    case 4096:
      return range(8192, 30720, 1024);
    case 8192:
      return range(16384, 61440, 4096);
    case 16384:
      return range(32768, 122880, 8192);
    default:
      return false;
  }
}

export function paginate<T>(items: T[], nextToken: string | undefined, maxResults: number | undefined, max = 100): { page: T[]; nextToken?: string } {
  const start = nextToken ? Number(Buffer.from(nextToken, 'base64url').toString()) || 0 : 0;
  const size = Math.min(maxResults ?? max, max);
  const page = items.slice(start, start + size);
  return start + size < items.length ? { page, nextToken: Buffer.from(String(start + size)).toString('base64url') } : { page };
}

export { ClientException, InvalidParameterException };
