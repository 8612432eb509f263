import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lambdaModel } from '../../model/lambda/index.js';
import { AwsError } from '../errors.js';
import { decodeRestJsonInput, encodeRestJsonError, encodeRestJsonOutput, RestJsonRouter } from './rest-json.js';

const router = new RestJsonRouter([{ model: lambdaModel }]);
const match = (method: string, url: string) => {
  const u = new URL(url, 'http://x');
  return router.match(method, u.pathname, u.searchParams);
};

describe('RestJsonRouter', () => {
  it('finds operations by method and path, with labels decoded', () => {
    // when
    const invoke = match('POST', '/2015-03-31/functions/my-fn/invocations');
    const tags = match('GET', '/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af');
    const create = match('POST', '/2015-03-31/functions');
    const list = match('GET', '/2015-03-31/functions/');
    // then
    assert.deepEqual(invoke && { op: invoke.operation, labels: invoke.labels }, { op: 'Invoke', labels: { FunctionName: 'my-fn' } });
    assert.equal(tags?.operation, 'ListTags');
    assert.equal(tags?.labels.Resource, 'arn:aws:lambda:us-east-1:000000000000:function:f');
    assert.equal(create?.operation, 'CreateFunction');
    assert.equal(list?.operation, 'ListFunctions');
  });

  it('prefers a route whose required query parameter is present', () => {
    // when
    const withQuery = match('GET', '/2019-09-30/functions/f/provisioned-concurrency?List=ALL');
    const without = match('GET', '/2019-09-30/functions/f/provisioned-concurrency?Qualifier=1');
    // then
    assert.equal(withQuery?.operation, 'ListProvisionedConcurrencyConfigs');
    assert.equal(without?.operation, 'GetProvisionedConcurrencyConfig');
  });

  it('owns Lambda paths and not the query protocol\'s', () => {
    assert.equal(router.owns('/2015-03-31/functions/x'), true);
    assert.equal(router.owns('/'), false);
    assert.equal(router.match('DELETE', '/2015-03-31/functions', new URLSearchParams()), undefined);
  });
});

describe('decodeRestJsonInput / encodeRestJsonOutput', () => {
  it('reads labels, query, headers and a blob payload', () => {
    // when
    const input = decodeRestJsonInput(
      lambdaModel,
      'Invoke',
      { FunctionName: 'f' },
      new URLSearchParams('Qualifier=live'),
      { 'x-amz-invocation-type': 'Event', 'x-amz-log-type': 'Tail' },
      Buffer.from('{"a":1}'),
      (b) => JSON.parse(b.toString()) as Record<string, unknown>,
    );
    // then
    assert.deepEqual({ ...input, Payload: String(input.Payload) }, {
      FunctionName: 'f',
      Qualifier: 'live',
      InvocationType: 'Event',
      LogType: 'Tail',
      Payload: '{"a":1}',
    });
  });

  it('writes the status code member, header members and the payload', () => {
    // when
    const out = encodeRestJsonOutput(lambdaModel, 'Invoke', { StatusCode: 200, FunctionError: 'Unhandled', ExecutedVersion: '$LATEST', Payload: Buffer.from('{"x":1}') });
    const created = encodeRestJsonOutput(lambdaModel, 'CreateFunction', { FunctionName: 'f' });
    // then
    assert.equal(out.status, 200);
    assert.equal(out.headers['x-amz-function-error'], 'Unhandled');
    assert.equal(out.headers['x-amz-executed-version'], '$LATEST');
    assert.equal(String(out.body), '{"x":1}');
    assert.equal(created.status, 201);
    assert.equal(created.body, '{"FunctionName":"f"}');
  });

  it('spells the error message member as the exception shape does', () => {
    assert.equal(encodeRestJsonError(lambdaModel, new AwsError('ResourceNotFoundException', 'Function not found: x', 404)), '{"Type":"User","Message":"Function not found: x"}');
    assert.equal(encodeRestJsonError(lambdaModel, new AwsError('InvalidParameterValueException', 'bad', 400)), '{"Type":"User","message":"bad"}');
  });
});
