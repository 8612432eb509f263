import type { ContainerDefinition, Tag, TaskOverride } from '../../model/ecs/types.js';

/** What simfra keeps of ECS resources (JSON in ecs_records); timestamps are ISO strings. */

export interface ClusterRecord {
  accountId: string;
  region: string;
  name: string;
  arn: string;
  status: 'ACTIVE' | 'INACTIVE';
  tags: Tag[];
  settings: { name?: string; value?: string }[];
  createdAt: string;
}

export interface FamilyRecord {
  family: string;
  lastRevision: number;
}

export interface TaskDefinitionRecord {
  accountId: string;
  region: string;
  family: string;
  revision: number;
  arn: string;
  status: 'ACTIVE' | 'INACTIVE' | 'DELETE_IN_PROGRESS';
  containerDefinitions: ContainerDefinition[];
  taskRoleArn?: string;
  executionRoleArn?: string;
  networkMode: string;
  requiresCompatibilities: string[];
  compatibilities: string[];
  cpu?: string;
  memory?: string;
  /** The rest of the request as given (volumes, placement, runtime platform, …), echoed back. */
  extra: Record<string, unknown>;
  tags: Tag[];
  registeredAt: string;
  registeredBy: string;
  deregisteredAt?: string;
}

export interface ContainerRecord {
  name: string;
  arn: string;
  image: string;
  imageDigest?: string;
  runtimeId?: string;
  lastStatus: string;
  exitCode?: number;
  reason?: string;
  essential: boolean;
  cpu: string;
  memory?: string;
}

export type TaskStatus = 'PROVISIONING' | 'PENDING' | 'ACTIVATING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPING' | 'DEPROVISIONING' | 'STOPPED';

export interface TaskRecord {
  accountId: string;
  region: string;
  taskId: string;
  arn: string;
  clusterArn: string;
  clusterName: string;
  taskDefinitionArn: string;
  family: string;
  lastStatus: TaskStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  launchType: string;
  cpu?: string;
  memory?: string;
  containers: ContainerRecord[];
  overrides: TaskOverride;
  startedBy?: string;
  group: string;
  tags: Tag[];
  version: number;
  createdAt: string;
  pullStartedAt?: string;
  pullStoppedAt?: string;
  connectivityAt?: string;
  startedAt?: string;
  stoppingAt?: string;
  executionStoppedAt?: string;
  stoppedAt?: string;
  stopCode?: string;
  stoppedReason?: string;
  /** The service that started it, if any. */
  serviceName?: string;
}

export interface DeploymentRecord {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  taskDefinition: string;
  desiredCount: number;
  launchType: string;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason: string;
  failedTasks: number;
  createdAt: string;
  updatedAt: string;
  networkConfiguration?: unknown;
}

export interface ServiceRecord {
  accountId: string;
  region: string;
  name: string;
  arn: string;
  clusterArn: string;
  clusterName: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  desiredCount: number;
  taskDefinition: string;
  launchType: string;
  deploymentConfiguration: { maximumPercent: number; minimumHealthyPercent: number; deploymentCircuitBreaker: { enable: boolean; rollback: boolean } };
  deployments: DeploymentRecord[];
  events: { id: string; createdAt: string; message: string }[];
  networkConfiguration?: unknown;
  tags: Tag[];
  createdAt: string;
  createdBy: string;
  schedulingStrategy: string;
  propagateTags: string;
  enableECSManagedTags: boolean;
  enableExecuteCommand: boolean;
}

export const arns = {
  cluster: (region: string, account: string, name: string) => `arn:aws:ecs:${region}:${account}:cluster/${name}`,
  taskDefinition: (region: string, account: string, family: string, revision: number) => `arn:aws:ecs:${region}:${account}:task-definition/${family}:${revision}`,
  task: (region: string, account: string, cluster: string, id: string) => `arn:aws:ecs:${region}:${account}:task/${cluster}/${id}`,
  service: (region: string, account: string, cluster: string, name: string) => `arn:aws:ecs:${region}:${account}:service/${cluster}/${name}`,
  container: (region: string, account: string, cluster: string, task: string, id: string) => `arn:aws:ecs:${region}:${account}:container/${cluster}/${task}/${id}`,
};

/** `arn:aws:ecs:region:account:type/rest` → its parts; undefined for anything else. */
export function parseEcsArn(arn: string): { region: string; accountId: string; type: string; rest: string } | undefined {
  const m = /^arn:aws[a-z-]*:ecs:([a-z0-9-]+):(\d{12}):([a-z-]+)\/(.+)$/.exec(arn);
  return m ? { region: m[1]!, accountId: m[2]!, type: m[3]!, rest: m[4]! } : undefined;
}

const date = (s: string | undefined) => (s === undefined ? undefined : new Date(s));

/** Copies `o` with its ISO timestamp fields (named …At) as Dates, leaving out undefined fields. */
export function withDates<T extends object>(o: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    out[k] = k.endsWith('At') && typeof v === 'string' ? date(v) : v;
  }
  return out;
}
