import type { RequestContext } from '../../aws/context.js';
import type { AwsService, Handler } from '../../aws/service.js';
import type { AuthzRequest } from '../../iam/authorize.js';
import { parseImageUri } from '../../containers/image-uri.js';
import { ecsModel } from '../../model/ecs/index.js';
import {
  ClientException,
  ClusterContainsServicesException,
  ClusterContainsTasksException,
  InvalidParameterException,
  ResourceNotFoundException,
} from '../../model/ecs/errors.js';
import type {
  ContainerDefinition,
  CreateClusterRequest,
  DeleteClusterRequest,
  DeleteTaskDefinitionsRequest,
  DeregisterTaskDefinitionRequest,
  DescribeClustersRequest,
  DescribeTaskDefinitionRequest,
  DescribeTasksRequest,
  Failure,
  ListClustersRequest,
  ListTagsForResourceRequest,
  ListTaskDefinitionFamiliesRequest,
  ListTaskDefinitionsRequest,
  ListTasksRequest,
  RegisterTaskDefinitionRequest,
  RunTaskRequest,
  StopTaskRequest,
  Tag,
  TagResourceRequest,
  UntagResourceRequest,
} from '../../model/ecs/types.js';
import { cpuUnits, EcsState, fargateFits, memoryMib, paginate, tdKey, type Where } from './control.js';
import { texts } from './messages.js';
import { arns, parseEcsArn, type ClusterRecord, type ServiceRecord, type TaskDefinitionRecord, type TaskRecord } from './records.js';
import type { EcsScheduler } from './scheduler.js';
import { launchTypeFor, type EcsTasks } from './tasks.js';

export interface EcsDeps {
  state: EcsState;
  tasks: EcsTasks;
  scheduler: EcsScheduler;
  registryDomain: string;
}

const where = (ctx: RequestContext): Where => ({ accountId: ctx.accountId, region: ctx.region });

/** The IAM action and resource of each ECS operation — source: service authorization reference for Amazon ECS. */
export function ecsAuthorization(operation: string, input: unknown, ctx: RequestContext): AuthzRequest[] {
  const i = input as { resourceArn?: string; cluster?: string; clusterName?: string; tags?: Tag[]; tagKeys?: string[] };
  const action = `ecs:${operation}`;
  const context: Record<string, string | string[]> = {};
  const keys = i.tags?.map((t) => t.key ?? '') ?? i.tagKeys;
  if (keys) context['aws:TagKeys'] = keys;
  for (const t of i.tags ?? []) context[`aws:RequestTag/${t.key}`] = t.value ?? '';
  if (i.resourceArn !== undefined) return [{ action, resource: i.resourceArn, context }];
  const x = input as { taskDefinition?: string; serviceName?: string; service?: string; task?: string; tasks?: string[]; services?: string[] };
  const clusterOf = (c: string | undefined) => (c === undefined ? 'default' : (parseEcsArn(c)?.rest ?? c));
  // RunTask is authorized on the task definition as named (`family` or `family:revision`) —
  // source: service authorization reference, RunTask resource "task-definition".
  if ((operation === 'RunTask' || operation === 'StartTask') && x.taskDefinition !== undefined) {
    const td = parseEcsArn(x.taskDefinition) ? x.taskDefinition : `arn:aws:ecs:${ctx.region}:${ctx.accountId}:task-definition/${x.taskDefinition}`;
    return [{ action, resource: td, context: { ...context, 'ecs:cluster': arns.cluster(ctx.region, ctx.accountId, clusterOf(i.cluster)) } }];
  }
  const svc = x.serviceName ?? x.service;
  if (svc !== undefined && ['CreateService', 'UpdateService', 'DeleteService'].includes(operation)) {
    const resource = parseEcsArn(svc) ? svc : arns.service(ctx.region, ctx.accountId, clusterOf(i.cluster), svc);
    return [{ action, resource, context }];
  }
  if (operation === 'DescribeServices' && x.services) {
    return x.services.map((n) => ({ action, resource: parseEcsArn(n) ? n : arns.service(ctx.region, ctx.accountId, clusterOf(i.cluster), n), context }));
  }
  if (operation === 'StopTask' && x.task !== undefined) {
    return [{ action, resource: parseEcsArn(x.task) ? x.task : arns.task(ctx.region, ctx.accountId, clusterOf(i.cluster), x.task), context }];
  }
  if (operation === 'DescribeTasks' && x.tasks) {
    return x.tasks.map((t) => ({ action, resource: parseEcsArn(t) ? t : arns.task(ctx.region, ctx.accountId, clusterOf(i.cluster), t), context }));
  }
  const cluster = i.cluster ?? i.clusterName;
  if (cluster !== undefined && !['ListServices', 'ListTasks', 'DescribeTasks', 'DescribeServices', 'RunTask', 'StopTask', 'CreateService', 'UpdateService', 'DeleteService'].includes(operation)) {
    const name = parseEcsArn(cluster)?.rest ?? cluster;
    return [{ action, resource: arns.cluster(ctx.region, ctx.accountId, name), context }];
  }
  return [{ action, resource: '*', context }];
}

