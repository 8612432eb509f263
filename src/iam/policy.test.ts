import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { AWS_MANAGED_POLICIES, findAwsManagedPolicy } from './managed-policies.js';
import {
  compilePattern,
  parseCidr,
  parseDateText,
  parsePolicy,
  PolicyDocumentError,
  splitArn,
  type PolicyKind,
} from './policy.js';

const doc = (value: unknown): string => JSON.stringify(value);
const statement = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  Effect: 'Allow',
  Action: 'ecr:BatchGetImage',
  Resource: 'arn:aws:ecr:us-east-1:111122223333:repository/app',
  ...extra,
});
const v12 = (...statements: unknown[]): string => doc({ Version: '2012-10-17', Statement: statements });

function rejects(text: string, kind: PolicyKind, message: string): void {
  assert.throws(
    () => parsePolicy(text, kind),
    (e: unknown) => e instanceof PolicyDocumentError && e.kind === 'MalformedPolicyDocument' && e.message === message,
    `expected "${message}"`,
  );
}

describe('parsePolicy: identity policies (texts as IAM gives them)', () => {
  const cases: [string, string, string][] = [
    ['not JSON', 'This is not a json document', 'Syntax errors in policy.'],
    ['no Statement', doc({ Version: '2012-10-17' }), 'Syntax errors in policy.'],
    ['empty Statement list', doc({ Version: '2012-10-17', Statement: [] }), 'Syntax errors in policy.'],
    ['statement that is a string', doc({ Version: '2012-10-17', Statement: ['afd'] }), 'Syntax errors in policy.'],
    ['unknown top-level field', doc({ Version: '2012-10-17', Statement: statement(), Extra: 1 }), 'Syntax errors in policy.'],
    ['unknown statement field', v12(statement({ Extra: 'value' })), 'Syntax errors in policy.'],
    ['Id not a string', doc({ Version: '2012-10-17', Id: ['x'], Statement: statement() }), 'Syntax errors in policy.'],
    ['unknown Version', doc({ Version: '2013-10-17', Statement: statement() }), 'Syntax errors in policy.'],
    ['Effect not allow/deny', v12(statement({ Effect: 'invalid' })), 'Syntax errors in policy.'],
    ['Action and NotAction together', v12(statement({ NotAction: 'ecr:PutImage' })), 'Syntax errors in policy.'],
    ['Resource object', v12(statement({ Resource: { a: 'b' } })), 'Syntax errors in policy.'],
    ['Condition list', v12(statement({ Condition: [] })), 'Syntax errors in policy.'],
    ['unknown condition operator', v12(statement({ Condition: { StringEqualz: { 'aws:username': 'x' } } })), 'Syntax errors in policy.'],
    ['double colon after ForAnyValue', v12(statement({ Condition: { 'ForAnyValue::StringEquals': { a: 'b' } } })), 'Syntax errors in policy.'],
    ['Principal in an identity policy', v12(statement({ Principal: '*' })), 'Policy document should not specify a principal.'],
    ['no Version', doc({ Statement: statement() }), 'Policy document must be version 2012-10-17 or greater.'],
    ['Version 2008-10-17', doc({ Version: '2008-10-17', Statement: statement() }), 'Policy document must be version 2012-10-17 or greater.'],
    ['Effect in the wrong case', v12(statement({ Effect: 'allow' })), 'The policy failed legacy parsing'],
    ['bad date in a Date condition', v12(statement({ Condition: { DateGreaterThan: { 'aws:CurrentTime': 'sdfdsf' } } })), 'The policy failed legacy parsing'],
    ['resource with too few colons', v12(statement({ Resource: 'arn:aws:s3::example_bucket' })), 'The policy failed legacy parsing'],
    ['duplicate Sid', v12(statement({ Sid: 'a' }), statement({ Sid: 'a' })), 'Statement IDs (SID) in a single policy must be unique.'],
    [
      'Sid with a space',
      v12(statement({ Sid: 'Allow pull' })),
      'Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*',
    ],
    ['no Action', v12({ Effect: 'Allow', Resource: '*' }), 'Policy statement must contain actions.'],
    ['empty Action list', v12(statement({ Action: [] })), 'Policy statement must contain actions.'],
    ['no Resource', v12({ Effect: 'Allow', Action: 'ecr:PutImage' }), 'Policy statement must contain resources.'],
    ['resource not an ARN', v12(statement({ Resource: 'invalid resource' })), 'Resource invalid resource must be in ARN format or "*".'],
    ['empty resource', v12(statement({ Resource: '' })), 'Resource  must be in ARN format or "*".'],
    ['bad partition', v12(statement({ Resource: 'arn:error:s3:::bucket' })), 'Partition "error" is not valid for resource "arn:error:s3:::bucket".'],
    [
      'two bad partitions (the last in reverse order is reported)',
      v12(statement({ Resource: ['arn:error:s3:::example_bucket', 'arn:error:s3::example_bucket'] })),
      'Partition "error" is not valid for resource "arn:error:s3:::example_bucket".',
    ],
    ['partition only', v12(statement({ Resource: 'a:bsdfdsafsad' })), 'Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*".'],
    ['ARN without "arn:"', v12(statement({ Resource: 'aws:s3:::example_bucket' })), 'Partition "s3" is not valid for resource "arn:s3:::example_bucket:*".'],
    ['long bad ARN', v12(statement({ Resource: 'a:b:c:d:e:f:g:h' })), 'Partition "b" is not valid for resource "arn:b:c:d:e:f:g:h".'],
    ['empty service', v12(statement({ Resource: 'arn:aws::fdsasf' })), 'The policy failed legacy parsing'],
    ['vendor only', v12(statement({ Resource: 'arn:aws' })), 'Resource vendor must be fully qualified and cannot contain regexes.'],
    ['IAM resource with a region', v12(statement({ Resource: 'arn:aws:iam:us-east-1::user/x' })), 'IAM resource arn:aws:iam:us-east-1::user/x cannot contain region information.'],
    ['action without vendor', v12(statement({ Action: 'PutImage' })), 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.'],
    ['action with two colons', v12(statement({ Action: 'ecr:Put:Image' })), 'Actions/Condition can contain only one colon.'],
    ['vendor with a space', v12(statement({ Action: 'e cr:PutImage' })), 'Vendor e cr is not valid'],
  ];
  for (const [why, text, message] of cases) {
    it(`rejects ${why}: ${message}`, () => rejects(text, 'identity', message));
  }

  it('accepts statements sharing a Sid only when told to (ECR resource policies)', () => {
    // given
    const text = v12(statement({ Sid: 'a' }), statement({ Sid: 'a' }));
    // when
    const policy = parsePolicy(text, 'identity', { allowDuplicateSids: true });
    // then
    assert.equal(policy.statements.length, 2);
    rejects(text, 'identity', 'Statement IDs (SID) in a single policy must be unique.');
  });

  it('accepts the valid shapes IAM accepts', () => {
    for (const text of [
      v12(statement()),
      doc({ Version: '2012-10-17', Statement: statement() }),
      v12(statement({ Action: '*', Resource: '*' })),
      v12(statement({ Action: 's3-s:ListBucket' })),
      v12(statement({ Condition: {} })),
      v12(statement({ Condition: { x: {} } })),
      v12(statement({ Condition: { DateGreaterThan: { a: [] } } })),
      v12(statement({ Condition: { 'ForAnyValue:StringEqualsIfExists': { a: 'b' } } })),
      v12(statement({ Condition: { DateLessThanEquals: { a: '2016-12-13T21:20:37.593194+00:00' } } })),
      v12(statement({ Condition: { NumericLessThanEquals: { 's3:max-keys': 10 }, Bool: { 'aws:SecureTransport': false } } })),
      v12({ Effect: 'Deny', NotAction: 'iam:*', NotResource: '*' }),
      v12(statement({ Resource: 'arn:aws:iam::*:user/${aws:username}' })),
      v12(statement({ Resource: 'arn:aws:fdsasf' })),
      v12(statement({ Resource: 'arn:aws:ec2:us-east-1::example_bucket' })),
    ]) {
      assert.doesNotThrow(() => parsePolicy(text, 'identity'), text);
    }
  });

  it('normalises strings to arrays and keeps the version', () => {
    const policy = parsePolicy(v12(statement({ Sid: 'Pull' })), 'identity');
    assert.equal(policy.version, '2012-10-17');
    assert.deepEqual(policy.document.Statement[0]?.Action, ['ecr:BatchGetImage']);
    assert.deepEqual(policy.document.Statement[0]?.Resource, ['arn:aws:ecr:us-east-1:111122223333:repository/app']);
    assert.equal(policy.statements[0]?.sid, 'Pull');
  });

  it('accepts a legacy version only when asked to', () => {
    const text = doc({ Version: '2008-10-17', Statement: statement() });
    assert.equal(parsePolicy(text, 'identity', { allowLegacyVersion: true }).version, '2008-10-17');
  });
});

describe('parsePolicy: resource and trust policies', () => {
  const pull = { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: ['ecr:BatchGetImage'] };

  it('accepts an ECR repository policy without Resource, Version 2008-10-17 and a Sid with spaces', () => {
    const policy = parsePolicy(doc({ Version: '2008-10-17', Statement: [{ ...pull, Sid: 'allow pull' }] }), 'resource');
    assert.equal(policy.version, '2008-10-17');
    assert.equal(policy.statements[0]?.resources, null);
  });

  it('requires a Principal', () => {
    rejects(v12({ Effect: 'Allow', Action: 'ecr:BatchGetImage' }), 'resource', 'Missing required field Principal');
    rejects(v12({ Effect: 'Allow', Action: 'sts:AssumeRole' }), 'trust', 'Missing required field Principal');
  });

  it('rejects Resource in a trust policy', () => {
    rejects(
      v12({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole', Resource: '*' }),
      'trust',
      'Has prohibited field Resource',
    );
  });

  it('rejects actions a trust policy cannot name', () => {
    rejects(
      v12({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'ecr:PutImage' }),
      'trust',
      'Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity',
    );
  });

  for (const [value, key] of [
    ['arn:aws:sts::123456789012:assumed-role/PowerUser/*', 'AWS'],
    ['arn:aws:iam::123456789012:user/*', 'AWS'],
    ['12345', 'AWS'],
    ['not-an-arn', 'AWS'],
  ] as const) {
    it(`rejects the principal ${value}`, () => {
      rejects(v12({ ...pull, Principal: { [key]: value } }), 'resource', `Invalid principal in policy: "AWS":"${value}"`);
    });
  }

  it('rejects a malformed service principal with the SERVICE spelling', () => {
    rejects(
      v12({ ...pull, Principal: { Service: 'lambda.amazonaws.con' } }),
      'resource',
      'Invalid principal in policy: "SERVICE":"lambda.amazonaws.con"',
    );
  });

  it('asks principalExists about every AWS principal', () => {
    const asked: string[] = [];
    const text = v12({ ...pull, Principal: { AWS: ['111122223333', 'arn:aws:iam::111122223333:role/gone', '*'] } });
    assert.throws(
      () =>
        parsePolicy(text, 'trust' as PolicyKind, {
          principalExists: (v) => {
            asked.push(v);
            return !v.endsWith('/gone');
          },
        }),
      /Trust Policy statement actions/,
    );
    assert.throws(
      () =>
        parsePolicy(text, 'resource', {
          principalExists: (v) => {
            asked.push(v);
            return !v.endsWith('/gone');
          },
        }),
      (e: unknown) => e instanceof PolicyDocumentError && e.message === 'Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:role/gone"',
    );
    assert.deepEqual(asked, ['111122223333', 'arn:aws:iam::111122223333:role/gone']);
  });

  it('accepts account ids, root, user, role, session and federated-user ARNs, services, "*"', () => {
    const principal = {
      AWS: [
        '111122223333',
        'arn:aws:iam::111122223333:root',
        'arn:aws:iam::111122223333:user/path/dev',
        'arn:aws:iam::111122223333:role/service-role/build',
        'arn:aws:sts::111122223333:assumed-role/build/session-1',
        'arn:aws:sts::111122223333:federated-user/bob',
        'AIDAJQABLZS4A3QDU576Q',
      ],
      Service: ['lambda.amazonaws.com', 'ecs-tasks.amazonaws.com'],
    };
    assert.doesNotThrow(() => parsePolicy(v12({ ...pull, Principal: principal }), 'resource'));
    assert.doesNotThrow(() => parsePolicy(v12({ ...pull, Principal: '*' }), 'resource'));
    const notPrincipal = { Effect: 'Deny', NotPrincipal: { AWS: '111122223333' }, Action: ['ecr:BatchGetImage'] };
    assert.doesNotThrow(() => parsePolicy(v12(notPrincipal), 'resource'));
  });
});

describe('compilePattern', () => {
  it('compiles literal, prefix, suffix and general shapes once', () => {
    assert.equal(compilePattern('*', { wildcards: true, variables: false, caseInsensitive: false }).shape, 'any');
    assert.equal(compilePattern('ecr:Get*', { wildcards: true, variables: false, caseInsensitive: true }).shape, 'prefixSuffix');
    assert.equal(compilePattern('ecr:Get*', { wildcards: true, variables: false, caseInsensitive: true }).prefix, 'ecr:get');
    assert.equal(compilePattern('a?c', { wildcards: true, variables: false, caseInsensitive: false }).shape, 'general');
    assert.equal(compilePattern('a*b*c', { wildcards: true, variables: false, caseInsensitive: false }).shape, 'general');
    assert.equal(compilePattern('a*b', { wildcards: false, variables: false, caseInsensitive: false }).shape, 'exact');
  });

  it('reads variables, defaults and the special ${*} ${?} ${$} only with variables on', () => {
    const p = compilePattern("x/${aws:username}/${aws:PrincipalTag/team, 'it''s'}/${*}${?}${$}", {
      wildcards: true,
      variables: true,
      caseInsensitive: false,
    });
    assert.deepEqual(p.segments, [
      ['x/', { key: 'aws:username', fallback: undefined }, '/', { key: 'aws:principaltag/team', fallback: "it's" }, '/*?$'],
    ]);
    const literal = compilePattern('x/${aws:username}', { wildcards: true, variables: false, caseInsensitive: false });
    assert.equal(literal.shape, 'exact');
    assert.equal(literal.prefix, 'x/${aws:username}');
  });
});

describe('value parsers', () => {
  it('parses ISO 8601 and epoch seconds', () => {
    assert.equal(parseDateText('2019-07-01T13:20:15Z'), Date.UTC(2019, 6, 1, 13, 20, 15));
    assert.equal(parseDateText('2019-07-01'), Date.UTC(2019, 6, 1));
    assert.equal(parseDateText('1561987215'), 1561987215000);
    assert.equal(parseDateText('2016-12-13T21:20:37+02:00'), Date.UTC(2016, 11, 13, 19, 20, 37));
    assert.ok(Number.isNaN(parseDateText('yesterday')));
  });

  it('parses IPv4 and IPv6 CIDRs', () => {
    assert.deepEqual(parseCidr('203.0.113.0/24'), { v6: false, words: [3405803776], prefix: 24 });
    assert.deepEqual(parseCidr('10.0.0.1'), { v6: false, words: [167772161], prefix: 32 });
    assert.deepEqual(parseCidr('2001:DB8:1234:5678::/64'), { v6: true, words: [0x2001, 0xdb8, 0x1234, 0x5678, 0, 0, 0, 0], prefix: 64 });
    assert.deepEqual(parseCidr('::ffff:192.0.2.1')?.words, [0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201]);
    assert.equal(parseCidr('10.0.0.256/8'), undefined);
    assert.equal(parseCidr('10.0.0.0/33'), undefined);
    assert.equal(parseCidr('1::2::3'), undefined);
  });

  it('splits ARNs into six parts, the last keeping its colons', () => {
    assert.deepEqual(splitArn('arn:aws:logs:us-east-1:111122223333:log-group:/a:*'), [
      'arn',
      'aws',
      'logs',
      'us-east-1',
      '111122223333',
      'log-group:/a:*',
    ]);
  });
});

describe('AWS managed policies', () => {
  it('are valid identity policies at their real ARNs', () => {
    for (const managed of AWS_MANAGED_POLICIES) {
      assert.equal(managed.arn, `arn:aws:iam::aws:policy${managed.path}${managed.policyName}`);
      assert.match(managed.defaultVersionId, /^v\d+$/);
      assert.doesNotThrow(() => parsePolicy(managed.document, 'identity'), managed.policyName);
    }
  });

  it('carries every policy an ECR user reaches for', () => {
    for (const arn of [
      'arn:aws:iam::aws:policy/AdministratorAccess',
      'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryFullAccess',
      'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser',
      'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
      'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly',
      'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy',
      'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
      'arn:aws:iam::aws:policy/IAMFullAccess',
      'arn:aws:iam::aws:policy/IAMReadOnlyAccess',
    ]) {
      assert.ok(findAwsManagedPolicy(arn), arn);
    }
  });
});
