/**
 * Lambda's control plane with real clients and no container engine: container-image functions
 * created from images pushed to simfra's ECR, their configuration, versions, aliases, tags,
 * resource policy, and the errors AWS gives for a bad role or image.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import {
  AddPermissionCommand,
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetAccountSettingsCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  InvokeCommand,
  ListAliasesCommand,
  ListFunctionsCommand,
  ListTagsCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  RemovePermissionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { SetRepositoryPolicyCommand } from '@aws-sdk/client-ecr';
import { awsCli, boto3, ecrClient } from '../support/clients.js';
import { doc, makeAccount, makeUser } from '../support/iam.js';
import { lambdaIndex, buildLambdaImage } from '../support/lambda-image.js';
import { lambdaClient, makeExecutionRole, pushLambdaImage } from '../support/lambda.js';
import { loginPassword, Registry } from '../support/registry.js';
import { ACCOUNT, REGION, startServer, tempDir, type TestServer } from '../support/server.js';
import { hasTool } from '../support/tools.js';

const awsHost = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
const noCli = !(await hasTool('aws', '--version'));
const noPython = !(await hasTool('python3', '-c', 'import boto3'));

async function rejection(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, ...(err.$metadata?.httpStatusCode !== undefined ? { status: err.$metadata.httpStatusCode } : {}) };
  }
  throw new Error('expected a rejection');
}

describe('Lambda container-image functions: control plane', () => {
  let server: TestServer;
  let lambda: LambdaClient;
  let role: string;
  let v1Digest: string;
  let v2Digest: string;
  let simfraHost: string;

  before(async () => {
    server = await startServer();
    lambda = lambdaClient(server.url);
    simfraHost = `${ACCOUNT}.dkr.ecr.${REGION}.localhost:${server.port}`;
    role = await makeExecutionRole(server.url, 'fn-role');
    v1Digest = (await pushLambdaImage(server.port, server.url, 'fn', 'v1', 'one')).digest;
    v2Digest = (await pushLambdaImage(server.port, server.url, 'fn', 'v2', 'two', { create: false })).digest;
  });

  after(async () => {
    lambda?.destroy();
    await server?.close();
  });

  it('creates a function from the AWS form of the image URI, Pending then Active, with the tag resolved', async () => {
    // when
    const created = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'hello',
        PackageType: 'Image',
        Code: { ImageUri: `${awsHost}/fn:v1` },
        Role: role,
        MemorySize: 256,
        Timeout: 5,
        Environment: { Variables: { GREETING: 'hi' } },
        ImageConfig: { Command: ['handler.main'] },
        Tags: { team: 'a' },
      }),
    );
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 20, minDelay: 1 }, { FunctionName: 'hello' });
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: 'hello' }));
    // then
    assert.equal(created.State, 'Pending');
    assert.equal(created.FunctionArn, `arn:aws:lambda:${REGION}:${ACCOUNT}:function:hello`);
    assert.equal(created.PackageType, 'Image');
    assert.equal(got.Configuration?.State, 'Active');
    assert.equal(got.Configuration?.LastUpdateStatus, 'Successful');
    assert.equal(got.Configuration?.MemorySize, 256);
    assert.equal(got.Configuration?.Timeout, 5);
    assert.deepEqual(got.Configuration?.Environment?.Variables, { GREETING: 'hi' });
    assert.deepEqual(got.Configuration?.ImageConfigResponse?.ImageConfig?.Command, ['handler.main']);
    assert.deepEqual(got.Configuration?.Architectures, ['x86_64']);
    assert.equal(got.Configuration?.CodeSha256, v1Digest.slice(7));
    assert.equal(got.Code?.RepositoryType, 'ECR');
    assert.equal(got.Code?.ImageUri, `${awsHost}/fn:v1`);
    assert.equal(got.Code?.ResolvedImageUri, `${awsHost}/fn@${v1Digest}`);
    assert.deepEqual(got.Tags, { team: 'a' });
  });

  it('updates code to a new tag on simfra\'s registry host and the configuration', async () => {
    // when
    const code = await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'hello', ImageUri: `${simfraHost}/fn:v2` }));
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 20, minDelay: 1 }, { FunctionName: 'hello' });
    const conf = await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'hello', MemorySize: 512, Description: 'second' }));
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 20, minDelay: 1 }, { FunctionName: 'hello' });
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: 'hello' }));
    // then
    assert.equal(code.LastUpdateStatus, 'InProgress');
    assert.equal(conf.MemorySize, 512);
    assert.equal(got.Configuration?.Description, 'second');
    assert.equal(got.Configuration?.CodeSha256, v2Digest.slice(7));
    assert.equal(got.Code?.ResolvedImageUri, `${simfraHost}/fn@${v2Digest}`);
    assert.equal(got.Configuration?.LastUpdateStatus, 'Successful');
  });

  it('publishes versions and points aliases at them', async () => {
    // when
    const v = await lambda.send(new PublishVersionCommand({ FunctionName: 'hello', Description: 'first release' }));
    const again = await lambda.send(new PublishVersionCommand({ FunctionName: 'hello' }));
    const alias = await lambda.send(new CreateAliasCommand({ FunctionName: 'hello', Name: 'live', FunctionVersion: '1' }));
    const versions = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'hello' }));
    const aliases = await lambda.send(new ListAliasesCommand({ FunctionName: 'hello' }));
    const byAlias = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'hello', Qualifier: 'live' }));
    const missing = await rejection(lambda.send(new GetAliasCommand({ FunctionName: 'hello', Name: 'nope' })));
    // then
    assert.equal(v.Version, '1');
    assert.equal(v.FunctionArn, `arn:aws:lambda:${REGION}:${ACCOUNT}:function:hello:1`);
    assert.equal(again.Version, '1', 'nothing changed, so no new version');
    assert.equal(alias.AliasArn, `arn:aws:lambda:${REGION}:${ACCOUNT}:function:hello:live`);
    assert.deepEqual(versions.Versions?.map((x) => x.Version), ['$LATEST', '1']);
    assert.deepEqual(aliases.Aliases?.map((a) => a.Name), ['live']);
    assert.equal(byAlias.Version, '1');
    assert.equal(missing.name, 'ResourceNotFoundException');
    assert.equal(missing.message, `Alias not found: arn:aws:lambda:${REGION}:${ACCOUNT}:function:hello:nope`);
  });

  it('tags, resource policy and account settings', async () => {
    // given
    const arn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:hello`;
    // when
    await lambda.send(new TagResourceCommand({ Resource: arn, Tags: { env: 'dev' } }));
    await lambda.send(new UntagResourceCommand({ Resource: arn, TagKeys: ['team'] }));
    const tags = await lambda.send(new ListTagsCommand({ Resource: arn }));
    const added = await lambda.send(
      new AddPermissionCommand({ FunctionName: 'hello', StatementId: 's3', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', SourceAccount: ACCOUNT }),
    );
    const dup = await rejection(
      lambda.send(new AddPermissionCommand({ FunctionName: 'hello', StatementId: 's3', Action: 'lambda:InvokeFunction', Principal: '111122223333' })),
    );
    const policy = await lambda.send(new GetPolicyCommand({ FunctionName: 'hello' }));
    await lambda.send(new RemovePermissionCommand({ FunctionName: 'hello', StatementId: 's3' }));
    const gone = await rejection(lambda.send(new GetPolicyCommand({ FunctionName: 'hello' })));
    const settings = await lambda.send(new GetAccountSettingsCommand({}));
    // then
    assert.deepEqual(tags.Tags, { env: 'dev' });
    assert.deepEqual(JSON.parse(added.Statement!).Principal, { Service: 's3.amazonaws.com' });
    assert.equal(dup.name, 'ResourceConflictException');
    assert.equal(JSON.parse(policy.Policy!).Statement[0].Sid, 's3');
    assert.equal(gone.name, 'ResourceNotFoundException');
    assert.equal(settings.AccountUsage?.FunctionCount, 1);
    assert.equal(settings.AccountLimit?.ConcurrentExecutions, 1000);
  });

  it('answers DryRun with 204, and Invoke with how to enable containers when they are off', async () => {
    // when
    const dry = await lambda.send(new InvokeCommand({ FunctionName: 'hello', InvocationType: 'DryRun' }));
    const run = await rejection(lambda.send(new InvokeCommand({ FunctionName: 'hello', Payload: Buffer.from('{}') })));
    const big = await rejection(lambda.send(new InvokeCommand({ FunctionName: 'hello', Payload: Buffer.alloc(6 * 1024 * 1024 + 1, 32) })));
    // then
    assert.equal(dry.StatusCode, 204);
    assert.equal(run.name, 'ResourceConflictException');
    assert.match(run.message, /SIMFRA_DOCKER=true/);
    assert.equal(big.name, 'RequestTooLargeException');
    assert.equal(big.status, 413);
    assert.equal(big.message, 'Request must be smaller than 6291456 bytes for the InvokeFunction operation');
  });

  it('refuses a role that does not trust Lambda, and a missing role', async () => {
    // given
    const untrusting = await makeExecutionRole(
      server.url,
      'not-lambda',
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    );
    // when
    const bad = await rejection(
      lambda.send(new CreateFunctionCommand({ FunctionName: 'r1', PackageType: 'Image', Code: { ImageUri: `${awsHost}/fn:v1` }, Role: untrusting })),
    );
    const missing = await rejection(
      lambda.send(
        new CreateFunctionCommand({ FunctionName: 'r2', PackageType: 'Image', Code: { ImageUri: `${awsHost}/fn:v1` }, Role: `arn:aws:iam::${ACCOUNT}:role/nope` }),
      ),
    );
    // then
    for (const e of [bad, missing]) {
      assert.equal(e.name, 'InvalidParameterValueException');
      assert.equal(e.message, 'The role defined for the function cannot be assumed by Lambda.');
    }
  });

  it('refuses a missing image, a missing repository and another region', async () => {
    const create = (name: string, uri: string) =>
      rejection(lambda.send(new CreateFunctionCommand({ FunctionName: name, PackageType: 'Image', Code: { ImageUri: uri }, Role: role })));
    // when
    const noTag = await create('m1', `${awsHost}/fn:nope`);
    const noRepo = await create('m2', `${awsHost}/nothing:v1`);
    const region = await create('m3', `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/fn:v1`);
    const list = await lambda.send(new ListFunctionsCommand({}));
    // then
    assert.equal(noTag.name, 'InvalidParameterValueException');
    assert.equal(noTag.message, `Source image ${awsHost}/fn:nope does not exist. Provide a valid source image.`);
    assert.equal(noRepo.message, `Source image ${awsHost}/nothing:v1 does not exist. Provide a valid source image.`);
    assert.equal(region.message, `Source image ${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/fn:v1 is not valid. Provide a valid source image.`);
    assert.deepEqual(list.Functions?.map((f) => f.FunctionName), ['hello'], 'nothing was created');
  });

  it('picks the platform of Architectures from a multi-arch index, and refuses a missing one', async () => {
    // given
    const amd = await buildLambdaImage('amd', 'amd64');
    const arm = await buildLambdaImage('arm', 'arm64');
    const registry = new Registry(server.port, await loginPassword(server.url));
    await registry.pushImage('fn', 'amd-only', amd);
    await registry.pushImage('fn', 'arm', arm);
    const index = lambdaIndex([amd, arm]);
    await registry.pushManifest('fn', 'multi', index.manifest, index.mediaType);
    const onlyAmd = lambdaIndex([amd]);
    await registry.pushManifest('fn', 'amd-index', onlyAmd.manifest, onlyAmd.mediaType);
    // when
    const fn = await lambda.send(
      new CreateFunctionCommand({ FunctionName: 'multi', PackageType: 'Image', Code: { ImageUri: `${awsHost}/fn:multi` }, Role: role, Architectures: ['arm64'] }),
    );
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: 'multi' }));
    const refused = await rejection(
      lambda.send(
        new CreateFunctionCommand({ FunctionName: 'nope', PackageType: 'Image', Code: { ImageUri: `${awsHost}/fn:amd-index` }, Role: role, Architectures: ['arm64'] }),
      ),
    );
    // then
    assert.deepEqual(fn.Architectures, ['arm64']);
    assert.equal(got.Code?.ResolvedImageUri, `${awsHost}/fn@${index.digest}`);
    assert.equal(refused.name, 'InvalidParameterValueException');
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'multi' }));
  });

  it('publishes version 1 on CreateFunction with Publish, Active with $LATEST', async () => {
    // when
    const created = await lambda.send(
      new CreateFunctionCommand({ FunctionName: 'pub', PackageType: 'Image', Code: { ImageUri: `${awsHost}/fn:v1` }, Role: role, Publish: true }),
    );
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 20, minDelay: 1 }, { FunctionName: 'pub' });
    const v1 = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'pub', Qualifier: '1' }));
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'pub' }));
    // then
    assert.equal(created.Version, '1');
    assert.equal(v1.State, 'Active');
  });

  it('lists functions page by page', async () => {
    // given
    for (const name of ['p1', 'p2']) {
      await lambda.send(new CreateFunctionCommand({ FunctionName: name, PackageType: 'Image', Code: { ImageUri: `${awsHost}/fn:v1` }, Role: role }));
    }
    // when
    const first = await lambda.send(new ListFunctionsCommand({ MaxItems: 2 }));
    const second = await lambda.send(new ListFunctionsCommand({ MaxItems: 2, Marker: first.NextMarker }));
    // then
    assert.deepEqual(first.Functions?.map((f) => f.FunctionName), ['hello', 'p1']);
    assert.deepEqual(second.Functions?.map((f) => f.FunctionName), ['p2']);
    assert.equal(second.NextMarker, undefined);
  });

  it('works with the aws CLI and boto3', { skip: noCli ? 'skipped: aws CLI not installed' : false }, async () => {
    // when
    const created = await awsCli(server.url, [
      'lambda', 'create-function', '--function-name', 'cli-fn', '--package-type', 'Image',
      '--code', `ImageUri=${simfraHost}/fn:v1`, '--role', role,
    ]);
    const got = await awsCli(server.url, ['lambda', 'get-function', '--function-name', 'cli-fn']);
    const names = (await boto3(server.url, 'lambda', "out([f['FunctionName'] for f in client.list_functions()['Functions']])")) as string[];
    const missing = await awsCli(server.url, ['lambda', 'get-function', '--function-name', 'nothing']);
    const deleted = await awsCli(server.url, ['lambda', 'delete-function', '--function-name', 'cli-fn']);
    // then
    assert.equal(created.code, 0, created.stderr);
    assert.equal(got.json<{ Code: { ResolvedImageUri: string } }>().Code.ResolvedImageUri, `${simfraHost}/fn@${v1Digest}`);
    assert.ok(names.includes('cli-fn'));
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /ResourceNotFoundException.*Function not found: arn:aws:lambda:us-east-1:000000000000:function:nothing/);
    assert.equal(deleted.code, 0, deleted.stderr);
  });

  it('needs the repository policy to let Lambda pull an image of another account', async () => {
    // given
    const other = '111122223333';
    const b = await makeAccount(server.url, other);
    await pushLambdaImage(server.port, server.url, 'shared', 'v1', 'shared', { credentials: b, registryHost: `${other}.dkr.ecr.${REGION}.localhost:${server.port}` });
    const uri = `${other}.dkr.ecr.${REGION}.amazonaws.com/shared:v1`;
    const create = (name: string) =>
      lambda.send(new CreateFunctionCommand({ FunctionName: name, PackageType: 'Image', Code: { ImageUri: uri }, Role: role }));
    const ecrB = ecrClient(server.url, b);
    const pull = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];
    // when
    const noPolicy = await rejection(create('x1'));
    await ecrB.send(new SetRepositoryPolicyCommand({ repositoryName: 'shared', policyText: doc([{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: pull }]) }));
    const accountOnly = await rejection(create('x2'));
    await ecrB.send(
      new SetRepositoryPolicyCommand({
        repositoryName: 'shared',
        policyText: doc([
          { Sid: 'account', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: pull },
          { Sid: 'lambda', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: pull, Condition: { StringLike: { 'aws:sourceArn': `arn:aws:lambda:${REGION}:${ACCOUNT}:function:*` } } },
        ]),
      }),
    );
    const created = await create('x3');
    ecrB.destroy();
    // then
    for (const e of [noPolicy, accountOnly]) {
      assert.equal(e.name, 'AccessDeniedException');
      assert.equal(e.status, 403);
      assert.equal(e.message, 'Lambda does not have permission to access the ECR image. Check the ECR permissions.');
    }
    assert.equal(created.State, 'Pending');
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'x3' }));
  });

  it('authorizes lambda actions with identity policies and the function\'s resource policy', async () => {
    // given
    const user = await makeUser(server.url, 'fn-user');
    const asUser = lambdaClient(server.url, user);
    // when
    const denied = await rejection(asUser.send(new GetFunctionCommand({ FunctionName: 'hello' })));
    const invokeDenied = await rejection(asUser.send(new InvokeCommand({ FunctionName: 'hello', InvocationType: 'DryRun' })));
    await lambda.send(new AddPermissionCommand({ FunctionName: 'hello', StatementId: 'user', Action: 'lambda:InvokeFunction', Principal: user.arn }));
    const allowed = await asUser.send(new InvokeCommand({ FunctionName: 'hello', InvocationType: 'DryRun' }));
    await lambda.send(new RemovePermissionCommand({ FunctionName: 'hello', StatementId: 'user' }));
    asUser.destroy();
    // then
    assert.equal(denied.name, 'AccessDeniedException');
    assert.equal(denied.status, 403);
    assert.equal(
      denied.message,
      `User: ${user.arn} is not authorized to perform: lambda:GetFunction on resource: arn:aws:lambda:${REGION}:${ACCOUNT}:function:hello because no identity-based policy allows the lambda:GetFunction action`,
    );
    assert.equal(invokeDenied.name, 'AccessDeniedException');
    assert.equal(allowed.StatusCode, 204);
  });

  it('creates with boto3', { skip: noPython ? 'skipped: boto3 not installed' : false }, async () => {
    // when
    const out = (await boto3(
      server.url,
      'lambda',
      `r = client.create_function(FunctionName='py-fn', PackageType='Image', Code={'ImageUri': ${JSON.stringify(`${awsHost}/fn:v1`)}}, Role=${JSON.stringify(role)}, MemorySize=192)
client.get_waiter('function_active_v2').wait(FunctionName='py-fn', WaiterConfig={'Delay': 1})
g = client.get_function(FunctionName='py-fn')
out([r['State'], g['Configuration']['State'], g['Configuration']['MemorySize'], g['Code']['ResolvedImageUri']])`,
    )) as unknown[];
    // then
    assert.deepEqual(out, ['Pending', 'Active', 192, `${awsHost}/fn@${v1Digest}`]);
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'py-fn' }));
  });

  it('deletes a function', async () => {
    // when
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'p1' }));
    const gone = await rejection(lambda.send(new GetFunctionCommand({ FunctionName: 'p1' })));
    // then
    assert.equal(gone.name, 'ResourceNotFoundException');
    assert.equal(gone.status, 404);
    assert.equal(gone.message, `Function not found: arn:aws:lambda:${REGION}:${ACCOUNT}:function:p1`);
  });
});

describe('Lambda functions with SIMFRA_DATA_DIR', () => {
  it('survive a restart, and an interrupted update finishes', async () => {
    // given
    const dir = tempDir();
    const first = await startServer({ dataDir: dir.path });
    const role = await makeExecutionRole(first.url, 'fn-role');
    const digest = (await pushLambdaImage(first.port, first.url, 'fn', 'v1', 'one')).digest;
    const before = lambdaClient(first.url);
    await before.send(new CreateFunctionCommand({ FunctionName: 'kept', PackageType: 'Image', Code: { ImageUri: `${awsHost}/fn:v1` }, Role: role, Tags: { a: 'b' } }));
    await waitUntilFunctionActiveV2({ client: before, maxWaitTime: 20, minDelay: 1 }, { FunctionName: 'kept' });
    await before.send(new PublishVersionCommand({ FunctionName: 'kept' }));
    before.destroy();
    await first.close();
    // a stop in the middle of an update leaves it InProgress on disk
    const db = new Database(join(dir.path, 'simfra.db'));
    db.prepare(`UPDATE lambda_functions SET body = json_set(body, '$.latest.lastUpdateStatus', 'InProgress') WHERE name = 'kept'`).run();
    db.close();
    // when
    const second = await startServer({ dataDir: dir.path });
    const after = lambdaClient(second.url);
    const got = await after.send(new GetFunctionCommand({ FunctionName: 'kept', Qualifier: '1' }));
    await waitUntilFunctionUpdatedV2({ client: after, maxWaitTime: 20, minDelay: 1 }, { FunctionName: 'kept' });
    after.destroy();
    await second.close();
    dir.remove();
    // then
    assert.equal(got.Configuration?.Version, '1');
    assert.equal(got.Configuration?.State, 'Active');
    assert.equal(got.Code?.ResolvedImageUri, `${awsHost}/fn@${digest}`);
    assert.deepEqual(got.Tags, { a: 'b' });
  });
});
