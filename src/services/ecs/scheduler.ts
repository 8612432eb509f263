/**
 * Services: CreateService / UpdateService / DescribeServices / ListServices / DeleteService, and
 * the scheduler (job `ecs-scheduler`) that keeps `desiredCount` tasks of the primary deployment
 * running, replaces stopped ones, and rolls tasks over to a new task definition revision: new
 * tasks start first (up to maximumPercent), old ones stop once the new ones run, then the
 * deployment's rolloutState becomes COMPLETED and the service reports a steady state.
 */
import type { RequestContext } from '../../aws/context.js';
import type { Logger } from 'pino';
import { InvalidParameterException, ServiceNotActiveException, ServiceNotFoundException } from '../../model/ecs/errors.js';
import type {
  CreateServiceRequest,
  DeleteServiceRequest,
  DescribeServicesRequest,
  Failure,
  ListServicesRequest,
  Service,
  UpdateServiceRequest,
} from '../../model/ecs/types.js';
import type { EcsState, Where } from './control.js';
import { paginate } from './control.js';
import { texts } from './messages.js';
import { arns, parseEcsArn, withDates, type ClusterRecord, type DeploymentRecord, type ServiceRecord, type TaskRecord } from './records.js';
import { launchTypeFor, type EcsTasks } from './tasks.js';

const MAX_EVENTS = 100;
/** Stopped tasks stay visible for an hour, as in ECS. */
const STOPPED_TASK_TTL_MS = 3600_000;

export class EcsScheduler {
  constructor(
    private readonly s: EcsState,
    private readonly tasks: EcsTasks,
    private readonly log: Logger,
    /** Asks for a scheduler run soon (after a change or a stopped task). */
    private readonly kick: () => void,
  ) {}

