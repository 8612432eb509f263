import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { awsCli, boto3 } from '../support/clients.js';
import { ACCOUNT, REGION, startServer, type TestServer } from '../support/server.js';
import { hasTool } from '../support/tools.js';

describe('Secrets Manager through the aws CLI and boto3', async () => {
  const noCli = !(await hasTool('aws', '--version'));
  const noBoto3 = !(await hasTool('python3', '-c', 'import boto3'));
  let server: TestServer;

  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.close();
  });

  it('aws secretsmanager: create-secret, get-secret-value, put-secret-value, list-secrets, delete-secret, restore-secret', async (t) => {
    if (noCli) {
      t.skip('aws CLI not installed');
      return;
    }
    // when
    const created = await awsCli(server.url, ['secretsmanager', 'create-secret', '--name', 'ecr-pullthroughcache/cli', '--secret-string', '{"username":"u","accessToken":"a"}']);
    // then
    assert.equal(created.code, 0, created.stderr);
    const arn = created.json<{ ARN: string }>().ARN;
    assert.match(arn, new RegExp(`^arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ecr-pullthroughcache/cli-[A-Za-z0-9]{6}$`));
    const got = await awsCli(server.url, ['secretsmanager', 'get-secret-value', '--secret-id', arn]);
    assert.equal(got.json<{ SecretString: string }>().SecretString, '{"username":"u","accessToken":"a"}');
    assert.equal((await awsCli(server.url, ['secretsmanager', 'put-secret-value', '--secret-id', 'ecr-pullthroughcache/cli', '--secret-string', 'new'])).code, 0);
    const current = await awsCli(server.url, ['secretsmanager', 'get-secret-value', '--secret-id', 'ecr-pullthroughcache/cli', '--query', 'SecretString', '--output', 'text']);
    assert.equal(current.stdout.trim(), 'new');
    const listed = await awsCli(server.url, ['secretsmanager', 'list-secrets', '--filters', 'Key=name,Values=ecr-pullthroughcache/']);
    assert.deepEqual(listed.json<{ SecretList: { ARN: string }[] }>().SecretList.map((s) => s.ARN), [arn]);
    const deleted = await awsCli(server.url, ['secretsmanager', 'delete-secret', '--secret-id', arn, '--recovery-window-in-days', '7']);
    assert.equal(deleted.code, 0, deleted.stderr);
    const refused = await awsCli(server.url, ['secretsmanager', 'get-secret-value', '--secret-id', arn]);
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stderr,
      /An error occurred \(InvalidRequestException\) when calling the GetSecretValue operation: You can't perform this operation on the secret because it was marked for deletion\./,
    );
    assert.equal((await awsCli(server.url, ['secretsmanager', 'restore-secret', '--secret-id', arn])).code, 0);
    assert.equal((await awsCli(server.url, ['secretsmanager', 'get-secret-value', '--secret-id', arn])).code, 0);
    const missing = await awsCli(server.url, ['secretsmanager', 'describe-secret', '--secret-id', 'nope']);
    assert.match(missing.stderr, /\(ResourceNotFoundException\) when calling the DescribeSecret operation: Secrets Manager can't find the specified secret\./);
  });

  it('boto3: create_secret with SecretBinary, get_secret_value, ClientError codes', async (t) => {
    if (noBoto3) {
      t.skip('python3 boto3 not installed');
      return;
    }
    // when
    const out = await boto3(
      server.url,
      'secretsmanager',
      `
c = client.create_secret(Name='boto/bin', SecretBinary=b'\\x00\\x01secret')
v = client.get_secret_value(SecretId=c['ARN'])
try:
    client.create_secret(Name='boto/bin', SecretString='x')
    code = None
except ClientError as e:
    code = [e.response['Error']['Code'], e.response['Error']['Message']]
d = client.describe_secret(SecretId='boto/bin')
out({'binary': list(v['SecretBinary']), 'stages': v['VersionStages'], 'dup': code, 'versions': list(d['VersionIdsToStages'].values())})
`,
    );
    // then
    assert.deepEqual(out, {
      binary: [0, 1, ...Buffer.from('secret')],
      stages: ['AWSCURRENT'],
      dup: ['ResourceExistsException', 'The operation failed because the secret boto/bin already exists.'],
      versions: [['AWSCURRENT']],
    });
  });
});
