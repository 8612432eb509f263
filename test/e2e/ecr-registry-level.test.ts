import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DescribeRegistryCommand,
  GetAccountSettingCommand,
  GetAuthorizationTokenCommand,
  PutAccountSettingCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { awsCli, boto3, ecrClient } from '../support/clients.js';
import { startServer, type TestServer } from '../support/server.js';

describe('ECR registry-level operations', () => {
  let server: TestServer;
  let ecr: ECRClient;
  before(async () => {
    server = await startServer();
    ecr = ecrClient(server.url);
  });
  after(async () => {
    ecr.destroy();
    await server.close();
  });

  it('GetAuthorizationToken returns AWS:<password>, 12 h expiry and the proxy endpoint', async () => {
    // when
    const before = Date.now();
    const res = await ecr.send(new GetAuthorizationTokenCommand({}));
    // then
    const data = res.authorizationData?.[0];
    assert.ok(data?.authorizationToken);
    const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
    assert.match(decoded, /^AWS:.{40,}$/);
    assert.equal(data.proxyEndpoint, `http://000000000000.dkr.ecr.us-east-1.localhost:${server.port}`);
    const ttl = data.expiresAt!.getTime() - before;
    assert.ok(ttl > 12 * 3600_000 - 5_000 && ttl <= 12 * 3600_000 + 1_000, `ttl ${ttl}`);
  });

  it('answers one authorizationData per registryId', async () => {
    const res = await ecr.send(new GetAuthorizationTokenCommand({ registryIds: ['000000000000', '111111111111'] }));
    assert.deepEqual(
      res.authorizationData?.map((d) => d.proxyEndpoint),
      [`http://000000000000.dkr.ecr.us-east-1.localhost:${server.port}`, `http://111111111111.dkr.ecr.us-east-1.localhost:${server.port}`],
    );
  });

  it('aws ecr get-login-password prints the password', async () => {
    const res = await awsCli(server.url, ['ecr', 'get-login-password']);
    assert.equal(res.code, 0, res.stderr);
    const token = await ecr.send(new GetAuthorizationTokenCommand({}));
    const password = Buffer.from(token.authorizationData![0]!.authorizationToken!, 'base64').toString().slice(4);
    assert.equal(res.stdout.trim().length, password.length);
  });

  it('describes the registry', async () => {
    const res = await ecr.send(new DescribeRegistryCommand({}));
    assert.equal(res.registryId, '000000000000');
    assert.deepEqual(res.replicationConfiguration, { rules: [] });
  });

  it('reads and writes account settings with defaults', async () => {
    const blob = await ecr.send(new GetAccountSettingCommand({ name: 'BLOB_MOUNTING' }));
    assert.deepEqual([blob.name, blob.value], ['BLOB_MOUNTING', 'DISABLED']);
    const scan = await ecr.send(new GetAccountSettingCommand({ name: 'BASIC_SCAN_TYPE_VERSION' }));
    assert.equal(scan.value, 'AWS_NATIVE');
    const put = await ecr.send(new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value: 'ENABLED' }));
    assert.deepEqual([put.name, put.value], ['BLOB_MOUNTING', 'ENABLED']);
    const again = (await boto3(server.url, 'ecr', `out(client.get_account_setting(name='BLOB_MOUNTING')['value'])`)) as string;
    assert.equal(again, 'ENABLED');
    await assert.rejects(ecr.send(new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value: 'MAYBE' })), {
      name: 'InvalidParameterException',
    });
    await assert.rejects(ecr.send(new GetAccountSettingCommand({ name: 'NOT_A_SETTING' })), { name: 'InvalidParameterException' });
    const unchanged = await ecr.send(new GetAccountSettingCommand({ name: 'BLOB_MOUNTING' }));
    assert.equal(unchanged.value, 'ENABLED');
  });
});
