/**
 * Lambda Invoke running the pushed image in a real Docker engine (private dockerd, host network):
 * the image's bootstrap talks to simfra's Runtime API with busybox wget.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { BatchDeleteImageCommand, SetRepositoryPolicyCommand } from '@aws-sdk/client-ecr';
import { awsCli, ecrClient } from '../support/clients.js';
import { doc, makeAccount } from '../support/iam.js';
import { dockerUnavailable, startDocker, type Docker } from '../support/docker.js';
import { lambdaClient, makeExecutionRole, pushLambdaImage } from '../support/lambda.js';
import { ACCOUNT, REGION, spawnServer, startServer, tempDir, type TestServer } from '../support/server.js';

const unavailable = dockerUnavailable();
const awsHost = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
const text = (p: Uint8Array | undefined) => Buffer.from(p ?? []).toString('utf8');

describe('Lambda Invoke in containers', { skip: unavailable ? `skipped: ${unavailable}` : false }, () => {
  let server: TestServer;
  let docker: Docker;
  let lambda: LambdaClient;
  let role: string;

  before(async () => {
    docker = await startDocker();
    server = await startServer({ docker: true, dockerHost: docker.host, dockerNetwork: 'host' });
    lambda = lambdaClient(server.url);
    role = await makeExecutionRole(server.url, 'fn-role');
    await pushLambdaImage(server.port, server.url, 'fn', 'v1', 'one');
    await pushLambdaImage(server.port, server.url, 'fn', 'v2', 'two', { create: false });
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'echo',
        PackageType: 'Image',
        Code: { ImageUri: `${awsHost}/fn:v1` },
        Role: role,
        Timeout: 2,
        MemorySize: 128,
        Environment: { Variables: { GREETING: 'hello' } },
      }),
    );
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 60, minDelay: 1 }, { FunctionName: 'echo' });
  });

  after(async () => {
    lambda?.destroy();
    await server?.close();
    // given the server closed, none of its containers remain
    if (docker) {
      const left = await docker.cli(['ps', '-aq', '--filter', 'label=simfra.managed=true']);
      assert.equal(left.stdout.trim(), '', 'simfra removed its containers on close');
    }
    await docker?.stop();
  });

  it('returns the payload of a RequestResponse invocation, with the log tail', async () => {
    // when
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{"n":1}'), LogType: 'Tail' }));
    // then
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, undefined);
    assert.deepEqual(JSON.parse(text(out.Payload)), { message: 'one', event: { n: 1 } });
    assert.equal(out.ExecutedVersion, '$LATEST');
    const log = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    assert.match(log, /^START RequestId: [0-9a-f-]+ Version: \$LATEST\n/);
    assert.match(log, /handling [0-9a-f-]+/);
    assert.match(log, /REPORT RequestId: [0-9a-f-]+\tDuration: /);
  });

  it('gives the function its reserved variables, its environment and execution-role credentials', async () => {
    // when
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{"env":1}') }));
    const env = JSON.parse(text(out.Payload)) as Record<string, string>;
    // then
    assert.equal(env.name, 'echo');
    assert.equal(env.memory, '128');
    assert.equal(env.version, '$LATEST');
    assert.equal(env.region, REGION);
    assert.equal(env.greeting, 'hello');
    assert.match(env.key!, /^ASIA/);
    assert.equal(env.token, 'yes');
    assert.equal(env.endpoint, `http://127.0.0.1:${server.port}`);
    assert.equal(env.cwd, '/');
    assert.equal(env.args, '');
    const ids = (await docker.cli(['ps', '-q', '--filter', `label=simfra.function=arn:aws:lambda:${REGION}:${ACCOUNT}:function:echo`])).stdout.trim().split('\n');
    const inspected = JSON.parse((await docker.cli(['inspect', ids[0]!])).stdout) as { HostConfig: { Memory: number; NetworkMode: string } }[];
    assert.equal(inspected[0]!.HostConfig.Memory, 128 * 1024 * 1024);
    assert.equal(inspected[0]!.HostConfig.NetworkMode, 'host');
  });

  it('runs ImageConfig\'s entry point, command and working directory', async () => {
    // given
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'configured',
        PackageType: 'Image',
        Code: { ImageUri: `${awsHost}/fn:v1` },
        Role: role,
        ImageConfig: { EntryPoint: ['/bin/sh', '/bootstrap'], Command: ['handler.main', 'extra'], WorkingDirectory: '/tmp' },
      }),
    );
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 60, minDelay: 1 }, { FunctionName: 'configured' });
    // when
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'configured', Payload: Buffer.from('{"env":1}') }));
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'configured' }));
    // then
    const env = JSON.parse(text(out.Payload)) as Record<string, string>;
    assert.equal(env.cwd, '/tmp');
    assert.equal(env.args, 'handler.main extra');
  });

  it('reports a handled error as Unhandled with the runtime\'s body', async () => {
    // when
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{"fail":1}') }));
    // then
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, 'Unhandled');
    assert.deepEqual(JSON.parse(text(out.Payload)), { errorType: 'HandledError', errorMessage: 'asked to fail' });
  });

  it('enforces the timeout', async () => {
    // when
    const started = Date.now();
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{"sleep":1}') }));
    // then
    assert.equal(out.FunctionError, 'Unhandled');
    assert.match(JSON.parse(text(out.Payload)).errorMessage, /^\d{4}-\d\d-\d\dT[\d:.]+Z [0-9a-f-]+ Task timed out after 2\.00 seconds$/);
    assert.ok(Date.now() - started < 15_000);
  });

  it('reports a runtime that exits', async () => {
    // when
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{"crash":1}') }));
    const next = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{"n":2}') }));
    // then
    assert.equal(out.FunctionError, 'Unhandled');
    assert.equal(JSON.parse(text(out.Payload)).errorType, 'Runtime.ExitError');
    assert.deepEqual(JSON.parse(text(next.Payload)), { message: 'one', event: { n: 2 } }, 'a new container takes over');
  });

  it('runs concurrent invocations in more containers, reused once warm', async () => {
    // given
    const batch = (base: number) =>
      Promise.all([1, 2, 3, 4].map((n) => lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from(`{"slow":${base + n}}`) }))));
    await batch(0);
    // when
    const started = Date.now();
    const outs = await batch(10);
    const elapsed = Date.now() - started;
    const containers = await docker.cli(['ps', '-q', '--filter', 'label=simfra.service=lambda']);
    // then
    assert.deepEqual(outs.map((o) => JSON.parse(text(o.Payload)).event.slow), [11, 12, 13, 14]);
    assert.ok(elapsed < 3500, `4 one-second invocations on warm containers took ${elapsed} ms: not run in parallel`);
    assert.equal(containers.stdout.trim().split('\n').length, 4, 'four containers, reused by the second batch');
  });

  it('answers Event with 202 and DryRun with 204', async () => {
    // when
    const ev = await lambda.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: Buffer.from('{}') }));
    const dry = await lambda.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'DryRun' }));
    // then
    assert.equal(ev.StatusCode, 202);
    assert.equal(dry.StatusCode, 204);
  });

  it('runs the previous image while an update is in progress, then the new one, with the aws CLI too', async () => {
    // when
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'echo', ImageUri: `${awsHost}/fn:v2` }));
    const during = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{"d":1}') }));
    const conflict = await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'echo', MemorySize: 256 })).then(
      () => undefined,
      (e: Error) => e,
    );
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 60, minDelay: 1 }, { FunctionName: 'echo' });
    const dir = tempDir();
    const cli = await awsCli(server.url, ['lambda', 'invoke', '--function-name', 'echo', '--payload', '{"k":"v"}', join(dir.path, 'out.json')]);
    // then
    assert.deepEqual(JSON.parse(text(during.Payload)), { message: 'one', event: { d: 1 } });
    assert.equal(conflict?.name, 'ResourceConflictException');
    assert.match(conflict?.message ?? '', /^The operation cannot be performed at this time\. An update is in progress for resource: arn:aws:lambda:us-east-1:000000000000:function:echo$/);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.json<{ StatusCode: number }>().StatusCode, 200);
    assert.deepEqual(JSON.parse(readFileSync(join(dir.path, 'out.json'), 'utf8')), { message: 'two', event: { k: 'v' } });
    dir.remove();
    // the containers of the old image go
    let left = '';
    for (let i = 0; i < 50; i++) {
      left = (await docker.cli(['ps', '-aq', '--filter', 'label=simfra.service=lambda'])).stdout.trim();
      if (left.split('\n').length === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(left.split('\n').length, 1);
  });

  it('runs an image of another account whose repository policy lets Lambda pull it', async () => {
    // given
    const other = '111122223333';
    const b = await makeAccount(server.url, other);
    await pushLambdaImage(server.port, server.url, 'shared', 'v1', 'shared', { credentials: b, registryHost: `${other}.dkr.ecr.${REGION}.localhost:${server.port}` });
    const ecrB = ecrClient(server.url, b);
    const pull = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];
    await ecrB.send(
      new SetRepositoryPolicyCommand({
        repositoryName: 'shared',
        policyText: doc([
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: pull },
          { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: pull },
        ]),
      }),
    );
    ecrB.destroy();
    // when
    await lambda.send(
      new CreateFunctionCommand({ FunctionName: 'xacct', PackageType: 'Image', Code: { ImageUri: `${other}.dkr.ecr.${REGION}.amazonaws.com/shared:v1` }, Role: role }),
    );
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 60, minDelay: 1 }, { FunctionName: 'xacct' });
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'xacct', Payload: Buffer.from('{"x":1}') }));
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'xacct' }));
    // then
    assert.deepEqual(JSON.parse(text(out.Payload)), { message: 'shared', event: { x: 1 } });
  });

  it('turns a function Failed when its image was deleted, and Active again with new code', async () => {
    // given
    await pushLambdaImage(server.port, server.url, 'fn', 'doomed', 'doomed', { create: false });
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'doomed', PackageType: 'Image', Code: { ImageUri: `${awsHost}/fn:doomed` }, Role: role }));
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 60, minDelay: 1 }, { FunctionName: 'doomed' });
    const ecr = ecrClient(server.url);
    await ecr.send(new BatchDeleteImageCommand({ repositoryName: 'fn', imageIds: [{ imageTag: 'doomed' }] }));
    ecr.destroy();
    // when
    const refused = await lambda.send(new InvokeCommand({ FunctionName: 'doomed', Payload: Buffer.from('{}') })).then(
      () => undefined,
      (e: Error) => e,
    );
    const failed = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'doomed' }));
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'doomed', ImageUri: `${awsHost}/fn:v1` }));
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 60, minDelay: 1 }, { FunctionName: 'doomed' });
    const again = await lambda.send(new InvokeCommand({ FunctionName: 'doomed', Payload: Buffer.from('{"z":1}') }));
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'doomed' }));
    // then
    assert.equal(refused?.name, 'ResourceConflictException');
    assert.equal(refused?.message, 'The operation cannot be performed at this time. The function is currently in the following state: Failed');
    assert.equal(failed.State, 'Failed');
    assert.equal(failed.StateReasonCode, 'ImageDeleted');
    assert.deepEqual(JSON.parse(text(again.Payload)), { message: 'one', event: { z: 1 } });
  });

  it('deletes the function and its containers', async () => {
    // when
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'echo' }));
    const left = await docker.cli(['ps', '-aq', '--filter', 'label=simfra.function=arn:aws:lambda:us-east-1:000000000000:function:echo']);
    // then
    assert.equal(left.stdout.trim(), '');
  });
});

describe('containers left by a simfra that died', { skip: unavailable ? `skipped: ${unavailable}` : false }, () => {
  let docker: Docker;

  before(async () => {
    docker = await startDocker();
  });

  after(async () => {
    await docker?.stop();
  });

  it('are removed when simfra starts again', async () => {
    // given a simfra with a warm function container, killed
    const env = { SIMFRA_DOCKER: 'true', DOCKER_HOST: docker.host, SIMFRA_LOG_LEVEL: 'info' };
    const first = await spawnServer(env);
    const lambda = lambdaClient(first.url);
    const role = await makeExecutionRole(first.url, 'fn-role');
    await pushLambdaImage(first.port, first.url, 'fn', 'v1', 'one');
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'f', PackageType: 'Image', Code: { ImageUri: `${awsHost}/fn:v1` }, Role: role }));
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 60, minDelay: 1 }, { FunctionName: 'f' });
    await lambda.send(new InvokeCommand({ FunctionName: 'f', Payload: Buffer.from('{}') }));
    lambda.destroy();
    const before = await docker.cli(['ps', '-aq', '--filter', 'label=simfra.managed=true']);
    await first.stop('SIGKILL');
    // when
    const second = await spawnServer(env);
    const after = await docker.cli(['ps', '-aq', '--filter', 'label=simfra.managed=true']);
    const code = await second.stop('SIGTERM');
    // then
    assert.equal(before.stdout.trim().split('\n').length, 1);
    assert.equal(after.stdout.trim(), '');
    assert.match(second.output(), /removed 1 container\(s\) left by a stopped simfra/);
    assert.match(first.output(), /containers: Docker Engine \S+ at unix:\/\//);
    assert.equal(code, 0);
  });
});

describe('the bound on containers per function', { skip: unavailable ? `skipped: ${unavailable}` : false }, () => {
  let docker: Docker;
  let server: TestServer;

  before(async () => {
    docker = await startDocker();
    server = await startServer({ docker: true, dockerHost: docker.host, lambdaMaxContainers: 2 });
  });

  after(async () => {
    await server?.close();
    await docker?.stop();
  });

  it('makes further invocations wait for a free container', async () => {
    // given
    const lambda = lambdaClient(server.url);
    const role = await makeExecutionRole(server.url, 'fn-role');
    await pushLambdaImage(server.port, server.url, 'fn', 'v1', 'one');
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'b', PackageType: 'Image', Code: { ImageUri: `${awsHost}/fn:v1` }, Role: role }));
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 60, minDelay: 1 }, { FunctionName: 'b' });
    // when
    const started = Date.now();
    const outs = await Promise.all([1, 2, 3, 4].map((n) => lambda.send(new InvokeCommand({ FunctionName: 'b', Payload: Buffer.from(`{"slow":${n}}`) }))));
    const elapsed = Date.now() - started;
    const containers = await docker.cli(['ps', '-q', '--filter', 'label=simfra.service=lambda']);
    lambda.destroy();
    // then
    assert.deepEqual(outs.map((o) => JSON.parse(text(o.Payload)).event.slow), [1, 2, 3, 4]);
    assert.equal(containers.stdout.trim().split('\n').length, 2);
    assert.ok(elapsed >= 2000, `four one-second invocations on two containers took ${elapsed} ms`);
  });
});
