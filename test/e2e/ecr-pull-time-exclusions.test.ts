import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DeregisterPullTimeUpdateExclusionCommand,
  DescribeImagesCommand,
  ListPullTimeUpdateExclusionsCommand,
  RegisterPullTimeUpdateExclusionCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { ManualClock } from '../../src/clock.js';
import { awsCli, boto3, ecrClient, type Credentials } from '../support/clients.js';
import { followClock, rejects } from '../support/ecr-images.js';
import { assumeRole, iamClient, makeUser, MANAGED } from '../support/iam.js';
import { buildImage } from '../support/oci-image.js';
import { loginPassword, Registry } from '../support/registry.js';
import { ACCOUNT, startServer, type TestServer } from '../support/server.js';
import { hasTool } from '../support/tools.js';
import { AttachRolePolicyCommand, CreateRoleCommand } from '@aws-sdk/client-iam';

describe('pull-time update exclusions (SDK, CLI, boto3, registry pulls)', () => {
  // Small steps only: the CLI and boto3 sign with the real clock (15 minutes of skew allowed).
  const clock = new ManualClock(new Date());
  let server: TestServer;
  let ecr: ECRClient;
  let scanner: Credentials & { arn: string };
  let developer: Credentials & { arn: string };
  let digest: string;

  const lastPull = async (): Promise<number | undefined> =>
    (await ecr.send(new DescribeImagesCommand({ repositoryName: 'pulls/app', imageIds: [{ imageDigest: digest }] }))).imageDetails![0]!
      .lastRecordedPullTime?.getTime();
  const pullAs = async (who: Credentials): Promise<void> => {
    const reg = new Registry(server.port, await loginPassword(server.url, who));
    const res = await reg.request('GET', '/v2/pulls/app/manifests/v1', { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(res.status, 200, res.text);
  };

  before(async () => {
    server = await startServer({}, { clock });
    ecr = ecrClient(server.url);
    followClock(ecr, clock);
    scanner = await makeUser(server.url, 'scanner', { managed: [MANAGED.readOnly] });
    developer = await makeUser(server.url, 'developer', { managed: [MANAGED.readOnly] });
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'pulls/app' }));
    const img = await buildImage({ layers: 1, layerSize: 1_000, seed: 13 });
    digest = await new Registry(server.port, await loginPassword(server.url)).pushImage('pulls/app', 'v1', img);
  });
  after(async () => {
    ecr.destroy();
    await server.close();
  });

  it('registers, lists (paged), refuses duplicates and unknowns, and deregisters', async () => {
    // given
    const role = 'arn:aws:iam::111122223333:role/ci/trivy';
    // when
    const registered = await ecr.send(new RegisterPullTimeUpdateExclusionCommand({ principalArn: role }));
    await ecr.send(new RegisterPullTimeUpdateExclusionCommand({ principalArn: `arn:aws:iam::999999999999:user/zz-last` }));
    // then
    assert.equal(registered.principalArn, role);
    assert.equal(registered.createdAt?.getTime(), clock.now().getTime());
    const first = await ecr.send(new ListPullTimeUpdateExclusionsCommand({ maxResults: 1 }));
    assert.deepEqual(first.pullTimeUpdateExclusions, [role]);
    assert.ok(first.nextToken);
    const second = await ecr.send(new ListPullTimeUpdateExclusionsCommand({ maxResults: 1, nextToken: first.nextToken }));
    assert.deepEqual(second.pullTimeUpdateExclusions, [`arn:aws:iam::999999999999:user/zz-last`]);
    assert.equal(second.nextToken, undefined);
    await rejects(
      ecr.send(new RegisterPullTimeUpdateExclusionCommand({ principalArn: role })),
      'ExclusionAlreadyExistsException',
      `The pull time update exclusion for principal '${role}' already exists in the registry with id '${ACCOUNT}'`,
    );
    await rejects(ecr.send(new RegisterPullTimeUpdateExclusionCommand({ principalArn: `arn:aws:iam::${ACCOUNT}:root` })), 'InvalidParameterException');
    await ecr.send(new DeregisterPullTimeUpdateExclusionCommand({ principalArn: role }));
    await ecr.send(new DeregisterPullTimeUpdateExclusionCommand({ principalArn: `arn:aws:iam::999999999999:user/zz-last` }));
    await rejects(
      ecr.send(new DeregisterPullTimeUpdateExclusionCommand({ principalArn: role })),
      'ExclusionNotFoundException',
      `The pull time update exclusion for principal '${role}' does not exist in the registry with id '${ACCOUNT}'`,
    );
    assert.deepEqual((await ecr.send(new ListPullTimeUpdateExclusionsCommand({}))).pullTimeUpdateExclusions, []);
  });

  it('a pull by an excluded user leaves lastRecordedPullTime alone; another principal’s pull updates it', async () => {
    // given the scanner is excluded, and the image was pulled once
    await ecr.send(new RegisterPullTimeUpdateExclusionCommand({ principalArn: scanner.arn }));
    await pullAs(developer);
    const before = await lastPull();
    assert.equal(before, clock.now().getTime());
    // when the scanner pulls a minute later, through the registry and through BatchGetImage
    clock.advance(61_000);
    await pullAs(scanner);
    const scannerEcr = ecrClient(server.url, scanner);
    followClock(scannerEcr, clock);
    await scannerEcr.send(new BatchGetImageCommand({ repositoryName: 'pulls/app', imageIds: [{ imageTag: 'v1' }] }));
    scannerEcr.destroy();
    // then
    assert.equal(await lastPull(), before);
    // when the developer pulls
    await pullAs(developer);
    // then
    assert.equal(await lastPull(), clock.now().getTime());
    // and once deregistered, the scanner's pulls count again
    await ecr.send(new DeregisterPullTimeUpdateExclusionCommand({ principalArn: scanner.arn }));
    clock.advance(61_000);
    await pullAs(scanner);
    assert.equal(await lastPull(), clock.now().getTime());
  });

  it('excludes a role’s sessions by the role ARN, path included', async () => {
    // given a role with a path, excluded by its ARN
    const iam = iamClient(server.url);
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole' }] });
    const { Role } = await iam.send(new CreateRoleCommand({ RoleName: 'snyk', Path: '/scanners/', AssumeRolePolicyDocument: trust }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'snyk', PolicyArn: MANAGED.readOnly }));
    iam.destroy();
    const roleAdmin = await makeUser(server.url, 'role-admin', { managed: [MANAGED.admin] });
    await ecr.send(new RegisterPullTimeUpdateExclusionCommand({ principalArn: Role!.Arn! }));
    const session = await assumeRole(server.url, roleAdmin, Role!.Arn!, 'nightly');
    clock.advance(61_000);
    await pullAs(developer);
    const before = await lastPull();
    // when the session pulls a minute later
    clock.advance(61_000);
    const sessionEcr = ecrClient(server.url, session);
    followClock(sessionEcr, clock);
    const got = await sessionEcr.send(new BatchGetImageCommand({ repositoryName: 'pulls/app', imageIds: [{ imageTag: 'v1' }] }));
    sessionEcr.destroy();
    assert.equal(got.images?.length, 1);
    await pullAs(session);
    // then
    assert.equal(await lastPull(), before);
    await ecr.send(new DeregisterPullTimeUpdateExclusionCommand({ principalArn: Role!.Arn! }));
  });

  it('holds at most 100 exclusions per registry (LimitExceededException)', async () => {
    // given 100 exclusions
    const arns = Array.from({ length: 100 }, (_, i) => `arn:aws:iam::222222222222:role/r${String(i).padStart(3, '0')}`);
    for (const principalArn of arns) await ecr.send(new RegisterPullTimeUpdateExclusionCommand({ principalArn }));
    // when / then
    await rejects(
      ecr.send(new RegisterPullTimeUpdateExclusionCommand({ principalArn: 'arn:aws:iam::222222222222:role/one-too-many' })),
      'LimitExceededException',
      'The registry already has the maximum of 100 pull time update exclusions.',
    );
    const listed = await ecr.send(new ListPullTimeUpdateExclusionsCommand({}));
    assert.equal(listed.pullTimeUpdateExclusions?.length, 100);
    assert.equal(listed.nextToken, undefined);
    for (const principalArn of arns) await ecr.send(new DeregisterPullTimeUpdateExclusionCommand({ principalArn }));
  });

  it('works from the aws CLI and boto3', async (t) => {
    if (!(await hasTool('aws'))) return t.skip('aws CLI not installed (pip install awscli)');
    // given
    const arn = `arn:aws:iam::${ACCOUNT}:role/cli-excluded`;
    // when
    const registered = await awsCli(server.url, ['ecr', 'register-pull-time-update-exclusion', '--principal-arn', arn]);
    const listed = await awsCli(server.url, ['ecr', 'list-pull-time-update-exclusions']);
    const fromBoto = await boto3(server.url, 'ecr', 'out(client.list_pull_time_update_exclusions()["pullTimeUpdateExclusions"])');
    const removed = await boto3(
      server.url,
      'ecr',
      `out(client.deregister_pull_time_update_exclusion(principalArn=${JSON.stringify(arn)})["principalArn"])`,
    );
    const again = await awsCli(server.url, ['ecr', 'deregister-pull-time-update-exclusion', '--principal-arn', arn]);
    // then
    assert.equal(registered.code, 0, registered.stderr);
    assert.equal(registered.json().principalArn, arn);
    assert.equal(typeof registered.json().createdAt, 'number');
    assert.deepEqual(listed.json().pullTimeUpdateExclusions, [arn]);
    assert.deepEqual(fromBoto, [arn]);
    assert.equal(removed, arn);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /ExclusionNotFoundException/);
  });
});