function failure(arn: string, reason = 'MISSING'): Failure {
  return { arn, reason };
}

function mergeTags(current: Tag[], add: Tag[]): Tag[] {
  const out = current.filter((t) => !add.some((a) => a.key === t.key));
  return [...out, ...add];
}

export function ecsService(deps: EcsDeps): AwsService {
  const s = deps.state;
  const meta = s.meta;

  /** Checks a task definition the way RegisterTaskDefinition does; throws ClientException. */
  const validate = (i: RegisterTaskDefinitionRequest) => {
    const names = new Set<string>();
    for (const c of i.containerDefinitions) {
      if (c.name === undefined || c.image === undefined) throw new ClientException(texts.containerNameImage);
      if (names.has(c.name)) throw new ClientException(texts.duplicateContainer(c.name));
      names.add(c.name);
    }
    for (const c of i.containerDefinitions) {
      for (const d of c.dependsOn ?? []) if (!names.has(d.containerName)) throw new ClientException(texts.dependsOnUnknown(c.name!, d.containerName));
    }
    if (!i.containerDefinitions.some((c) => c.essential !== false)) throw new ClientException(texts.noEssential);
    const fargate = (i.requiresCompatibilities ?? []).includes('FARGATE');
    const cpu = i.cpu !== undefined ? cpuUnits(i.cpu) : undefined;
    const memory = i.memory !== undefined ? memoryMib(i.memory) : undefined;
    if (i.cpu !== undefined && cpu === undefined) throw new ClientException(texts.invalidTaskCpu);
    if (i.memory !== undefined && memory === undefined) throw new ClientException(texts.invalidTaskMemory);
    if (fargate) {
      if (cpu === undefined) throw new ClientException(texts.fargateNeeds('cpu'));
      if (memory === undefined) throw new ClientException(texts.fargateNeeds('memory'));
      if ((i.networkMode ?? 'bridge') !== 'awsvpc') throw new ClientException(texts.fargateNetworkMode);
      if (!fargateFits(cpu, memory)) throw new ClientException(texts.fargateCombination(cpu, memory));
      const ecrImage = i.containerDefinitions.some((c) => parseImageUri(c.image!, deps.registryDomain) !== undefined);
      if (ecrImage && i.executionRoleArn === undefined) throw new ClientException(texts.executionRoleForEcr);
    } else if (memory === undefined) {
      for (const c of i.containerDefinitions) if (c.memory === undefined && c.memoryReservation === undefined) throw new ClientException(texts.containerMemory(c.name!));
    }
    return { cpu, memory, fargate };
  };

  const normalizeContainer = (c: ContainerDefinition): ContainerDefinition => ({
    ...c,
    cpu: c.cpu ?? 0,
    portMappings: c.portMappings ?? [],
    essential: c.essential ?? true,
    environment: c.environment ?? [],
    mountPoints: c.mountPoints ?? [],
    volumesFrom: c.volumesFrom ?? [],
    systemControls: c.systemControls ?? [],
  });

  const findTaggable = async (arn: string) => {
    const p = parseEcsArn(arn);
    if (!p) throw new InvalidParameterException(texts.invalidArn(arn));
    const w = { accountId: p.accountId, region: p.region };
    if (p.type === 'cluster') {
      const c = await s.getCluster(w, p.rest);
      if (c) return { key: { ...w, kind: 'cluster', name: c.name } };
    } else if (p.type === 'task-definition') {
      const td = await s.findTaskDefinition(w, arn);
      if (td) return { key: { ...w, kind: 'taskdef', name: tdKey(td.family, td.revision) } };
    } else if (p.type === 'task') {
      const id = p.rest.split('/').at(-1)!;
      if (await meta.ecs.get({ ...w, kind: 'task', name: id })) return { key: { ...w, kind: 'task', name: id } };
    } else if (p.type === 'service') {
      const parts = p.rest.split('/');
      const name = parts.length > 1 ? `${parts[0]}/${parts[1]}` : `default/${parts[0]}`;
      const svc = await meta.ecs.get<ServiceRecord>({ ...w, kind: 'service', name });
      if (svc && svc.status !== 'INACTIVE') return { key: { ...w, kind: 'service', name } };
    }
    throw new ResourceNotFoundException(texts.unknownResource);
  };

  const handlers: Record<string, (ctx: RequestContext, input: never) => Promise<unknown>> = {
    // ---- clusters
    CreateCluster: async (ctx: RequestContext, i: CreateClusterRequest) => {
      const c = await s.createCluster(where(ctx), i.clusterName ?? 'default', i.tags ?? [], (i.settings ?? []) as { name?: string; value?: string }[]);
      return { cluster: await s.clusterView(c, true) };
    },
    DescribeClusters: async (ctx: RequestContext, i: DescribeClustersRequest) => {
      const refs = i.clusters && i.clusters.length > 0 ? i.clusters : ['default'];
      const withTags = (i.include ?? []).includes('TAGS');
      const clusters = [];
      const failures: Failure[] = [];
      for (const ref of refs) {
        const c = await meta.ecs.get<ClusterRecord>({ ...where(ctx), kind: 'cluster', name: s.clusterName(ref) });
        if (c) clusters.push(await s.clusterView(c, withTags));
        else failures.push(failure(parseEcsArn(ref) ? ref : arns.cluster(ctx.region, ctx.accountId, ref)));
      }
      return { clusters, failures };
    },
    ListClusters: async (ctx: RequestContext, i: ListClustersRequest) => {
      const all = (await meta.ecs.list<ClusterRecord>(ctx.accountId, ctx.region, 'cluster')).filter((c) => c.status === 'ACTIVE').map((c) => c.arn);
      const { page, nextToken } = paginate(all, i.nextToken, i.maxResults);
      return { clusterArns: page, ...(nextToken ? { nextToken } : {}) };
    },
    DeleteCluster: async (ctx: RequestContext, i: DeleteClusterRequest) => {
      const c = await s.requireCluster(where(ctx), i.cluster);
      const services = (await meta.ecs.list<ServiceRecord>(ctx.accountId, ctx.region, 'service')).filter((x) => x.clusterName === c.name && x.status !== 'INACTIVE');
      if (services.length > 0) throw new ClusterContainsServicesException(texts.clusterHasServices);
      const tasks = (await meta.ecs.list<TaskRecord>(ctx.accountId, ctx.region, 'task')).filter((t) => t.clusterName === c.name && t.lastStatus !== 'STOPPED');
      if (tasks.length > 0) throw new ClusterContainsTasksException(texts.clusterHasTasks);
      const gone: ClusterRecord = { ...c, status: 'INACTIVE' };
      await meta.ecs.put({ ...where(ctx), kind: 'cluster', name: c.name }, gone);
      return { cluster: await s.clusterView(gone, true) };
    },

    // ---- task definitions
    RegisterTaskDefinition: async (ctx: RequestContext, i: RegisterTaskDefinitionRequest) => {
      const v = validate(i);
      const w = where(ctx);
      const revision = await s.nextRevision(w, i.family);
      const {
        family,
        containerDefinitions,
        taskRoleArn,
        executionRoleArn,
        networkMode,
        requiresCompatibilities,
        cpu,
        memory,
        tags,
        ...extra
      } = i;
      const rec: TaskDefinitionRecord = {
        ...w,
        family,
        revision,
        arn: arns.taskDefinition(ctx.region, ctx.accountId, family, revision),
        status: 'ACTIVE',
        containerDefinitions: containerDefinitions.map(normalizeContainer),
        ...(taskRoleArn !== undefined ? { taskRoleArn } : {}),
        ...(executionRoleArn !== undefined ? { executionRoleArn } : {}),
        networkMode: networkMode ?? 'bridge',
        requiresCompatibilities: requiresCompatibilities ?? [],
        compatibilities: v.fargate || ((networkMode ?? 'bridge') === 'awsvpc' && v.cpu !== undefined && v.memory !== undefined) ? ['EC2', 'FARGATE'] : ['EC2'],
        ...(cpu !== undefined ? { cpu: String(v.cpu) } : {}),
        ...(memory !== undefined ? { memory: String(v.memory) } : {}),
        extra: extra as Record<string, unknown>,
        tags: tags ?? [],
        registeredAt: s.now(),
        registeredBy: ctx.principal.arn,
      };
      await meta.ecs.put({ ...w, kind: 'taskdef', name: tdKey(family, revision) }, rec);
      return { taskDefinition: s.taskDefinitionView(rec), ...(rec.tags.length > 0 ? { tags: rec.tags } : {}) };
    },
    DescribeTaskDefinition: async (ctx: RequestContext, i: DescribeTaskDefinitionRequest) => {
      const td = await s.findTaskDefinition(where(ctx), i.taskDefinition);
      if (!td) throw new ClientException(texts.taskDefinitionNotFound);
      return { taskDefinition: s.taskDefinitionView(td), ...((i.include ?? []).includes('TAGS') ? { tags: td.tags } : {}) };
    },
    ListTaskDefinitions: async (ctx: RequestContext, i: ListTaskDefinitionsRequest) => {
      const status = i.status ?? 'ACTIVE';
      let all = (await meta.ecs.list<TaskDefinitionRecord>(ctx.accountId, ctx.region, 'taskdef')).filter((t) => t.status === status);
      if (i.familyPrefix !== undefined) all = all.filter((t) => t.family === i.familyPrefix);
      all.sort((a, b) => (a.family === b.family ? a.revision - b.revision : a.family < b.family ? -1 : 1));
      if (i.sort === 'DESC') all.reverse();
      const { page, nextToken } = paginate(all.map((t) => t.arn), i.nextToken, i.maxResults);
      return { taskDefinitionArns: page, ...(nextToken ? { nextToken } : {}) };
    },
    ListTaskDefinitionFamilies: async (ctx: RequestContext, i: ListTaskDefinitionFamiliesRequest) => {
      const all = (await meta.ecs.list<TaskDefinitionRecord>(ctx.accountId, ctx.region, 'taskdef')).filter((t) => t.status !== 'DELETE_IN_PROGRESS');
      const families = [...new Set(all.map((t) => t.family))].sort();
      const active = (f: string) => all.some((t) => t.family === f && t.status === 'ACTIVE');
      const status = i.status ?? 'ACTIVE';
      let chosen = families.filter((f) => (status === 'ALL' ? true : status === 'ACTIVE' ? active(f) : !active(f)));
      if (i.familyPrefix !== undefined) chosen = chosen.filter((f) => f.startsWith(i.familyPrefix!));
      const { page, nextToken } = paginate(chosen, i.nextToken, i.maxResults);
      return { families: page, ...(nextToken ? { nextToken } : {}) };
    },
    DeregisterTaskDefinition: async (ctx: RequestContext, i: DeregisterTaskDefinitionRequest) => {
      const ref = parseEcsArn(i.taskDefinition)?.rest ?? i.taskDefinition;
      if (!/:\d+$/.test(ref)) throw new ClientException(texts.revisionRequired);
      const td = await s.findTaskDefinition(where(ctx), i.taskDefinition);
      if (!td) throw new ClientException(texts.taskDefinitionNotFound);
      const next: TaskDefinitionRecord = td.status === 'ACTIVE' ? { ...td, status: 'INACTIVE', deregisteredAt: s.now() } : td;
      await meta.ecs.put({ ...where(ctx), kind: 'taskdef', name: tdKey(td.family, td.revision) }, next);
      return { taskDefinition: s.taskDefinitionView(next) };
    },
    DeleteTaskDefinitions: async (ctx: RequestContext, i: DeleteTaskDefinitionsRequest) => {
      const taskDefinitions = [];
      const failures: Failure[] = [];
      for (const ref of i.taskDefinitions) {
        const td = await s.findTaskDefinition(where(ctx), ref);
        if (!td || !/:\d+$/.test(parseEcsArn(ref)?.rest ?? ref)) {
          failures.push({ arn: ref, reason: texts.taskDefinitionMissing });
          continue;
        }
        if (td.status === 'ACTIVE') {
          failures.push({ arn: td.arn, reason: texts.deleteActiveTaskDefinition });
          continue;
        }
        const next: TaskDefinitionRecord = { ...td, status: 'DELETE_IN_PROGRESS' };
        // Deletion completes once no task uses it; simfra removes it at once.
        await meta.ecs.delete({ ...where(ctx), kind: 'taskdef', name: tdKey(td.family, td.revision) });
        taskDefinitions.push(s.taskDefinitionView(next));
      }
      return { taskDefinitions, failures };
    },

    // ---- tags
    TagResource: async (ctx: RequestContext, i: TagResourceRequest) => {
      const { key } = await findTaggable(i.resourceArn);
      await meta.ecs.update<{ tags: Tag[] }>(key, (r) => ({ ...r, tags: mergeTags(r.tags ?? [], i.tags) }));
      return {};
    },
    UntagResource: async (ctx: RequestContext, i: UntagResourceRequest) => {
      const { key } = await findTaggable(i.resourceArn);
      await meta.ecs.update<{ tags: Tag[] }>(key, (r) => ({ ...r, tags: (r.tags ?? []).filter((t) => !i.tagKeys.includes(t.key ?? '')) }));
      return {};
    },
    ListTagsForResource: async (ctx: RequestContext, i: ListTagsForResourceRequest) => {
      const { key } = await findTaggable(i.resourceArn);
      const r = await meta.ecs.get<{ tags: Tag[] }>(key);
      return { tags: r?.tags ?? [] };
    },

    // ---- tasks
    RunTask: async (ctx: RequestContext, i: RunTaskRequest) => {
      const w = where(ctx);
      const count = i.count ?? 1;
      if (count < 1 || count > 10) throw new InvalidParameterException(texts.countRange);
      const td = await s.findTaskDefinition(w, i.taskDefinition);
      if (!td) throw new InvalidParameterException(texts.runTaskDefinitionNotFound);
      // Checked before the default cluster is made: bad input changes nothing.
      launchTypeFor(td, i.launchType, i.networkConfiguration);
      await s.checkPassRole(ctx, td);
      const cluster = await s.clusterForWork(w, i.cluster);
      const tasks = [];
      for (let n = 0; n < count; n++) {
        tasks.push(
          s.taskView(
            await deps.tasks.create(w, cluster, td, {
              ...(i.launchType !== undefined ? { launchType: i.launchType } : {}),
              ...(i.networkConfiguration !== undefined ? { networkConfiguration: i.networkConfiguration } : {}),
              overrides: i.overrides ?? {},
              ...(i.startedBy !== undefined ? { startedBy: i.startedBy } : {}),
              group: i.group ?? `family:${td.family}`,
              tags: i.tags ?? [],
            }),
            true,
          ),
        );
      }
      return { tasks, failures: [] };
    },
    DescribeTasks: async (ctx: RequestContext, i: DescribeTasksRequest) => {
      const cluster = await s.requireCluster(where(ctx), i.cluster);
      const withTags = (i.include ?? []).includes('TAGS');
      const tasks = [];
      const failures: Failure[] = [];
      for (const ref of i.tasks) {
        const t = await s.findTask(where(ctx), cluster.name, ref);
        if (t) tasks.push(s.taskView(t, withTags));
        else failures.push(failure(parseEcsArn(ref) ? ref : arns.task(ctx.region, ctx.accountId, cluster.name, ref)));
      }
      return { tasks, failures };
    },
    ListTasks: async (ctx: RequestContext, i: ListTasksRequest) => {
      const cluster = await s.requireCluster(where(ctx), i.cluster);
      const desired = i.desiredStatus ?? 'RUNNING';
      const all = (await meta.ecs.list<TaskRecord>(ctx.accountId, ctx.region, 'task'))
        .filter((t) => t.clusterName === cluster.name)
        .filter((t) => t.desiredStatus === desired || (desired === 'PENDING' && ['PROVISIONING', 'PENDING'].includes(t.lastStatus)))
        .filter((t) => i.family === undefined || t.family === i.family)
        .filter((t) => i.startedBy === undefined || t.startedBy === i.startedBy)
        .filter((t) => i.serviceName === undefined || t.serviceName === i.serviceName)
        .filter((t) => i.launchType === undefined || t.launchType === i.launchType)
        .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
      const { page, nextToken } = paginate(all.map((t) => t.arn), i.nextToken, i.maxResults);
      return { taskArns: page, ...(nextToken ? { nextToken } : {}) };
    },
    StopTask: async (ctx: RequestContext, i: StopTaskRequest) => {
      const cluster = await s.requireCluster(where(ctx), i.cluster);
      const t = await s.findTask(where(ctx), cluster.name, i.task);
      if (!t) throw new InvalidParameterException(texts.taskNotFound);
      const stopped = await deps.tasks.stop(t, 'UserInitiated', i.reason ?? texts.userStopped);
      return { task: s.taskView(stopped, true) };
    },

    // ---- services
    ...deps.scheduler.handlers(),
  };

  const wrapped: Record<string, Handler<never, unknown>> = {};
  for (const [name, fn] of Object.entries(handlers)) wrapped[name] = fn as Handler<never, unknown>;
  return { signingName: 'ecs', protocol: 'json', model: ecsModel, handlers: wrapped, authorization: ecsAuthorization };
}
