/**
 * What code in a task reaches on Fargate besides AWS APIs: the task role's credentials
 * (`AWS_CONTAINER_CREDENTIALS_FULL_URI` + `AWS_CONTAINER_AUTHORIZATION_TOKEN`, the variables AWS
 * SDKs read) and the task metadata endpoint v4 (`ECS_CONTAINER_METADATA_URI_V4`, with `/task`).
 * One small HTTP server on 127.0.0.1 (containers run on the host network) serves both; each task
 * has its own unguessable token, required on the credentials path.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IssuedSession } from '../../iam/sessions.js';
import type { EcsState } from './control.js';
import type { TaskDefinitionRecord, TaskRecord } from './records.js';
import type { TaskEndpoints } from './tasks.js';

/** Credentials are renewed when they have less than this left, as the ECS agent does. */
const RENEW_BEFORE_MS = 15 * 60_000;

interface Entry {
  token: string;
  renew: () => Promise<IssuedSession>;
  roleArn?: string;
  credentials?: IssuedSession;
  task: TaskRecord;
}

export class EcsTaskEndpoints implements TaskEndpoints {
  readonly #tasks = new Map<string, Entry>();
  #server: Server | undefined;
  #port = 0;

  constructor(private readonly state: EcsState) {}

  async listen(): Promise<void> {
    this.#server = createServer((req, res) => {
      void this.#handle(req.method ?? 'GET', req.url ?? '/', req.headers.authorization).then(
        ({ status, body }) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        },
        () => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end('{"message":"internal error"}');
        },
      );
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  get base(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async close(): Promise<void> {
    if (this.#server) await new Promise<void>((r) => this.#server!.close(() => r()));
  }

  register(task: TaskRecord, def: TaskDefinitionRecord, credentials: IssuedSession | undefined, renew: () => Promise<IssuedSession>): Record<string, string> {
    const token = randomBytes(24).toString('base64url');
    this.#tasks.set(task.taskId, { token, task, renew, ...(def.taskRoleArn !== undefined ? { roleArn: def.taskRoleArn } : {}), ...(credentials ? { credentials } : {}) });
    return credentials
      ? { AWS_CONTAINER_CREDENTIALS_FULL_URI: `${this.base}/v2/credentials/${task.taskId}`, AWS_CONTAINER_AUTHORIZATION_TOKEN: token }
      : {};
  }

  containerEnv(task: TaskRecord, container: string): Record<string, string> {
    return { ECS_CONTAINER_METADATA_URI_V4: `${this.base}/v4/${task.taskId}/${encodeURIComponent(container)}` };
  }

  forget(taskId: string): void {
    this.#tasks.delete(taskId);
  }

  async #handle(method: string, url: string, authorization: string | undefined): Promise<{ status: number; body: unknown }> {
    if (method !== 'GET') return { status: 405, body: { message: 'method not allowed' } };
    const path = url.split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
    if (path[0] === 'v2' && path[1] === 'credentials' && path.length === 3) {
      const e = this.#tasks.get(path[2]!);
      if (!e || !e.credentials || authorization !== e.token) return { status: 400, body: { code: 'InvalidIdentityToken', message: 'Unable to find the task credentials' } };
      if (e.credentials.expiration.getTime() - this.state.clock.now().getTime() < RENEW_BEFORE_MS) e.credentials = await e.renew();
      return {
        status: 200,
        body: {
          RoleArn: e.roleArn,
          AccessKeyId: e.credentials.accessKeyId,
          SecretAccessKey: e.credentials.secretAccessKey,
          Token: e.credentials.sessionToken,
          Expiration: e.credentials.expiration.toISOString(),
        },
      };
    }
    if (path[0] === 'v4' && (path.length === 3 || (path.length === 4 && path[3] === 'task'))) {
      const e = this.#tasks.get(path[1]!);
      if (!e) return { status: 404, body: { message: 'task not found' } };
      const task = (await this.state.meta.ecs.get<TaskRecord>({ accountId: e.task.accountId, region: e.task.region, kind: 'task', name: e.task.taskId })) ?? e.task;
      const containers = task.containers.map((c) => this.#container(task, c));
      if (path.length === 4) {
        return {
          status: 200,
          body: {
            Cluster: task.clusterArn,
            TaskARN: task.arn,
            Family: task.family,
            Revision: task.taskDefinitionArn.split(':').at(-1),
            DesiredStatus: task.desiredStatus,
            KnownStatus: task.lastStatus,
            Containers: containers,
            ...(task.cpu !== undefined || task.memory !== undefined ? { Limits: { CPU: task.cpu ? Number(task.cpu) / 1024 : undefined, Memory: task.memory ? Number(task.memory) : undefined } } : {}),
            PullStartedAt: task.pullStartedAt,
            PullStoppedAt: task.pullStoppedAt,
            AvailabilityZone: `${task.region}a`,
            LaunchType: task.launchType,
          },
        };
      }
      const c = containers.find((x) => x.Name === path[2]);
      return c ? { status: 200, body: c } : { status: 404, body: { message: 'container not found' } };
    }
    return { status: 404, body: { message: 'not found' } };
  }

  #container(task: TaskRecord, c: TaskRecord['containers'][number]) {
    return {
      DockerId: c.runtimeId,
      Name: c.name,
      DockerName: `simfra-ecs-${task.taskId}-${c.name}`,
      Image: c.image,
      ImageID: c.imageDigest,
      Labels: {
        'com.amazonaws.ecs.cluster': task.clusterArn,
        'com.amazonaws.ecs.container-name': c.name,
        'com.amazonaws.ecs.task-arn': task.arn,
        'com.amazonaws.ecs.task-definition-family': task.family,
        'com.amazonaws.ecs.task-definition-version': task.taskDefinitionArn.split(':').at(-1),
      },
      DesiredStatus: task.desiredStatus,
      KnownStatus: c.lastStatus,
      ...(c.exitCode !== undefined ? { ExitCode: c.exitCode } : {}),
      Limits: { CPU: Number(c.cpu) },
      Type: 'NORMAL',
      ContainerARN: c.arn,
      LogDriver: 'json-file',
    };
  }
}
