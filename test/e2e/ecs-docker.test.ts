/**
 * ECS tasks and services running the pushed busybox image in a real Docker engine (private
 * dockerd, host network): exit codes reported back, essential / dependsOn ordering, environment,
 * working directory, memory limit, the task role's credentials served to the container, the
 * task metadata endpoint, and a service kept at two tasks when one is stopped.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  CreateServiceCommand,
  DescribeServicesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  UpdateServiceCommand,
  type ContainerDefinition,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { runJob } from '../support/admin.js';
import { dockerUnavailable, ensureHostsEntry, startDocker, type Docker } from '../support/docker.js';
import { EXECUTION_POLICY, ecsClient, makeTaskRole, waitForTask } from '../support/ecs.js';
import { stsClient } from '../support/iam.js';
import { awsCli } from '../support/clients.js';
import { pushLambdaImage } from '../support/lambda.js';
import { ACCOUNT, REGION, startServer, tempDir, type TestServer } from '../support/server.js';

const unavailable = dockerUnavailable();
const IMAGE = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/busy:latest`;
const NET = { awsvpcConfiguration: { subnets: ['subnet-12345678'] } };
const sh = (name: string, script: string, extra: Partial<ContainerDefinition> = {}): ContainerDefinition => ({
  name,
  image: IMAGE,
  entryPoint: ['/bin/sh', '-c'],
  command: [script],
  ...extra,
});

describe('ECS tasks and services in containers', { skip: unavailable ? `skipped: ${unavailable}` : false }, () => {
  let server: TestServer;
  let docker: Docker;
  let ecs: ECSClient;
  let execRole: string;
  let sink: Server;
  let sinkPort: number;
  const received: string[] = [];

  const register = async (family: string, containers: ContainerDefinition[], extra: Record<string, unknown> = {}) =>
    (
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family,
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          cpu: '256',
          memory: '512',
          executionRoleArn: execRole,
          containerDefinitions: containers,
          ...extra,
        }),
      )
    ).taskDefinition!;

  const runToStop = async (family: string) => {
    const run = await ecs.send(new RunTaskCommand({ taskDefinition: family, networkConfiguration: NET }));
    return waitForTask(ecs, 'default', run.tasks![0]!.taskArn!, 'STOPPED', 60_000);
  };

  before(async () => {
    docker = await startDocker();
    server = await startServer({ docker: true, dockerHost: docker.host, dockerNetwork: 'host' });
    ecs = ecsClient(server.url);
    await pushLambdaImage(server.port, server.url, 'busy', 'latest', 'ecs');
    execRole = await makeTaskRole(server.url, 'exec', { managed: [EXECUTION_POLICY] });
    sink = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    sinkPort = (sink.address() as AddressInfo).port;
  });

  after(async () => {
    ecs?.destroy();
    await server?.close();
    sink?.close();
    if (docker) {
      const left = await docker.cli(['ps', '-aq', '--filter', 'label=simfra.managed=true']);
      assert.equal(left.stdout.trim(), '', 'simfra removed its containers on close');
    }
    await docker?.stop();
  });

  it('runs a busybox task that exits 0: RUNNING, then STOPPED with EssentialContainerExited', async () => {
    // given
    await register('ok', [sh('app', 'echo hello; sleep 1; exit 0')]);
    // when
    const run = await ecs.send(new RunTaskCommand({ taskDefinition: 'ok', networkConfiguration: NET }));
    const running = await waitForTask(ecs, 'default', run.tasks![0]!.taskArn!, 'RUNNING', 60_000);
    const stopped = await waitForTask(ecs, 'default', run.tasks![0]!.taskArn!, 'STOPPED', 60_000);
    // then
    assert.ok(running.startedAt instanceof Date);
    assert.equal(running.containers![0]!.lastStatus, 'RUNNING');
    assert.ok(running.containers![0]!.runtimeId);
    assert.equal(stopped.stopCode, 'EssentialContainerExited');
    assert.equal(stopped.stoppedReason, 'Essential container in task exited');
    assert.equal(stopped.containers![0]!.exitCode, 0);
    assert.ok(stopped.pullStoppedAt! <= stopped.startedAt! && stopped.startedAt! <= stopped.stoppedAt!);
  });

  it('runs an image pushed with docker, named by simfra’s registry host', async () => {
    // given: busybox imported, pushed with `docker push`, and removed from the engine again
    const host = `${ACCOUNT}.dkr.ecr.${REGION}.localhost:${server.port}`;
    ensureHostsEntry(`${ACCOUNT}.dkr.ecr.${REGION}.localhost`);
    const password = await awsCli(server.url, ['ecr', 'get-login-password']);
    await docker.cli(['login', '-u', 'AWS', '--password-stdin', host], password.stdout);
    await awsCli(server.url, ['ecr', 'create-repository', '--repository-name', 'pushed']);
    await docker.importBusybox(`${host}/pushed:v1`, 'pushed-by-docker');
    await docker.cli(['push', `${host}/pushed:v1`]);
    await docker.cli(['rmi', `${host}/pushed:v1`]);
    await register('pushed', [{ name: 'app', image: `${host}/pushed:v1`, command: ['test "$(cat /message)" = pushed-by-docker && exit 5'] }]);
    // when
    const task = await runToStop('pushed');
    // then: the image's entrypoint ran our command in the pushed filesystem
    assert.equal(task.containers![0]!.exitCode, 5, task.stoppedReason);
    assert.equal(task.containers![0]!.image, `${host}/pushed:v1`);
  });

  it('starts containers in dependsOn order and reports each exit code', async () => {
    // given: init must succeed before app starts; app exits 7
    await register('deps', [
      sh('init', 'exit 0', { essential: false }),
      sh('app', 'exit 7', { dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }] }),
    ]);
    // when
    const task = await runToStop('deps');
    // then
    const codes = Object.fromEntries(task.containers!.map((c) => [c.name, c.exitCode]));
    assert.deepEqual(codes, { init: 0, app: 7 });
    assert.equal(task.stopCode, 'EssentialContainerExited');
  });

  it('gives containers their environment, working directory and memory limit', async () => {
    // given
    await register('env', [
      sh('app', 'test "$GREETING" = hi || exit 2; test "$(pwd)" = /tmp || exit 3; test "$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)" = 67108864 || exit 4; exit 0', {
        environment: [{ name: 'GREETING', value: 'hi' }],
        workingDirectory: '/tmp',
        memory: 64,
      }),
    ]);
    // when
    const task = await runToStop('env');
    // then
    assert.equal(task.containers![0]!.exitCode, 0);
  });

  it('serves the task role credentials and the metadata endpoint to the container', async () => {
    // given
    const taskRole = await makeTaskRole(server.url, 'task-role', { managed: [] });
    const script = [
      'creds=$(wget -q -O - --header "Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN" "$AWS_CONTAINER_CREDENTIALS_FULL_URI") || exit 2',
      'meta=$(wget -q -O - "$ECS_CONTAINER_METADATA_URI_V4/task") || exit 3',
      'echo "$meta" | grep -q TaskARN || exit 4',
      `wget -q -O /dev/null --post-data "$creds" http://127.0.0.1:${sinkPort}/ || exit 5`,
    ].join('; ');
    await register('creds', [sh('app', script)], { taskRoleArn: taskRole });
    // when
    const task = await runToStop('creds');
    // then
    assert.equal(task.containers![0]!.exitCode, 0, task.stoppedReason);
    const creds = JSON.parse(received.at(-1)!) as { AccessKeyId: string; SecretAccessKey: string; Token: string; RoleArn: string };
    assert.equal(creds.RoleArn, taskRole);
    const sts = stsClient(server.url, { accessKeyId: creds.AccessKeyId, secretAccessKey: creds.SecretAccessKey, sessionToken: creds.Token });
    const me = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    assert.equal(me.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/task-role/${task.taskArn!.split('/').at(-1)}`);
  });

  it('keeps a service at 2 running tasks and replaces one that is stopped', async () => {
    // given
    await register('svc', [sh('app', 'sleep 300')]);
    await ecs.send(new CreateServiceCommand({ serviceName: 'web', taskDefinition: 'svc', desiredCount: 2, networkConfiguration: NET }));
    const running = async (n: number) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        await runJob(server.url, 'ecs-scheduler');
        const { services } = await ecs.send(new DescribeServicesCommand({ services: ['web'] }));
        if (services![0]!.runningCount === n && services![0]!.pendingCount === 0) return services![0]!;
        if (Date.now() > deadline) throw new Error(`service has ${services![0]!.runningCount} running`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    await running(2);
    const before = (await ecs.send(new ListTasksCommand({ serviceName: 'web' }))).taskArns!;
    // when
    await ecs.send(new StopTaskCommand({ task: before[0]!, reason: 'test stop' }));
    await waitForTask(ecs, 'default', before[0]!, 'STOPPED', 60_000);
    const svc = await running(2);
    // then
    const now = (await ecs.send(new ListTasksCommand({ serviceName: 'web' }))).taskArns!;
    assert.equal(now.length, 2);
    assert.ok(!now.includes(before[0]!));
    assert.ok(now.includes(before[1]!));
    assert.ok(svc.events!.some((e) => /has started 1 tasks/.test(e.message!)));
  });

  it('rolls a service over to a new task definition revision', async () => {
    // given: a service running one task of revision 1
    const td1 = await register('roll', [sh('app', 'sleep 300')]);
    await ecs.send(new CreateServiceCommand({ serviceName: 'roll', taskDefinition: td1.taskDefinitionArn, desiredCount: 1, networkConfiguration: NET }));
    const settle = async (check: (s: Awaited<ReturnType<typeof describe1>>) => boolean) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        await runJob(server.url, 'ecs-scheduler');
        const svc = await describe1();
        if (check(svc)) return svc;
        if (Date.now() > deadline) throw new Error(JSON.stringify(svc.deployments));
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const describe1 = async () => (await ecs.send(new DescribeServicesCommand({ services: ['roll'] }))).services![0]!;
    await settle((svc) => svc.runningCount === 1 && svc.deployments![0]!.rolloutState === 'COMPLETED');
    const [oldTask] = (await ecs.send(new ListTasksCommand({ serviceName: 'roll' }))).taskArns!;
    // when: revision 2 with another command
    const td2 = await register('roll', [sh('app', 'sleep 301')]);
    await ecs.send(new UpdateServiceCommand({ service: 'roll', taskDefinition: td2.taskDefinitionArn }));
    const svc = await settle((x) => x.deployments!.length === 1 && x.deployments![0]!.rolloutState === 'COMPLETED' && x.runningCount === 1);
    // then
    assert.equal(svc.deployments![0]!.taskDefinition, td2.taskDefinitionArn);
    const old = await waitForTask(ecs, 'default', oldTask!, 'STOPPED', 30_000);
    assert.equal(old.stopCode, 'ServiceSchedulerInitiated');
    const [current] = (await ecs.send(new ListTasksCommand({ serviceName: 'roll' }))).taskArns!;
    assert.notEqual(current, oldTask);
    assert.ok(svc.events!.some((e) => /has stopped 1 running tasks/.test(e.message!)));
    await ecs.send(new UpdateServiceCommand({ service: 'roll', desiredCount: 0 }));
  });

  it('rolls back to the running revision when the circuit breaker trips', async () => {
    // given: a steady service on a good revision, the breaker on with rollback
    const good = await register('cb', [sh('app', 'sleep 300')]);
    await ecs.send(
      new CreateServiceCommand({
        serviceName: 'cb',
        taskDefinition: good.taskDefinitionArn,
        desiredCount: 1,
        networkConfiguration: NET,
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
      }),
    );
    const svcNow = async () => (await ecs.send(new DescribeServicesCommand({ services: ['cb'] }))).services![0]!;
    const until = async (check: (x: Awaited<ReturnType<typeof svcNow>>) => boolean) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        await runJob(server.url, 'ecs-scheduler');
        const x = await svcNow();
        if (check(x)) return x;
        if (Date.now() > deadline) throw new Error(JSON.stringify(x.deployments));
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await until((x) => x.runningCount === 1 && x.deployments![0]!.rolloutState === 'COMPLETED');
    // when: a revision whose image tag does not exist
    const bad = await register('cb', [{ ...sh('app', 'sleep 300'), image: IMAGE.replace(':latest', ':missing') }]);
    await ecs.send(new UpdateServiceCommand({ service: 'cb', taskDefinition: bad.taskDefinitionArn }));
    const rolled = await until((x) => x.deployments![0]!.taskDefinition === good.taskDefinitionArn && x.deployments![0]!.rolloutState === 'COMPLETED');
    // then: back on the good revision, still one task running, the events tell the story
    assert.equal(rolled.taskDefinition, good.taskDefinitionArn);
    assert.equal(rolled.runningCount, 1);
    const messages = rolled.events!.map((e) => e.message!);
    assert.ok(messages.some((m) => /deployment failed: tasks failed to start\.$/.test(m)), messages.join('\n'));
    assert.ok(messages.some((m) => /rolling back to deployment ecs-svc\/\d+\.$/.test(m)), messages.join('\n'));
    await ecs.send(new UpdateServiceCommand({ service: 'cb', desiredCount: 0 }));
  });

  it('after a restart with SIMFRA_DATA_DIR, stops the tasks the old process ran and starts the service again', async () => {
    // given: a service with one running task in a server that keeps its state
    const dir = tempDir();
    const first = await startServer({ docker: true, dockerHost: docker.host, dockerNetwork: 'host', dataDir: dir.path });
    let client = ecsClient(first.url);
    await pushLambdaImage(first.port, first.url, 'busy', 'latest', 'ecs');
    const role = await makeTaskRole(first.url, 'exec', { managed: [EXECUTION_POLICY] });
    await client.send(
      new RegisterTaskDefinitionCommand({
        family: 'kept',
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '256',
        memory: '512',
        executionRoleArn: role,
        containerDefinitions: [sh('app', 'sleep 300')],
      }),
    );
    await client.send(new CreateServiceCommand({ serviceName: 'kept', taskDefinition: 'kept', desiredCount: 1, networkConfiguration: NET }));
    const runningIn = async (url: string, c: ECSClient) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        await runJob(url, 'ecs-scheduler');
        const arns = (await c.send(new ListTasksCommand({ serviceName: 'kept' }))).taskArns!;
        if (arns.length === 1) {
          const t = await waitForTask(c, 'default', arns[0]!, 'RUNNING', 60_000).catch(() => undefined);
          if (t) return t;
        }
        if (Date.now() > deadline) throw new Error('no running task');
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const old = await runningIn(first.url, client);
    client.destroy();
    await first.close();
    // when
    const second = await startServer({ docker: true, dockerHost: docker.host, dockerNetwork: 'host', dataDir: dir.path });
    client = ecsClient(second.url);
    try {
      const fresh = await runningIn(second.url, client);
      const oldNow = await waitForTask(client, 'default', old.taskArn!, 'STOPPED', 5_000);
      // then
      assert.notEqual(fresh.taskArn, old.taskArn);
      assert.equal(oldNow.stopCode, 'TerminationNotice');
      const containers = await docker.cli(['ps', '-q', '--filter', `label=simfra.task=${old.taskArn}`]);
      assert.equal(containers.stdout.trim(), '');
    } finally {
      await client.send(new UpdateServiceCommand({ service: 'kept', desiredCount: 0 }));
      client.destroy();
      await second.close();
      dir.remove();
    }
  });
});
