import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { functionArn, parseFunctionName, parseImageUri } from './names.js';

describe('parseFunctionName', () => {
  it('reads names, partial and full ARNs, with qualifiers', () => {
    assert.deepEqual(parseFunctionName('f', '000000000000', 'us-east-1'), { accountId: '000000000000', region: 'us-east-1', name: 'f' });
    assert.deepEqual(parseFunctionName('f:live', '000000000000', 'us-east-1')?.qualifier, 'live');
    assert.deepEqual(parseFunctionName('111122223333:function:f:3', '000000000000', 'us-east-1'), {
      accountId: '111122223333',
      region: 'us-east-1',
      name: 'f',
      qualifier: '3',
    });
    assert.deepEqual(parseFunctionName('arn:aws:lambda:eu-west-1:111122223333:function:f', '000000000000', 'us-east-1'), {
      accountId: '111122223333',
      region: 'eu-west-1',
      name: 'f',
    });
    assert.equal(parseFunctionName('f', 'a', 'r', '$LATEST')?.qualifier, '$LATEST');
    assert.equal(parseFunctionName('bad name', 'a', 'r'), undefined);
    assert.equal(parseFunctionName('x'.repeat(65), 'a', 'r'), undefined);
  });

  it('builds ARNs', () => {
    assert.equal(functionArn({ accountId: '1', region: 'r', name: 'f' }, '2'), 'arn:aws:lambda:r:1:function:f:2');
  });
});

describe('parseImageUri', () => {
  it('reads the AWS host and simfra\'s, tag or digest, latest by default', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    assert.deepEqual(parseImageUri('000000000000.dkr.ecr.us-east-1.amazonaws.com/a/b:v1', 'localhost'), {
      accountId: '000000000000',
      region: 'us-east-1',
      repository: 'a/b',
      tag: 'v1',
    });
    assert.equal(parseImageUri('000000000000.dkr.ecr.us-east-1.localhost:4599/app', 'localhost')?.tag, 'latest');
    assert.equal(parseImageUri(`000000000000.dkr.ecr.us-east-1.localhost:4599/app@${d}`, 'localhost')?.digest, d);
    assert.equal(parseImageUri('docker.io/library/app:1', 'localhost'), undefined);
    assert.equal(parseImageUri('000000000000.dkr.ecr.us-east-1.example.com/app:1', 'localhost'), undefined);
  });
});
