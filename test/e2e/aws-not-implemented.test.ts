import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { DescribeCustomKeyStoresCommand, KMSClient } from '@aws-sdk/client-kms';
import pino from 'pino';
import { awsCli } from '../support/clients.js';
import { REGION, ROOT, startServer, type TestServer } from '../support/server.js';
import { hasTool } from '../support/tools.js';

/**
 * Operations of the AWS models that simfra does not emulate (yet): pick ones no branch is
 * building. Every ECR operation is built or being built (issue 14), so the JSON protocol's case
 * is KMS's custom key stores (CloudHSM / external key stores are out of scope).
 */
const KMS_OP = 'DescribeCustomKeyStores';
const IAM_OP = 'ListSAMLProviders';

describe('an operation in the AWS model that simfra does not implement', () => {
  let server: TestServer;
  let kms: KMSClient;
  const lines: Record<string, unknown>[] = [];

  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
        cb();
      },
    });
    server = await startServer({ logLevel: 'info' }, { log: pino({ level: 'info' }, sink) });
    kms = new KMSClient({ endpoint: server.url, region: REGION, credentials: ROOT });
  });
  after(async () => {
    kms.destroy();
    await server.close();
  });

  it('answers UnknownOperationException naming the operation of a JSON service (KMS), and logs service and operation', async () => {
    // when
    const err = await kms.send(new DescribeCustomKeyStoresCommand({})).then(
      () => undefined,
      (e: Error & { $metadata?: { httpStatusCode?: number } }) => e,
    );
    // then
    assert.ok(err, 'the call must fail');
    assert.equal(err.name, 'UnknownOperationException');
    assert.equal(err.$metadata?.httpStatusCode, 400);
    assert.equal(
      err.message,
      `simfra does not implement the ${KMS_OP} operation of AWS Key Management Service (kms) yet; it is in the AWS API model but not emulated`,
    );
    const logged = lines.find((l) => l.msg === 'request' && l.operation === KMS_OP);
    assert.ok(logged, 'an access-log line names the operation');
    assert.equal(logged.service, 'kms');
    assert.equal(logged.status, 400);
  });

  it('is what the aws CLI prints for KMS (json) and IAM (query: InvalidAction)', async (t) => {
    if (!(await hasTool('aws'))) return t.skip('aws CLI not installed (pip install awscli)');
    // when
    const kmsOut = await awsCli(server.url, ['kms', 'describe-custom-key-stores']);
    const iamOut = await awsCli(server.url, ['iam', 'list-saml-providers']);
    // then
    assert.notEqual(kmsOut.code, 0);
    assert.match(kmsOut.stderr, new RegExp(`\\(UnknownOperationException\\) when calling the ${KMS_OP} operation: simfra does not implement the ${KMS_OP} operation of AWS Key Management Service \\(kms\\)`));
    assert.notEqual(iamOut.code, 0);
    assert.match(iamOut.stderr, new RegExp(`\\(InvalidAction\\) when calling the ${IAM_OP} operation: simfra does not implement the ${IAM_OP} operation of AWS Identity and Access Management \\(iam\\)`));
  });
});
