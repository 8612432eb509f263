import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../support/server.js';
import { jsonCall, queryCall } from '../support/signed-fetch.js';

const TARGET = 'AmazonEC2ContainerRegistry_V20150921';

describe('AWS JSON protocol and SigV4', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  it('answers a signed call with a request id and the JSON 1.1 content type', async () => {
    const res = await jsonCall(server.url, `${TARGET}.DescribeRepositories`, '{}');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-amz-json-1.1');
    assert.match(res.headers.get('x-amzn-requestid') ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(res.json(), { repositories: [] });
  });

  it('rejects an unsigned request', async () => {
    const res = await jsonCall(server.url, `${TARGET}.DescribeRepositories`, '{}', { credentials: null });
    assert.equal(res.status, 403);
    assert.deepEqual(res.json(), { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
  });

  it('rejects a bad signature', async () => {
    const res = await jsonCall(server.url, `${TARGET}.DescribeRepositories`, '{}', {
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wrong-secret-wrong-secret' },
    });
    assert.equal(res.status, 403);
    assert.equal(res.json().__type, 'InvalidSignatureException');
    assert.equal(
      res.json().message,
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  });

  it('rejects a body changed after signing', async () => {
    const res = await jsonCall(server.url, `${TARGET}.DescribeRepositories`, '{}', {
      tamper: (h) => {
        h['x-amz-target'] = `${TARGET}.DescribeRegistry`;
      },
    });
    assert.equal(res.json().__type, 'InvalidSignatureException');
  });

  it('rejects an unknown access key', async () => {
    const res = await jsonCall(server.url, `${TARGET}.DescribeRepositories`, '{}', {
      credentials: { accessKeyId: 'AKIANOTAKNOWNKEY0000', secretAccessKey: 'x'.repeat(40) },
    });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json(), {
      __type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
  });

  it('rejects a signature more than 15 minutes old or ahead', async () => {
    const old = await jsonCall(server.url, `${TARGET}.DescribeRepositories`, '{}', {
      signingDate: new Date(Date.now() - 16 * 60_000),
    });
    assert.equal(old.json().__type, 'InvalidSignatureException');
    assert.match(String(old.json().message), /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
    const ahead = await jsonCall(server.url, `${TARGET}.DescribeRepositories`, '{}', {
      signingDate: new Date(Date.now() + 16 * 60_000),
    });
    assert.match(String(ahead.json().message), /^Signature not yet current: /);
    const fine = await jsonCall(server.url, `${TARGET}.DescribeRepositories`, '{}', {
      signingDate: new Date(Date.now() - 10 * 60_000),
    });
    assert.equal(fine.status, 200);
  });

  it('rejects a malformed Authorization header', async () => {
    const res = await jsonCall(server.url, `${TARGET}.DescribeRepositories`, '{}', {
      tamper: (h) => {
        h.authorization = 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/ecr/aws4_request';
      },
    });
    assert.equal(res.status, 400);
    assert.equal(res.json().__type, 'IncompleteSignatureException');
  });

  it('answers UnknownOperationException for an unknown operation', async () => {
    const res = await jsonCall(server.url, `${TARGET}.MakeCoffee`, '{}');
    assert.equal(res.status, 400);
    assert.equal(res.json().__type, 'UnknownOperationException');
  });

  it('answers UnknownOperationException for JavaScript built-in names, never a 500', async () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      // when
      const res = await jsonCall(server.url, `${TARGET}.${name}`, '{}');
      // then
      assert.equal(res.status, 400, `${name}: ${res.text}`);
      assert.equal(res.json().__type, 'UnknownOperationException', name);
    }
  });

  it('answers InvalidAction naming a JavaScript built-in on IAM and STS, never an empty 200', async () => {
    for (const service of ['iam', 'sts']) {
      for (const name of ['constructor', 'toString', '__proto__']) {
        // when
        const res = await queryCall(server.url, `Action=${name}&Version=${service === 'iam' ? '2010-05-08' : '2011-06-15'}`, { service });
        // then
        assert.equal(res.status, 400, `${service} ${name}: ${res.text}`);
        assert.match(
          res.text,
          new RegExp(`<Code>InvalidAction</Code><Message>Could not find operation ${name} for version ${service === 'iam' ? '2010-05-08' : '2011-06-15'}</Message>`),
        );
      }
    }
  });

  it('refuses a signature that does not cover Host', async () => {
    // when
    const res = await jsonCall(server.url, `${TARGET}.DescribeRepositories`, '{}', { unsigned: ['host'] });
    // then
    assert.equal(res.status, 403);
    assert.deepEqual(res.json(), {
      __type: 'InvalidSignatureException',
      message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    });
  });

  it('refuses a captured call replayed as another operation when X-Amz-Target was not signed', async () => {
    // given: a repository, and a ListImages call whose signature leaves X-Amz-Target out
    await jsonCall(server.url, `${TARGET}.CreateRepository`, '{"repositoryName":"replay-victim"}');
    // when: the same signed body is replayed as DeleteRepository
    const res = await jsonCall(server.url, `${TARGET}.ListImages`, '{"repositoryName":"replay-victim"}', {
      unsigned: ['x-amz-target'],
      tamper: (h) => {
        h['x-amz-target'] = `${TARGET}.DeleteRepository`;
      },
    });
    // then
    assert.equal(res.status, 403);
    assert.deepEqual(res.json(), {
      __type: 'InvalidSignatureException',
      message: "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.",
    });
    const still = await jsonCall(server.url, `${TARGET}.DescribeRepositories`, '{"repositoryNames":["replay-victim"]}');
    assert.equal(still.status, 200, still.text);
    await jsonCall(server.url, `${TARGET}.DeleteRepository`, '{"repositoryName":"replay-victim"}');
  });

  it('refuses any unsigned x-amz-* header, in the query protocol too', async () => {
    // when
    const res = await queryCall(server.url, 'Action=ListUsers&Version=2010-05-08', {
      tamper: (h) => {
        h['x-amz-meta-extra'] = 'added after signing';
      },
    });
    // then
    assert.equal(res.status, 403);
    assert.match(res.text, /<Code>SignatureDoesNotMatch<\/Code><Message>'X-Amz-Meta-Extra' must be a 'SignedHeader' in the AWS Authorization.<\/Message>/);
  });

  it('answers SerializationException for malformed JSON and leaves state alone', async () => {
    const res = await jsonCall(server.url, `${TARGET}.CreateRepository`, '{"repositoryName": "half');
    assert.equal(res.status, 400);
    assert.equal(res.json().__type, 'SerializationException');
    const wrongType = await jsonCall(server.url, `${TARGET}.CreateRepository`, '{"repositoryName": 42}');
    assert.equal(wrongType.json().__type, 'SerializationException');
    const list = await jsonCall(server.url, `${TARGET}.DescribeRepositories`, '{}');
    assert.deepEqual(list.json(), { repositories: [] });
  });

  it('names a missing required member', async () => {
    const res = await jsonCall(server.url, `${TARGET}.CreateRepository`, '{}');
    assert.equal(res.json().__type, 'InvalidParameterException');
    assert.equal(res.json().message, "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'Member must not be null'");
  });

  it('keeps regions apart: the region comes from the credential scope', async () => {
    await jsonCall(server.url, `${TARGET}.CreateRepository`, '{"repositoryName":"west-only"}', { region: 'eu-west-1' });
    const west = await jsonCall(server.url, `${TARGET}.DescribeRepositories`, '{}', { region: 'eu-west-1' });
    const east = await jsonCall(server.url, `${TARGET}.DescribeRepositories`, '{"repositoryNames":["west-only"]}');
    const repos = west.json().repositories as { repositoryUri: string }[];
    assert.equal(repos[0]?.repositoryUri, `000000000000.dkr.ecr.eu-west-1.localhost:${server.port}/west-only`);
    assert.equal(east.json().__type, 'RepositoryNotFoundException');
  });
});
