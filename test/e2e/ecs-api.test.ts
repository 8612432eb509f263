/**
 * ECS without a container engine, with real clients (SDK v3, aws CLI, boto3): clusters (the
 * `default` one included), task definitions (Fargate validation, revisions, deregister, delete),
 * tags, and RunTask's pull check done with the execution role's authority — the task stops with
 * TaskFailedToStart and AWS's texts when the role or the repository policy refuses, and with a
 * reason saying containers are not run when the pull is allowed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteClusterCommand,
  DeleteServiceCommand,
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListClustersCommand,
  ListTagsForResourceCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
  type ECSClient,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { SetRepositoryPolicyCommand } from '@aws-sdk/client-ecr';
import { runJob } from '../support/admin.js';
import { awsCli, boto3, ecrClient, type Credentials } from '../support/clients.js';
import { EXECUTION_POLICY, ecsClient, makeTaskRole, waitForTask } from '../support/ecs.js';
import { doc, makeAccount, makeUser, noIdentityAllow } from '../support/iam.js';
import { pushLambdaImage } from '../support/lambda.js';
import { ACCOUNT, REGION, startServer, tempDir, type TestServer } from '../support/server.js';
import { hasTool } from '../support/tools.js';

const OTHER = '222222222222';
const noCli = !(await hasTool('aws', '--version'));
const noPython = !(await hasTool('python3', '-c', 'import boto3'));
const image = (repo: string, tag = 'latest', account = ACCOUNT) => `${account}.dkr.ecr.${REGION}.amazonaws.com/${repo}:${tag}`;
const NET = { awsvpcConfiguration: { subnets: ['subnet-12345678'] } };

async function rejection(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
  throw new Error('expected a rejection');
}

const fargate = (family: string, img: string, executionRoleArn?: string): RegisterTaskDefinitionCommandInput => ({
  family,
  requiresCompatibilities: ['FARGATE'],
  networkMode: 'awsvpc',
  cpu: '256',
  memory: '512',
  ...(executionRoleArn ? { executionRoleArn } : {}),
  containerDefinitions: [{ name: 'app', image: img, essential: true }],
});

describe('ECS control plane and pull checks (no containers)', () => {
  let server: TestServer;
  let ecs: ECSClient;
  let other: Credentials;
  let execRole: string;

  before(async () => {
    server = await startServer();
    ecs = ecsClient(server.url);
    await pushLambdaImage(server.port, server.url, 'app', 'latest', 'hello');
    execRole = await makeTaskRole(server.url, 'exec', { managed: [EXECUTION_POLICY] });
    other = await makeAccount(server.url, OTHER);
    await pushLambdaImage(server.port, server.url, 'shared', 'v1', 'other', { credentials: other, registryHost: `${OTHER}.dkr.ecr.${REGION}.localhost:${server.port}` });
  });
  after(async () => {
    ecs.destroy();
    await server.close();
  });

  it('creates, describes, lists and deletes clusters; a missing one is a failure', async () => {
    // given
    const { cluster } = await ecs.send(new CreateClusterCommand({ clusterName: 'blue', tags: [{ key: 'team', value: 'a' }] }));
    // when
    const described = await ecs.send(new DescribeClustersCommand({ clusters: ['blue', 'nope'], include: ['TAGS'] }));
    const listed = await ecs.send(new ListClustersCommand({}));
    // then
    assert.equal(cluster!.clusterArn, `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/blue`);
    assert.equal(described.clusters![0]!.status, 'ACTIVE');
    assert.deepEqual(described.clusters![0]!.tags, [{ key: 'team', value: 'a' }]);
    assert.deepEqual(described.failures, [{ arn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/nope`, reason: 'MISSING' }]);
    assert.ok(listed.clusterArns!.includes(cluster!.clusterArn!));
    const deleted = await ecs.send(new DeleteClusterCommand({ cluster: 'blue' }));
    assert.equal(deleted.cluster!.status, 'INACTIVE');
    assert.ok(!(await ecs.send(new ListClustersCommand({}))).clusterArns!.includes(cluster!.clusterArn!));
    const e = await rejection(ecs.send(new DescribeTasksCommand({ cluster: 'blue', tasks: ['x'] })));
    assert.deepEqual(e, { name: 'ClusterNotFoundException', message: 'Cluster not found.' });
  });

  it('refuses Fargate task definitions AWS refuses, with its ClientException texts', async () => {
    const cases: [Partial<RegisterTaskDefinitionCommandInput>, string][] = [
      [{ cpu: undefined }, "Fargate requires that 'cpu' be defined at the task level."],
      [{ memory: undefined }, "Fargate requires that 'memory' be defined at the task level."],
      [{ networkMode: 'bridge' }, 'Fargate only supports network mode ‘awsvpc’.'],
      [{ cpu: '1024', memory: '1024' }, 'No Fargate configuration exists for given values: 1024 CPU, 1024 memory. See the Amazon ECS documentation for the valid values.'],
      [{ executionRoleArn: undefined }, 'Fargate requires task definition to have execution role ARN to support ECR images.'],
    ];
    for (const [change, message] of cases) {
      // given
      const input = { ...fargate('bad', image('app'), execRole), ...change } as RegisterTaskDefinitionCommandInput;
      // when
      const e = await rejection(ecs.send(new RegisterTaskDefinitionCommand(input)));
      // then
      assert.deepEqual(e, { name: 'ClientException', message }, JSON.stringify(change));
    }
    const families = await ecs.send(new ListTaskDefinitionFamiliesCommand({ status: 'ALL' }));
    assert.ok(!families.families!.includes('bad'));
  });

  it('registers revisions of a family, describes, lists, deregisters and deletes them', async () => {
    // given
    const r1 = await ecs.send(new RegisterTaskDefinitionCommand({ ...fargate('web', image('app'), execRole), tags: [{ key: 'v', value: '1' }] }));
    const r2 = await ecs.send(new RegisterTaskDefinitionCommand({ ...fargate('web', image('app'), execRole), cpu: '0.5 vCPU', memory: '1 GB' }));
    // when
    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web', include: ['TAGS'] }));
    const first = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web:1', include: ['TAGS'] }));
    // then
    assert.equal(r1.taskDefinition!.revision, 1);
    assert.equal(r2.taskDefinition!.revision, 2);
    assert.equal(latest.taskDefinition!.taskDefinitionArn, `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/web:2`);
    assert.equal(latest.taskDefinition!.cpu, '512');
    assert.equal(latest.taskDefinition!.memory, '1024');
    assert.deepEqual(latest.taskDefinition!.compatibilities, ['EC2', 'FARGATE']);
    assert.equal(latest.taskDefinition!.containerDefinitions![0]!.essential, true);
    assert.deepEqual(first.tags, [{ key: 'v', value: '1' }]);
    assert.ok(latest.taskDefinition!.registeredAt instanceof Date);

    // when: revision 1 is deregistered, then deleted
    const dereg = await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'web:1' }));
    const active = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'web' }));
    const inactive = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'web', status: 'INACTIVE' }));
    const delActive = await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ['web:2'] }));
    const del = await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ['web:1'] }));
    // then
    assert.equal(dereg.taskDefinition!.status, 'INACTIVE');
    assert.deepEqual(active.taskDefinitionArns, [r2.taskDefinition!.taskDefinitionArn]);
    assert.deepEqual(inactive.taskDefinitionArns, [r1.taskDefinition!.taskDefinitionArn]);
    assert.equal(delActive.failures!.length, 1);
    assert.equal(del.taskDefinitions![0]!.status, 'DELETE_IN_PROGRESS');
    const gone = await rejection(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web:1' })));
    assert.deepEqual(gone, { name: 'ClientException', message: 'Unable to describe task definition.' });
    // a new revision keeps counting
    const r3 = await ecs.send(new RegisterTaskDefinitionCommand(fargate('web', image('app'), execRole)));
    assert.equal(r3.taskDefinition!.revision, 3);
  });

  it('tags clusters and task definitions', async () => {
    // given
    const { cluster } = await ecs.send(new CreateClusterCommand({ clusterName: 'tagged' }));
    const { taskDefinition } = await ecs.send(new RegisterTaskDefinitionCommand(fargate('tagged', image('app'), execRole)));
    for (const arn of [cluster!.clusterArn!, taskDefinition!.taskDefinitionArn!]) {
      // when
      await ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] }));
      await ecs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['a'] }));
      const { tags } = await ecs.send(new ListTagsForResourceCommand({ resourceArn: arn }));
      // then
      assert.deepEqual(tags, [{ key: 'b', value: '2' }], arn);
    }
    const e = await rejection(ecs.send(new ListTagsForResourceCommand({ resourceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/none` })));
    assert.equal(e.name, 'ResourceNotFoundException');
  });

  it('RunTask creates the default cluster, pulls with the execution role, and stops: containers are not run', async () => {
    // given
    await ecs.send(new RegisterTaskDefinitionCommand(fargate('ok', image('app'), execRole)));
    // when
    const run = await ecs.send(new RunTaskCommand({ taskDefinition: 'ok', networkConfiguration: NET, startedBy: 'me' }));
    const task = await waitForTask(ecs, 'default', run.tasks![0]!.taskArn!, 'STOPPED');
    // then
    assert.equal(run.tasks![0]!.lastStatus, 'PROVISIONING');
    assert.equal(run.tasks![0]!.desiredStatus, 'RUNNING');
    assert.equal(run.tasks![0]!.clusterArn, `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/default`);
    assert.equal(task.stopCode, 'TaskFailedToStart');
    assert.match(task.stoppedReason!, /SIMFRA_DOCKER=true/);
    assert.equal(task.desiredStatus, 'STOPPED');
    assert.ok(task.containers![0]!.imageDigest!.startsWith('sha256:'));
    assert.ok(task.pullStartedAt instanceof Date && task.stoppedAt instanceof Date);
    const listed = await ecs.send(new ListTasksCommand({ desiredStatus: 'STOPPED', startedBy: 'me' }));
    assert.deepEqual(listed.taskArns, [task.taskArn]);
    assert.deepEqual((await ecs.send(new ListTasksCommand({ startedBy: 'me' }))).taskArns, []);
  });

  it('stops the task with TaskFailedToStart and AWS texts when the pull is refused or the image is missing', async () => {
    // given
    const noBatchGet = await makeTaskRole(server.url, 'no-batchget', {
      inline: doc([{ Effect: 'Allow', Action: ['ecr:GetAuthorizationToken', 'ecr:GetDownloadUrlForLayer'], Resource: '*' }]),
    });
    const noToken = await makeTaskRole(server.url, 'no-token', {
      inline: doc([{ Effect: 'Allow', Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], Resource: '*' }]),
    });
    const untrusting = await makeTaskRole(server.url, 'untrusting', {
      managed: [EXECUTION_POLICY],
      trust: doc([{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]),
    });
    const cases: [string, string, string | RegExp][] = [
      [
        noBatchGet,
        image('app'),
        `CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref ${image('app')}: unexpected status from HEAD request to https://${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/v2/app/manifests/latest: 403 Forbidden`,
      ],
      [
        noToken,
        image('app'),
        `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 1 time(s): AccessDeniedException: User: arn:aws:sts::${ACCOUNT}:assumed-role/no-token/`,
      ],
      [
        untrusting,
        image('app'),
        `ECS was unable to assume the role '${untrusting}' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.`,
      ],
      [execRole, image('app', 'missing'), `CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref ${image('app', 'missing')}: ${image('app', 'missing')}: not found`],
      [execRole, image('no-repo'), `CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref ${image('no-repo')}: ${image('no-repo')}: not found`],
    ];
    for (const [role, img, reason] of cases) {
      await ecs.send(new RegisterTaskDefinitionCommand(fargate('denied', img, role)));
      // when
      const run = await ecs.send(new RunTaskCommand({ taskDefinition: 'denied', networkConfiguration: NET }));
      const task = await waitForTask(ecs, 'default', run.tasks![0]!.taskArn!, 'STOPPED');
      // then
      assert.equal(task.stopCode, 'TaskFailedToStart', role);
      if (typeof reason === 'string') assert.ok(task.stoppedReason!.startsWith(reason), `${task.stoppedReason} should start with ${reason}`);
      else assert.match(task.stoppedReason!, reason);
      assert.equal(task.containers![0]!.reason, task.stoppedReason);
    }
  });

  it('pulls another account’s image only when its repository policy allows the execution role', async () => {
    // given
    await ecs.send(new RegisterTaskDefinitionCommand(fargate('cross', image('shared', 'v1', OTHER), execRole)));
    // when: no repository policy
    const denied = await ecs.send(new RunTaskCommand({ taskDefinition: 'cross', networkConfiguration: NET }));
    const deniedTask = await waitForTask(ecs, 'default', denied.tasks![0]!.taskArn!, 'STOPPED');
    // then
    assert.match(deniedTask.stoppedReason!, /^CannotPullContainerError: .*403 Forbidden$/);

    // when: the other account lets the role pull
    const ecr = ecrClient(server.url, other);
    await ecr.send(
      new SetRepositoryPolicyCommand({
        repositoryName: 'shared',
        policyText: doc([{ Sid: 'pull', Effect: 'Allow', Principal: { AWS: execRole }, Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] }]),
      }),
    );
    ecr.destroy();
    const allowed = await ecs.send(new RunTaskCommand({ taskDefinition: 'cross', networkConfiguration: NET }));
    const allowedTask = await waitForTask(ecs, 'default', allowed.tasks![0]!.taskArn!, 'STOPPED');
    // then
    assert.match(allowedTask.stoppedReason!, /SIMFRA_DOCKER=true/);
  });

  it('authorizes RunTask as ecs:RunTask on the task definition as named, and iam:PassRole on its roles', async () => {
    // given: a user allowed to run only the family `ok` (latest revision, as named) and to pass
    // the execution role to ECS; another without iam:PassRole
    const run = { Effect: 'Allow', Action: 'ecs:RunTask', Resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/ok` };
    const pass = { Effect: 'Allow', Action: 'iam:PassRole', Resource: execRole, Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } } };
    const user = await makeUser(server.url, 'runner', { inline: { run: doc([run, pass]) } });
    const noPass = await makeUser(server.url, 'runner-no-pass', { inline: { run: doc([run]) } });
    const asUser = ecsClient(server.url, user);
    const asNoPass = ecsClient(server.url, noPass);
    try {
      // when
      const allowed = await asUser.send(new RunTaskCommand({ taskDefinition: 'ok', networkConfiguration: NET }));
      const denied = await rejection(asUser.send(new RunTaskCommand({ taskDefinition: 'ok:1', networkConfiguration: NET })));
      const notPassed = await rejection(asNoPass.send(new RunTaskCommand({ taskDefinition: 'ok', networkConfiguration: NET })));
      // then
      assert.equal(allowed.tasks!.length, 1);
      assert.deepEqual(denied, {
        name: 'AccessDeniedException',
        message: noIdentityAllow(user.arn, 'ecs:RunTask', `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/ok:1`),
      });
      assert.deepEqual(notPassed, { name: 'AccessDeniedException', message: noIdentityAllow(noPass.arn, 'iam:PassRole', execRole) });
    } finally {
      asUser.destroy();
      asNoPass.destroy();
    }
  });

  it('RunTask and StopTask errors are AWS-shaped', async () => {
    const noTd = await rejection(ecs.send(new RunTaskCommand({ taskDefinition: 'nope:1' })));
    assert.deepEqual(noTd, { name: 'InvalidParameterException', message: 'TaskDefinition not found.' });
    await ecs.send(new RegisterTaskDefinitionCommand(fargate('netless', image('app'), execRole)));
    const noNet = await rejection(ecs.send(new RunTaskCommand({ taskDefinition: 'netless' })));
    assert.deepEqual(noNet, { name: 'InvalidParameterException', message: "Network Configuration must be provided when networkMode 'awsvpc' is specified." });
    const noCluster = await rejection(ecs.send(new RunTaskCommand({ taskDefinition: 'netless', cluster: 'ghost', networkConfiguration: NET })));
    assert.equal(noCluster.name, 'ClusterNotFoundException');
    const noTask = await rejection(ecs.send(new StopTaskCommand({ task: '0123456789abcdef0123456789abcdef' })));
    assert.equal(noTask.name, 'InvalidParameterException');
    // a refused RunTask or CreateService does not create the default cluster
    const fresh = ecsClient(server.url, other);
    try {
      await fresh.send(new RegisterTaskDefinitionCommand(fargate('netless', image('app'), execRole)));
      await rejection(fresh.send(new RunTaskCommand({ taskDefinition: 'netless' })));
      await rejection(fresh.send(new CreateServiceCommand({ serviceName: 's', taskDefinition: 'netless' })));
      assert.deepEqual((await fresh.send(new ListClustersCommand({}))).clusterArns, []);
    } finally {
      fresh.destroy();
    }
  });

  it('services: create, describe, scale, roll to a new revision, delete', async () => {
    // given
    await ecs.send(new CreateClusterCommand({ clusterName: 'svc' }));
    const td1 = (await ecs.send(new RegisterTaskDefinitionCommand(fargate('svc', image('app'), execRole)))).taskDefinition!;
    // when
    const created = await ecs.send(
      new CreateServiceCommand({ cluster: 'svc', serviceName: 'api', taskDefinition: 'svc', desiredCount: 0, networkConfiguration: NET }),
    );
    await runJob(server.url, 'ecs-scheduler');
    const steady = await ecs.send(new DescribeServicesCommand({ cluster: 'svc', services: ['api', 'ghost'] }));
    // then
    assert.equal(created.service!.serviceArn, `arn:aws:ecs:${REGION}:${ACCOUNT}:service/svc/api`);
    assert.equal(created.service!.launchType, 'FARGATE');
    assert.equal(steady.services![0]!.deployments![0]!.rolloutState, 'COMPLETED');
    assert.match(steady.services![0]!.events![0]!.message!, /^\(service api\) has reached a steady state\.$/);
    assert.equal(steady.failures![0]!.reason, 'MISSING');
    const dup = await rejection(ecs.send(new CreateServiceCommand({ cluster: 'svc', serviceName: 'api', taskDefinition: 'svc', networkConfiguration: NET })));
    assert.deepEqual(dup, { name: 'InvalidParameterException', message: 'Creation of service was not idempotent.' });

    // when: a new revision
    const td2 = (await ecs.send(new RegisterTaskDefinitionCommand(fargate('svc', image('app'), execRole)))).taskDefinition!;
    const updated = await ecs.send(new UpdateServiceCommand({ cluster: 'svc', service: 'api', taskDefinition: 'svc' }));
    // then
    assert.equal(updated.service!.taskDefinition, td2.taskDefinitionArn);
    assert.deepEqual(updated.service!.deployments!.map((d) => [d.status, d.taskDefinition]), [
      ['PRIMARY', td2.taskDefinitionArn],
      ['ACTIVE', td1.taskDefinitionArn],
    ]);
    await runJob(server.url, 'ecs-scheduler');
    const rolled = await ecs.send(new DescribeServicesCommand({ cluster: 'svc', services: ['api'] }));
    assert.deepEqual(rolled.services![0]!.deployments!.map((d) => [d.status, d.rolloutState]), [['PRIMARY', 'COMPLETED']]);

    // when: deleting a scaled service needs force
    await ecs.send(new UpdateServiceCommand({ cluster: 'svc', service: 'api', desiredCount: 1 }));
    const scaled = await rejection(ecs.send(new DeleteServiceCommand({ cluster: 'svc', service: 'api' })));
    assert.deepEqual(scaled, { name: 'InvalidParameterException', message: 'The service cannot be stopped while it is scaled above 0.' });
    const del = await ecs.send(new DeleteServiceCommand({ cluster: 'svc', service: 'api', force: true }));
    assert.equal(del.service!.status, 'DRAINING');
    await runJob(server.url, 'ecs-scheduler');
    await runJob(server.url, 'ecs-scheduler');
    const after = await ecs.send(new DescribeServicesCommand({ cluster: 'svc', services: ['api'] }));
    assert.equal(after.services![0]!.status, 'INACTIVE');
  });

  it('the deployment circuit breaker fails a deployment whose tasks fail to start', async () => {
    // given: a service whose image tag does not exist, with the breaker on
    await ecs.send(new RegisterTaskDefinitionCommand(fargate('broken', image('app', 'no-such-tag'), execRole)));
    await ecs.send(
      new CreateServiceCommand({
        serviceName: 'broken',
        taskDefinition: 'broken',
        desiredCount: 1,
        networkConfiguration: NET,
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
      }),
    );
    // when: the scheduler keeps launching tasks that stop with TaskFailedToStart
    let deployment;
    for (let pass = 0; pass < 40; pass++) {
      await runJob(server.url, 'ecs-scheduler');
      deployment = (await ecs.send(new DescribeServicesCommand({ services: ['broken'] }))).services![0]!.deployments![0]!;
      if (deployment.rolloutState === 'FAILED') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // then: failed after 3 failed tasks (half the desired count, at least 3); nothing to roll back to
    assert.equal(deployment!.rolloutState, 'FAILED');
    assert.equal(deployment!.rolloutStateReason, 'ECS deployment circuit breaker: tasks failed to start.');
    assert.ok(deployment!.failedTasks! >= 3);
    const { services } = await ecs.send(new DescribeServicesCommand({ services: ['broken'] }));
    assert.match(services![0]!.events![0]!.message!, /^\(service broken\) deployment ecs-svc\/\d+ deployment failed: tasks failed to start\.$/);
    // and no more tasks are launched
    const before = (await ecs.send(new ListTasksCommand({ serviceName: 'broken', desiredStatus: 'STOPPED' }))).taskArns!.length;
    await runJob(server.url, 'ecs-scheduler');
    const afterRun = (await ecs.send(new ListTasksCommand({ serviceName: 'broken', desiredStatus: 'STOPPED' }))).taskArns!.length;
    assert.equal(afterRun, before);
    await ecs.send(new DeleteServiceCommand({ service: 'broken', force: true }));
  });

  it('the aws CLI registers a task definition from JSON and waits for a stopped task', { skip: noCli && 'aws CLI not installed' }, async () => {
    // given
    const input = JSON.stringify(fargate('cli', image('app'), execRole));
    // when
    const reg = await awsCli(server.url, ['ecs', 'register-task-definition', '--cli-input-json', input]);
    const run = await awsCli(server.url, ['ecs', 'run-task', '--task-definition', 'cli', '--network-configuration', 'awsvpcConfiguration={subnets=[subnet-1]}']);
    const arn = (JSON.parse(run.stdout) as { tasks: { taskArn: string }[] }).tasks[0]!.taskArn;
    const wait = await awsCli(server.url, ['ecs', 'wait', 'tasks-stopped', '--tasks', arn]);
    const described = await awsCli(server.url, ['ecs', 'describe-tasks', '--tasks', arn, '--query', 'tasks[0].[lastStatus,stopCode]', '--output', 'text']);
    // then
    assert.equal(reg.code, 0, reg.stderr);
    assert.equal((JSON.parse(reg.stdout) as { taskDefinition: { revision: number } }).taskDefinition.revision, 1);
    assert.equal(wait.code, 0, wait.stderr);
    assert.equal(described.stdout.trim(), 'STOPPED\tTaskFailedToStart');
  });

  it('boto3 lists task definition families and describes a task definition', { skip: noPython && 'python3 with boto3 not installed' }, async () => {
    // given
    await ecs.send(new RegisterTaskDefinitionCommand(fargate('py', image('app'), execRole)));
    // when
    const out = await boto3(
      server.url,
      'ecs',
      `fams = client.list_task_definition_families(familyPrefix='py')['families']
td = client.describe_task_definition(taskDefinition='py')['taskDefinition']
out([fams, td['revision'], td['containerDefinitions'][0]['image'], td['registeredAt'].year > 2000])`,
    );
    // then
    assert.deepEqual(out, [['py'], 1, image('app'), true]);
  });
});

describe('ECS state with SIMFRA_DATA_DIR', () => {
  it('keeps clusters, task definition revisions, tags and services across a restart', async () => {
    // given
    const dir = tempDir();
    const first = await startServer({ dataDir: dir.path });
    let ecs = ecsClient(first.url);
    await pushLambdaImage(first.port, first.url, 'app', 'latest', 'hello');
    const role = await makeTaskRole(first.url, 'exec', { managed: [EXECUTION_POLICY] });
    await ecs.send(new CreateClusterCommand({ clusterName: 'kept', tags: [{ key: 'k', value: 'v' }] }));
    await ecs.send(new RegisterTaskDefinitionCommand(fargate('kept', image('app'), role)));
    await ecs.send(new CreateServiceCommand({ cluster: 'kept', serviceName: 'svc', taskDefinition: 'kept', desiredCount: 0, networkConfiguration: NET }));
    ecs.destroy();
    await first.close();
    // when
    const second = await startServer({ dataDir: dir.path });
    ecs = ecsClient(second.url);
    try {
      const clusters = await ecs.send(new DescribeClustersCommand({ clusters: ['kept'], include: ['TAGS'] }));
      const services = await ecs.send(new DescribeServicesCommand({ cluster: 'kept', services: ['svc'] }));
      const next = await ecs.send(new RegisterTaskDefinitionCommand(fargate('kept', image('app'), role)));
      // then
      assert.deepEqual(clusters.clusters![0]!.tags, [{ key: 'k', value: 'v' }]);
      assert.equal(services.services![0]!.status, 'ACTIVE');
      assert.equal(services.services![0]!.taskDefinition, `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/kept:1`);
      assert.equal(next.taskDefinition!.revision, 2);
    } finally {
      ecs.destroy();
      await second.close();
      dir.remove();
    }
  });
});
