import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { DescribePullThroughCacheRulesCommand, type ECRClient } from '@aws-sdk/client-ecr';
import pino from 'pino';
import { awsCli, ecrClient } from '../support/clients.js';
import { startServer, type TestServer } from '../support/server.js';
import { hasTool } from '../support/tools.js';

/** Operations of the AWS models that simfra does not emulate (yet): pick ones no branch is building. */
const ECR_OP = 'DescribePullThroughCacheRules';
const IAM_OP = 'ListSAMLProviders';

describe('an operation in the AWS model that simfra does not implement', () => {
  let server: TestServer;
  let ecr: ECRClient;
  const lines: Record<string, unknown>[] = [];

  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
        cb();
      },
    });
    server = await startServer({ logLevel: 'info' }, { log: pino({ level: 'info' }, sink) });
    ecr = ecrClient(server.url);
  });
  after(async () => {
    ecr.destroy();
    await server.close();
  });

  it('answers UnknownOperationException naming the ECR operation, and logs service and operation', async () => {
    // when
    const err = await ecr.send(new DescribePullThroughCacheRulesCommand({})).then(
      () => undefined,
      (e: Error & { $metadata?: { httpStatusCode?: number } }) => e,
    );
    // then
    assert.ok(err, 'the call must fail');
    assert.equal(err.name, 'UnknownOperationException');
    assert.equal(err.$metadata?.httpStatusCode, 400);
    assert.equal(
      err.message,
      `simfra does not implement the ${ECR_OP} operation of Amazon Elastic Container Registry (ecr) yet; it is in the AWS API model but not emulated`,
    );
    const logged = lines.find((l) => l.msg === 'request' && l.operation === ECR_OP);
    assert.ok(logged, 'an access-log line names the operation');
    assert.equal(logged.service, 'ecr');
    assert.equal(logged.status, 400);
  });

  it('is what the aws CLI prints for ECR (json) and IAM (query: InvalidAction)', async (t) => {
    if (!(await hasTool('aws'))) return t.skip('aws CLI not installed (pip install awscli)');
    // when
    const ecrOut = await awsCli(server.url, ['ecr', 'describe-pull-through-cache-rules']);
    const iamOut = await awsCli(server.url, ['iam', 'list-saml-providers']);
    // then
    assert.notEqual(ecrOut.code, 0);
    assert.match(ecrOut.stderr, new RegExp(`\\(UnknownOperationException\\) when calling the ${ECR_OP} operation: simfra does not implement the ${ECR_OP} operation of Amazon Elastic Container Registry \\(ecr\\)`));
    assert.notEqual(iamOut.code, 0);
    assert.match(iamOut.stderr, new RegExp(`\\(InvalidAction\\) when calling the ${IAM_OP} operation: simfra does not implement the ${IAM_OP} operation of AWS Identity and Access Management \\(iam\\)`));
  });
});