  #key(r: { accountId: string; region: string; clusterName: string; name: string }) {
    return { accountId: r.accountId, region: r.region, kind: 'service', name: `${r.clusterName}/${r.name}` };
  }

  #deployment(taskDefinition: string, desiredCount: number, launchType: string, networkConfiguration: unknown): DeploymentRecord {
    const now = this.s.now();
    return {
      id: `ecs-svc/${BigInt(`0x${this.s.ids.uuid().replace(/-/g, '').slice(0, 15)}`).toString().padStart(19, '0').slice(0, 19)}`,
      status: 'PRIMARY',
      taskDefinition,
      desiredCount,
      launchType,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: texts.rolloutInProgress,
      failedTasks: 0,
      createdAt: now,
      updatedAt: now,
      ...(networkConfiguration !== undefined ? { networkConfiguration } : {}),
    };
  }

  #event(svc: ServiceRecord, message: string): ServiceRecord {
    const ev = { id: this.s.ids.uuid(), createdAt: this.s.now(), message: `(service ${svc.name}) ${message}` };
    return { ...svc, events: [ev, ...svc.events].slice(0, MAX_EVENTS) };
  }

  async #find(w: Where, clusterName: string, ref: string): Promise<ServiceRecord | undefined> {
    const arn = parseEcsArn(ref);
    const name = arn && arn.type === 'service' ? arn.rest.split('/').at(-1)! : ref;
    return this.s.meta.ecs.get<ServiceRecord>({ ...w, kind: 'service', name: `${clusterName}/${name}` });
  }

  async #tasksOf(svc: ServiceRecord): Promise<TaskRecord[]> {
    return (await this.s.meta.ecs.list<TaskRecord>(svc.accountId, svc.region, 'task')).filter((t) => t.clusterName === svc.clusterName && t.serviceName === svc.name);
  }

  async view(svc: ServiceRecord, withTags: boolean): Promise<Service> {
    const tasks = (await this.#tasksOf(svc)).filter((t) => t.desiredStatus === 'RUNNING');
    const count = (td: string | undefined, status: (t: TaskRecord) => boolean) => tasks.filter((t) => (td === undefined || t.taskDefinitionArn === td) && status(t)).length;
    const running = (t: TaskRecord) => t.lastStatus === 'RUNNING';
    const pending = (t: TaskRecord) => ['PROVISIONING', 'PENDING', 'ACTIVATING'].includes(t.lastStatus);
    return withDates({
      serviceArn: svc.arn,
      serviceName: svc.name,
      clusterArn: svc.clusterArn,
      loadBalancers: [],
      serviceRegistries: [],
      status: svc.status,
      desiredCount: svc.desiredCount,
      runningCount: count(undefined, running),
      pendingCount: count(undefined, pending),
      launchType: svc.launchType,
      ...(svc.launchType === 'FARGATE' ? { platformVersion: 'LATEST', platformFamily: 'Linux' } : {}),
      taskDefinition: svc.taskDefinition,
      deploymentConfiguration: svc.deploymentConfiguration,
      deployments: svc.deployments.map((d) =>
        withDates({ ...d, runningCount: count(d.taskDefinition, running), pendingCount: count(d.taskDefinition, pending) }),
      ),
      events: svc.events.map((e) => withDates(e)),
      createdAt: svc.createdAt,
      placementConstraints: [],
      placementStrategy: [],
      ...(svc.networkConfiguration !== undefined ? { networkConfiguration: svc.networkConfiguration } : {}),
      schedulingStrategy: svc.schedulingStrategy,
      deploymentController: { type: 'ECS' },
      tags: withTags ? svc.tags : [],
      createdBy: svc.createdBy,
      enableECSManagedTags: svc.enableECSManagedTags,
      propagateTags: svc.propagateTags,
      enableExecuteCommand: svc.enableExecuteCommand,
      availabilityZoneRebalancing: 'DISABLED',
    }) as Service;
  }

  handlers(): Record<string, (ctx: RequestContext, input: never) => Promise<unknown>> {
    const s = this.s;
    const where = (ctx: RequestContext): Where => ({ accountId: ctx.accountId, region: ctx.region });
    return {
      CreateService: async (ctx: RequestContext, i: CreateServiceRequest) => {
        const w = where(ctx);
        if (i.taskDefinition === undefined) throw new InvalidParameterException(texts.taskDefinitionRequired);
        const td = await s.findTaskDefinition(w, i.taskDefinition);
        if (!td) throw new InvalidParameterException(texts.runTaskDefinitionNotFound);
        const launchType = launchTypeFor(td, i.launchType, i.networkConfiguration);
        await s.checkPassRole(ctx, td);
        if (i.cluster !== undefined && s.clusterName(i.cluster) !== 'default') await s.requireCluster(w, i.cluster);
        const existing = await this.#find(w, s.clusterName(i.cluster), i.serviceName);
        if (existing && existing.status !== 'INACTIVE') throw new InvalidParameterException(texts.serviceExists);
        // Only now, with the input checked, may the default cluster be made.
        const cluster: ClusterRecord = await s.clusterForWork(w, i.cluster);
        const desiredCount = i.desiredCount ?? (i.schedulingStrategy === 'DAEMON' ? 1 : 0);
        const svc: ServiceRecord = {
          ...w,
          name: i.serviceName,
          arn: arns.service(ctx.region, ctx.accountId, cluster.name, i.serviceName),
          clusterArn: cluster.arn,
          clusterName: cluster.name,
          status: 'ACTIVE',
          desiredCount,
          taskDefinition: td.arn,
          launchType,
          deploymentConfiguration: {
            maximumPercent: i.deploymentConfiguration?.maximumPercent ?? 200,
            minimumHealthyPercent: i.deploymentConfiguration?.minimumHealthyPercent ?? 100,
            deploymentCircuitBreaker: i.deploymentConfiguration?.deploymentCircuitBreaker ?? { enable: false, rollback: false },
          },
          deployments: [this.#deployment(td.arn, desiredCount, launchType, i.networkConfiguration)],
          events: [],
          ...(i.networkConfiguration !== undefined ? { networkConfiguration: i.networkConfiguration } : {}),
          tags: i.tags ?? [],
          createdAt: s.now(),
          createdBy: ctx.principal.kind === 'assumed-role' ? ctx.principal.roleArn : ctx.principal.arn,
          schedulingStrategy: i.schedulingStrategy ?? 'REPLICA',
          propagateTags: i.propagateTags ?? 'NONE',
          enableECSManagedTags: i.enableECSManagedTags ?? false,
          enableExecuteCommand: i.enableExecuteCommand ?? false,
        };
        await s.meta.ecs.put(this.#key(svc), svc);
        this.kick();
        return { service: await this.view(svc, true) };
      },

      UpdateService: async (ctx: RequestContext, i: UpdateServiceRequest) => {
        const w = where(ctx);
        const cluster = await s.requireCluster(w, i.cluster);
        const svc = await this.#find(w, cluster.name, i.service);
        if (!svc) throw new ServiceNotFoundException(texts.serviceNotFound);
        if (svc.status !== 'ACTIVE') throw new ServiceNotActiveException(texts.serviceNotActive);
        let next: ServiceRecord = { ...svc };
        if (i.desiredCount !== undefined) next.desiredCount = i.desiredCount;
        if (i.networkConfiguration !== undefined) next.networkConfiguration = i.networkConfiguration;
        if (i.deploymentConfiguration !== undefined) {
          next.deploymentConfiguration = {
            ...next.deploymentConfiguration,
            ...(i.deploymentConfiguration.maximumPercent !== undefined ? { maximumPercent: i.deploymentConfiguration.maximumPercent } : {}),
            ...(i.deploymentConfiguration.minimumHealthyPercent !== undefined ? { minimumHealthyPercent: i.deploymentConfiguration.minimumHealthyPercent } : {}),
          };
        }
        let newDeployment = i.forceNewDeployment === true;
        if (i.taskDefinition !== undefined) {
          const td = await s.findTaskDefinition(w, i.taskDefinition);
          if (!td) throw new InvalidParameterException(texts.runTaskDefinitionNotFound);
          if (td.arn !== svc.taskDefinition) newDeployment = true;
          await s.checkPassRole(ctx, td);
          next.taskDefinition = td.arn;
        }
        if (newDeployment) {
          next.deployments = [
            this.#deployment(next.taskDefinition, next.desiredCount, next.launchType, next.networkConfiguration),
            ...svc.deployments.filter((d) => d.status !== 'INACTIVE').map((d) => ({ ...d, status: 'ACTIVE' as const, updatedAt: s.now() })),
          ];
        } else {
          next.deployments = next.deployments.map((d) => (d.status === 'PRIMARY' ? { ...d, desiredCount: next.desiredCount, updatedAt: s.now() } : d));
        }
        next = (await s.meta.ecs.update<ServiceRecord>(this.#key(svc), () => next))!;
        this.kick();
        return { service: await this.view(next, true) };
      },

      DescribeServices: async (ctx: RequestContext, i: DescribeServicesRequest) => {
        const w = where(ctx);
        const cluster = await s.requireCluster(w, i.cluster);
        const withTags = (i.include ?? []).includes('TAGS');
        const services: Service[] = [];
        const failures: Failure[] = [];
        for (const ref of i.services) {
          const svc = await this.#find(w, cluster.name, ref);
          if (svc) services.push(await this.view(svc, withTags));
          else failures.push({ arn: parseEcsArn(ref) ? ref : arns.service(ctx.region, ctx.accountId, cluster.name, ref), reason: 'MISSING' });
        }
        return { services, failures };
      },

      ListServices: async (ctx: RequestContext, i: ListServicesRequest) => {
        const cluster = await s.requireCluster(where(ctx), i.cluster);
        const all = (await s.meta.ecs.list<ServiceRecord>(ctx.accountId, ctx.region, 'service'))
          .filter((x) => x.clusterName === cluster.name && x.status === 'ACTIVE')
          .filter((x) => i.launchType === undefined || x.launchType === i.launchType)
          .filter((x) => i.schedulingStrategy === undefined || x.schedulingStrategy === i.schedulingStrategy)
          .map((x) => x.arn);
        const { page, nextToken } = paginate(all, i.nextToken, i.maxResults);
        return { serviceArns: page, ...(nextToken ? { nextToken } : {}) };
      },

      DeleteService: async (ctx: RequestContext, i: DeleteServiceRequest) => {
        const w = where(ctx);
        const cluster = await s.requireCluster(w, i.cluster);
        const svc = await this.#find(w, cluster.name, i.service);
        if (!svc || svc.status === 'INACTIVE') throw new ServiceNotFoundException(texts.serviceNotFound);
        if (svc.desiredCount > 0 && i.force !== true) throw new InvalidParameterException(texts.deleteScaledService);
        const next = (await s.meta.ecs.update<ServiceRecord>(this.#key(svc), (r) => ({ ...r, status: 'DRAINING', desiredCount: 0 })))!;
        this.kick();
        return { service: await this.view(next, true) };
      },
    };
  }

  /** One pass over every service (the `ecs-scheduler` job). */
  async run(): Promise<{ started: number; stopped: number; services: number }> {
    let started = 0;
    let stopped = 0;
    const services = await this.s.meta.ecs.all<ServiceRecord>('service');
    for (const svc0 of services) {
      if (svc0.status === 'INACTIVE') continue;
      try {
        const r = await this.#reconcile(svc0);
        started += r.started;
        stopped += r.stopped;
      } catch (err) {
        this.log.warn({ err, service: svc0.arn }, 'ecs: scheduling a service failed');
      }
    }
    await this.#purgeStopped();
    return { started, stopped, services: services.length };
  }

  async #reconcile(svc0: ServiceRecord): Promise<{ started: number; stopped: number }> {
    let svc = svc0;
    const w = { accountId: svc.accountId, region: svc.region };
    const all = await this.#tasksOf(svc);
    const live = all.filter((t) => t.desiredStatus === 'RUNNING' && t.lastStatus !== 'STOPPED');
    let primary = svc.deployments.find((d) => d.status === 'PRIMARY')!;
    // The deployment circuit breaker: once enough tasks of the deployment failed to start, it
    // fails, and rolls back to the deployment before it when asked to — source: ECS developer
    // guide, "deployment circuit breaker" (threshold: half the desired count, 3 to 200).
    const failedTasks = all.filter((t) => t.startedBy === primary.id && t.stopCode === 'TaskFailedToStart').length;
    const breaker = svc.deploymentConfiguration.deploymentCircuitBreaker;
    if (failedTasks !== primary.failedTasks || (breaker.enable && primary.rolloutState === 'IN_PROGRESS')) {
      const threshold = Math.min(200, Math.max(3, Math.ceil(svc.desiredCount / 2)));
      const trips = breaker.enable && primary.rolloutState === 'IN_PROGRESS' && failedTasks >= threshold;
      const previous = svc.deployments.find((d) => d.status === 'ACTIVE');
      const updated = await this.s.meta.ecs.update<ServiceRecord>(this.#key(svc), (r) => {
        let next: ServiceRecord = {
          ...r,
          deployments: r.deployments.map((d) =>
            d.id !== primary.id
              ? d
              : { ...d, failedTasks, ...(trips ? { rolloutState: 'FAILED' as const, rolloutStateReason: texts.breakerTripped, updatedAt: this.s.now() } : {}) },
          ),
        };
        if (trips) {
          next = this.#event(next, texts.eventDeploymentFailed(primary.id));
          if (breaker.rollback && previous) {
            const back = this.#deployment(previous.taskDefinition, r.desiredCount, r.launchType, r.networkConfiguration);
            next = {
              ...next,
              taskDefinition: previous.taskDefinition,
              deployments: [back, ...next.deployments.map((d) => (d.id === primary.id ? { ...d, status: 'ACTIVE' as const } : d))],
            };
            next = this.#event(next, texts.eventRollingBack(previous.id));
          }
        }
        return next;
      });
      if (updated) {
        svc = updated;
        primary = svc.deployments.find((d) => d.status === 'PRIMARY')!;
      }
    }
    const current = live.filter((t) => t.taskDefinitionArn === primary.taskDefinition);
    const old = live.filter((t) => t.taskDefinitionArn !== primary.taskDefinition);
    let started = 0;
    let stoppedCount = 0;
    const events: string[] = [];
    const startedIds: string[] = [];
    const stoppedIds: string[] = [];

    if (svc.status === 'DRAINING') {
      for (const t of live) {
        await this.tasks.stop(t, 'ServiceSchedulerInitiated', texts.scaledIn.replace('%s', primary.id.slice(8)));
        stoppedIds.push(t.taskId);
      }
      if (live.length === 0) {
        await this.s.meta.ecs.update<ServiceRecord>(this.#key(svc), (r) => ({ ...r, status: 'INACTIVE', deployments: r.deployments.map((d) => ({ ...d, status: 'INACTIVE' as const })) }));
      }
      return { started: 0, stopped: stoppedIds.length };
    }

    // Start what the primary deployment lacks, within maximumPercent of desiredCount.
    const cap = Math.max(svc.desiredCount, Math.floor((svc.desiredCount * svc.deploymentConfiguration.maximumPercent) / 100));
    // A failed deployment that did not roll back launches nothing more.
    const want = primary.rolloutState === 'FAILED' ? 0 : Math.min(svc.desiredCount - current.length, cap - live.length);
    if (want > 0) {
      const td = await this.s.findTaskDefinition(w, primary.taskDefinition);
      const cluster = await this.s.getCluster(w, svc.clusterName);
      if (td && cluster) {
        for (let n = 0; n < want; n++) {
          const t = await this.tasks.create(w, cluster, td, {
            launchType: svc.launchType,
            ...(svc.networkConfiguration !== undefined ? { networkConfiguration: svc.networkConfiguration } : {}),
            overrides: {},
            startedBy: primary.id,
            group: `service:${svc.name}`,
            tags: svc.propagateTags === 'SERVICE' ? svc.tags : [],
            serviceName: svc.name,
          });
          startedIds.push(t.taskId);
          started++;
        }
      }
    }
    // Too many of the primary: stop the newest extra ones.
    if (current.length > svc.desiredCount) {
      const extra = current.slice(svc.desiredCount);
      for (const t of extra) {
        await this.tasks.stop(t, 'ServiceSchedulerInitiated', texts.scaledIn.replace('%s', primary.id.slice(8)));
        stoppedIds.push(t.taskId);
      }
    }
    // Old deployments go once the primary runs its desired count.
    const primaryRunning = current.filter((t) => t.lastStatus === 'RUNNING').length;
    if (old.length > 0 && primaryRunning >= svc.desiredCount) {
      for (const t of old) {
        await this.tasks.stop(t, 'ServiceSchedulerInitiated', texts.replacedByDeployment(primary.id));
        stoppedIds.push(t.taskId);
      }
    }
    stoppedCount = stoppedIds.length;
    if (startedIds.length > 0) events.push(texts.eventStarted(startedIds));
    if (stoppedIds.length > 0) events.push(texts.eventStopped(stoppedIds));
    const steady = old.length === 0 && stoppedIds.length === 0 && startedIds.length === 0 && primaryRunning === svc.desiredCount && current.length === svc.desiredCount;
    await this.s.meta.ecs.update<ServiceRecord>(this.#key(svc), (r) => {
      let next = r;
      for (const e of events) next = this.#event(next, e);
      const wasSteady = r.events[0]?.message.endsWith(texts.eventSteady) ?? false;
      if (steady) {
        next = {
          ...next,
          deployments: next.deployments
            .filter((d) => d.status === 'PRIMARY')
            .map((d) =>
              d.rolloutState === 'IN_PROGRESS' ? { ...d, rolloutState: 'COMPLETED' as const, rolloutStateReason: texts.rolloutCompleted, updatedAt: this.s.now() } : d,
            ),
        };
        if (!wasSteady || events.length > 0) next = this.#event(next, texts.eventSteady);
      }
      return next;
    });
    return { started, stopped: stoppedCount };
  }

  async #purgeStopped(): Promise<void> {
    const cutoff = this.s.clock.now().getTime() - STOPPED_TASK_TTL_MS;
    for (const t of await this.s.meta.ecs.all<TaskRecord>('task')) {
      if (t.lastStatus === 'STOPPED' && t.stoppedAt !== undefined && Date.parse(t.stoppedAt) < cutoff) {
        await this.s.meta.ecs.delete({ accountId: t.accountId, region: t.region, kind: 'task', name: t.taskId });
      }
    }
  }
}
