import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';

import {
  authorizeRequest,
  ConditionContext,
  evaluateStatements,
  type AuthorizeInput,
  type ContextValue,
  type PrincipalFacts,
  type RequestFacts,
} from './evaluate.js';
import { findAwsManagedPolicy } from './managed-policies.js';
import { accessDeniedMessage, explicitDenyMessage, implicitDenyMessage } from './messages.js';
import { parsePolicy, withPolicyArn, type Policy, type PolicyKind } from './policy.js';

// ---------------------------------------------------------------------------------------------
// given: principals, resources and small builders
// ---------------------------------------------------------------------------------------------

const A = '111122223333';
const B = '444455556666';
const REPO = `arn:aws:ecr:us-east-1:${A}:repository/app`;

const dev: PrincipalFacts = {
  kind: 'user',
  arn: `arn:aws:iam::${A}:user/dev`,
  accountId: A,
  userId: 'AIDAJQABLZS4A3QDU576Q',
  userName: 'dev',
  tags: { Team: 'payments' },
};
const root: PrincipalFacts = { kind: 'root', arn: `arn:aws:iam::${A}:root`, accountId: A, userId: A };
const session: PrincipalFacts = {
  kind: 'assumed-role',
  arn: `arn:aws:sts::${A}:assumed-role/build/ci`,
  accountId: A,
  userId: 'AROADBQP57FF2AEXAMPLE:ci',
  roleArn: `arn:aws:iam::${A}:role/service-role/build`,
  sessionName: 'ci',
};
const federatedUser: PrincipalFacts = {
  kind: 'federated',
  arn: `arn:aws:sts::${A}:federated-user/bob`,
  accountId: A,
  userId: `${A}:bob`,
  federatingUserArn: `arn:aws:iam::${A}:user/broker`,
};
const lambda: PrincipalFacts = { kind: 'service', arn: 'lambda.amazonaws.com', accountId: '', userId: '', serviceName: 'lambda.amazonaws.com' };
const partner: PrincipalFacts = {
  kind: 'user',
  arn: `arn:aws:iam::${B}:user/partner`,
  accountId: B,
  userId: 'AIDAPARTNEREXAMPLE01',
  userName: 'partner',
};
const partnerRoot: PrincipalFacts = { kind: 'root', arn: `arn:aws:iam::${B}:root`, accountId: B, userId: B };

const policy = (kind: PolicyKind, ...statements: unknown[]): Policy =>
  parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: statements }), kind);
const identity = (...statements: unknown[]): Policy => policy('identity', ...statements);
const repoPolicy = (...statements: unknown[]): Policy => policy('resource', ...statements);
const managed = (name: string): Policy => {
  const found = findAwsManagedPolicy(`arn:aws:iam::aws:policy/${name}`) ?? findAwsManagedPolicy(`arn:aws:iam::aws:policy/service-role/${name}`);
  assert.ok(found, name);
  return withPolicyArn(parsePolicy(found.document, 'identity'), found.arn);
};

function facts(
  principal: PrincipalFacts,
  action: string,
  resource = REPO,
  context: Readonly<Record<string, ContextValue | undefined>> = {},
): RequestFacts {
  return { principal, action, resource, context: new ConditionContext(context) };
}

const allowAll = (action: string, resource = '*'): Record<string, unknown> => ({ Effect: 'Allow', Action: action, Resource: resource });

function decide(input: Partial<AuthorizeInput> & { facts: RequestFacts }): string {
  const result = authorizeRequest({ identityPolicies: [], ...input });
  return result.decision === 'Allow' ? 'Allow' : `Deny:${result.reason}`;
}

// ---------------------------------------------------------------------------------------------
// Published evaluation examples
// ---------------------------------------------------------------------------------------------

describe('evaluation logic (reference_policies_evaluation-logic.html examples)', () => {
  // The carlossalazar example: identity policy with a Deny on *log* buckets, a bucket policy naming him.
  const carlos: PrincipalFacts = { kind: 'user', arn: `arn:aws:iam::${A}:user/carlossalazar`, accountId: A, userId: 'AIDACARLOS', userName: 'carlossalazar' };
  const carlosPolicy = identity(
    { Sid: 'AllowS3ListRead', Effect: 'Allow', Action: ['s3:GetBucketLocation', 's3:ListAllMyBuckets'], Resource: 'arn:aws:s3:::*' },
    { Sid: 'AllowS3Self', Effect: 'Allow', Action: 's3:*', Resource: ['arn:aws:s3:::carlossalazar/*', 'arn:aws:s3:::carlossalazar'] },
    { Sid: 'DenyS3Logs', Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::*log*' },
  );
  const bucketPolicy = repoPolicy({
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${A}:user/carlossalazar` },
    Action: 's3:*',
    Resource: ['arn:aws:s3:::carlossalazar/*', 'arn:aws:s3:::carlossalazar'],
  });

  it('an explicit deny beats an allow', () => {
    // when
    const result = authorizeRequest({
      identityPolicies: [carlosPolicy],
      resourcePolicy: bucketPolicy,
      facts: facts(carlos, 's3:PutObject', 'arn:aws:s3:::carlossalazar-logs/file', {}),
    });
    // then
    assert.deepEqual(
      { decision: result.decision, reason: result.reason, deniedBy: result.deniedBy, sid: result.statementSid },
      { decision: 'Deny', reason: 'explicitDeny', deniedBy: 'identity-based policy', sid: 'DenyS3Logs' },
    );
  });

  it('allowed when both identity and resource policy allow', () => {
    assert.equal(
      decide({ identityPolicies: [carlosPolicy], resourcePolicy: bucketPolicy, facts: facts(carlos, 's3:PutObject', 'arn:aws:s3:::carlossalazar/file') }),
      'Allow',
    );
  });

  it('implicit deny when nothing allows', () => {
    assert.equal(evaluateStatements(carlosPolicy, facts(carlos, 'ec2:RunInstances', '*')), 'Neutral');
    assert.equal(decide({ identityPolicies: [carlosPolicy], facts: facts(carlos, 'ec2:RunInstances', '*') }), 'Deny:noIdentityAllow');
  });

  it('AllowGetList / DenyReports: allow, implicit deny and explicit deny', () => {
    const p = identity(
      { Sid: 'AllowGetList', Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' },
      { Sid: 'DenyReports', Effect: 'Deny', Action: 'iam:*Report', Resource: '*' },
    );
    assert.equal(evaluateStatements(p, facts(dev, 'iam:GetUser', '*')), 'Allow');
    assert.equal(evaluateStatements(p, facts(dev, 'iam:CreatePolicy', '*')), 'Neutral');
    assert.equal(evaluateStatements(p, facts(dev, 'iam:GetOrganizationsAccessReport', '*')), 'Deny');
  });

  it('matches actions case-insensitively and resources case-sensitively', () => {
    const p = identity(allowAll('ECR:batchgetIMAGE', REPO));
    assert.equal(evaluateStatements(p, facts(dev, 'ecr:BatchGetImage')), 'Allow');
    assert.equal(evaluateStatements(p, facts(dev, 'ecr:BatchGetImage', REPO.toUpperCase())), 'Neutral');
  });

  it('wildcards: * spans / and :, ? is one character', () => {
    const p = identity(allowAll('ecr:*', `arn:aws:ecr:*:${A}:repository/team-?/*`));
    assert.equal(evaluateStatements(p, facts(dev, 'ecr:PutImage', `arn:aws:ecr:eu-west-1:${A}:repository/team-a/svc/api`)), 'Allow');
    assert.equal(evaluateStatements(p, facts(dev, 'ecr:PutImage', `arn:aws:ecr:eu-west-1:${A}:repository/team-ab/svc`)), 'Neutral');
    assert.equal(evaluateStatements(identity(allowAll('ecr:*', 'arn:aws:ecr:*')), facts(dev, 'ecr:PutImage')), 'Allow');
  });

  it('NotAction with Allow allows everything but the listed actions', () => {
    const p = identity({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' });
    assert.equal(evaluateStatements(p, facts(dev, 'ecr:PutImage')), 'Allow');
    assert.equal(evaluateStatements(p, facts(dev, 'iam:CreateUser', '*')), 'Neutral');
  });

  it('NotResource with Deny denies everywhere but the listed resources', () => {
    const p = identity(
      { Effect: 'Allow', Action: 's3:*', Resource: '*' },
      { Effect: 'Deny', Action: 's3:*', NotResource: ['arn:aws:s3:::HRBucket/Payroll', 'arn:aws:s3:::HRBucket/Payroll/*'] },
    );
    assert.equal(evaluateStatements(p, facts(dev, 's3:GetObject', 'arn:aws:s3:::HRBucket/Payroll/jan.csv')), 'Allow');
    assert.equal(evaluateStatements(p, facts(dev, 's3:GetObject', 'arn:aws:s3:::HRBucket/Other/x')), 'Deny');
  });
});

describe('same account: what a resource-policy Allow is worth', () => {
  it('a repository policy naming the user ARN grants without any identity policy', () => {
    const rp = repoPolicy({ Effect: 'Allow', Principal: { AWS: dev.arn }, Action: 'ecr:BatchGetImage' });
    assert.equal(decide({ resourcePolicy: rp, facts: facts(dev, 'ecr:BatchGetImage') }), 'Allow');
  });

  it('a user-ARN grant is not limited by a permissions boundary', () => {
    const rp = repoPolicy({ Effect: 'Allow', Principal: { AWS: dev.arn }, Action: 'ecr:BatchGetImage' });
    const boundary = identity(allowAll('s3:*'));
    assert.equal(decide({ resourcePolicy: rp, permissionBoundary: boundary, facts: facts(dev, 'ecr:BatchGetImage') }), 'Allow');
  });

  it('a policy naming the account (id or root ARN) delegates to the identity policies', () => {
    for (const principal of [A, `arn:aws:iam::${A}:root`]) {
      const rp = repoPolicy({ Effect: 'Allow', Principal: { AWS: principal }, Action: 'ecr:BatchGetImage' });
      assert.equal(decide({ resourcePolicy: rp, facts: facts(dev, 'ecr:BatchGetImage') }), 'Deny:noIdentityAllow');
      assert.equal(
        decide({ resourcePolicy: rp, identityPolicies: [managed('AmazonEC2ContainerRegistryPullOnly')], facts: facts(dev, 'ecr:BatchGetImage') }),
        'Allow',
      );
    }
  });

  it('the role-session ARN grants outright; the role ARN is still bounded by boundary and session policy', () => {
    const bySession = repoPolicy({ Effect: 'Allow', Principal: { AWS: session.arn }, Action: 'ecr:BatchGetImage' });
    const byRole = repoPolicy({ Effect: 'Allow', Principal: { AWS: session.roleArn }, Action: 'ecr:BatchGetImage' });
    const onlyS3 = identity(allowAll('s3:*'));
    const request = facts(session, 'ecr:BatchGetImage');
    assert.equal(decide({ resourcePolicy: bySession, permissionBoundary: onlyS3, sessionPolicies: [onlyS3], facts: request }), 'Allow');
    assert.equal(decide({ resourcePolicy: byRole, facts: request }), 'Allow');
    assert.equal(decide({ resourcePolicy: byRole, permissionBoundary: onlyS3, facts: request }), 'Deny:boundary');
    assert.equal(decide({ resourcePolicy: byRole, sessionPolicies: [onlyS3], facts: request }), 'Deny:session');
  });

  it('a federated-user session: its own ARN grants outright, the federating user is bounded, no session policy means no access', () => {
    const byOwnArn = repoPolicy({ Effect: 'Allow', Principal: { AWS: federatedUser.arn }, Action: 'ecr:BatchGetImage' });
    const byBroker = repoPolicy({ Effect: 'Allow', Principal: { AWS: federatedUser.federatingUserArn }, Action: 'ecr:BatchGetImage' });
    const request = facts(federatedUser, 'ecr:BatchGetImage');
    assert.equal(decide({ resourcePolicy: byOwnArn, facts: request }), 'Allow');
    assert.equal(decide({ resourcePolicy: byBroker, facts: request }), 'Deny:session');
    assert.equal(decide({ resourcePolicy: byBroker, sessionPolicies: [identity(allowAll('ecr:*'))], facts: request }), 'Allow');
    assert.equal(decide({ identityPolicies: [identity(allowAll('ecr:*'))], facts: request }), 'Deny:session');
  });

  it('a trust policy must allow explicitly, even when identity policies do', () => {
    const trust = parsePolicy(
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: A }, Action: 'sts:AssumeRole' }] }),
      'trust',
    );
    const other = parsePolicy(
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
      'trust',
    );
    const roleArn = `arn:aws:iam::${A}:role/deploy`;
    const assume = identity(allowAll('sts:AssumeRole'));
    assert.equal(decide({ identityPolicies: [assume], resourcePolicy: trust, facts: facts(dev, 'sts:AssumeRole', roleArn) }), 'Allow');
    assert.equal(decide({ resourcePolicy: trust, facts: facts(dev, 'sts:AssumeRole', roleArn) }), 'Deny:noIdentityAllow');
    assert.equal(decide({ identityPolicies: [assume], resourcePolicy: other, facts: facts(dev, 'sts:AssumeRole', roleArn) }), 'Deny:noResourceAllow');
  });
});

describe('permissions boundaries and session policies', () => {
  it('a boundary limits what identity policies allow (ShirleyRodriguez example)', () => {
    const shirley: PrincipalFacts = { ...dev, arn: `arn:aws:iam::${A}:user/ShirleyRodriguez`, userName: 'ShirleyRodriguez' };
    const boundary = identity({ Effect: 'Allow', Action: ['s3:*', 'cloudwatch:*', 'ec2:*'], Resource: '*' });
    const createUser = identity(allowAll('iam:CreateUser'));
    assert.equal(decide({ identityPolicies: [createUser], permissionBoundary: boundary, facts: facts(shirley, 'iam:CreateUser', '*') }), 'Deny:boundary');
    assert.equal(decide({ identityPolicies: [identity(allowAll('s3:*'))], permissionBoundary: boundary, facts: facts(shirley, 's3:GetObject', '*') }), 'Allow');
  });

  it('a boundary never grants by itself', () => {
    assert.equal(decide({ permissionBoundary: identity(allowAll('*')), facts: facts(dev, 'ecr:PutImage') }), 'Deny:noIdentityAllow');
  });

  it('a session policy limits a role session to the intersection', () => {
    const pullOnly = identity(allowAll('ecr:BatchGetImage'));
    const input = { identityPolicies: [managed('AmazonEC2ContainerRegistryPowerUser')], sessionPolicies: [pullOnly] };
    assert.equal(decide({ ...input, facts: facts(session, 'ecr:BatchGetImage') }), 'Allow');
    assert.equal(decide({ ...input, facts: facts(session, 'ecr:PutImage') }), 'Deny:session');
    assert.equal(decide({ sessionPolicies: [pullOnly], facts: facts(session, 'ecr:BatchGetImage') }), 'Deny:noIdentityAllow');
  });

  it('an explicit deny in a boundary or session policy is reported as such', () => {
    const denyPut = identity({ Effect: 'Deny', Action: 'ecr:PutImage', Resource: '*' }, allowAll('*'));
    const result = authorizeRequest({
      identityPolicies: [managed('AdministratorAccess')],
      permissionBoundary: withPolicyArn(denyPut, `arn:aws:iam::${A}:policy/Boundary`),
      facts: facts(dev, 'ecr:PutImage'),
    });
    assert.equal(result.reason, 'explicitDeny');
    assert.equal(result.deniedBy, 'permissions boundary');
    assert.equal(result.deniedByPolicyArn, `arn:aws:iam::${A}:policy/Boundary`);
    const viaSession = authorizeRequest({ identityPolicies: [managed('AdministratorAccess')], sessionPolicies: [denyPut], facts: facts(session, 'ecr:PutImage') });
    assert.equal(viaSession.deniedBy, 'session policy');
  });
});

describe('cross account', () => {
  const request = facts(partner, 'ecr:BatchGetImage');
  const grantB = repoPolicy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] });
  const grantPartner = repoPolicy({ Effect: 'Allow', Principal: { AWS: partner.arn }, Action: 'ecr:BatchGetImage' });
  const readOnly = managed('AmazonEC2ContainerRegistryReadOnly');

  it('needs both the identity policy and the resource policy', () => {
    assert.equal(decide({ identityPolicies: [readOnly], facts: request }), 'Deny:noResourceAllow');
    assert.equal(decide({ resourcePolicy: grantB, facts: request }), 'Deny:noIdentityAllow');
    assert.equal(decide({ resourcePolicy: grantPartner, facts: request }), 'Deny:noIdentityAllow');
    assert.equal(decide({ identityPolicies: [readOnly], resourcePolicy: grantB, facts: request }), 'Allow');
    assert.equal(decide({ identityPolicies: [readOnly], resourcePolicy: grantPartner, facts: request }), 'Allow');
    assert.equal(authorizeRequest({ identityPolicies: [readOnly], resourcePolicy: grantB, facts: request }).crossAccount, true);
  });

  it('a repository policy for account B does not let account C in', () => {
    const other: PrincipalFacts = { ...partner, arn: 'arn:aws:iam::777788889999:user/x', accountId: '777788889999' };
    assert.equal(decide({ identityPolicies: [readOnly], resourcePolicy: grantB, facts: facts(other, 'ecr:BatchGetImage') }), 'Deny:noResourceAllow');
  });

  it('root of another account needs the resource policy; root is allowed everything at home', () => {
    assert.equal(decide({ facts: facts(partnerRoot, 'ecr:BatchGetImage') }), 'Deny:noResourceAllow');
    assert.equal(decide({ resourcePolicy: grantB, facts: facts(partnerRoot, 'ecr:BatchGetImage') }), 'Allow');
    assert.equal(decide({ facts: facts(root, 'ecr:DeleteRepository') }), 'Allow');
    assert.equal(decide({ facts: facts(root, 'ecr:GetAuthorizationToken', '*') }), 'Allow');
  });

  it('an explicit deny in a repository policy applies even to root', () => {
    const denyAll = repoPolicy({ Effect: 'Deny', Principal: '*', Action: 'ecr:*' });
    const result = authorizeRequest({ identityPolicies: [], resourcePolicy: denyAll, facts: facts(root, 'ecr:DeleteRepository') });
    assert.equal(result.reason, 'explicitDeny');
    assert.equal(result.deniedBy, 'resource-based policy');
  });

  it('the resource account defaults to the ARN and can be given', () => {
    const put = facts(partner, 'ecr:PutImage', '*');
    assert.equal(decide({ identityPolicies: [managed('AmazonEC2ContainerRegistryPowerUser')], facts: put }), 'Allow');
    assert.equal(
      decide({ identityPolicies: [managed('AmazonEC2ContainerRegistryPowerUser')], facts: { ...put, resourceAccount: A } }),
      'Deny:noResourceAllow',
    );
  });
});

describe('principals in resource policies', () => {
  it('a service principal is allowed only by a policy naming it (Lambda pulling an image)', () => {
    const rp = repoPolicy({
      Sid: 'LambdaECRImageRetrievalPolicy',
      Effect: 'Allow',
      Principal: { Service: 'lambda.amazonaws.com' },
      Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      Condition: { StringLike: { 'aws:sourceArn': `arn:aws:lambda:us-east-1:${A}:function:*` } },
    });
    const ok = { 'aws:SourceArn': `arn:aws:lambda:us-east-1:${A}:function:hello` };
    assert.equal(decide({ resourcePolicy: rp, facts: facts(lambda, 'ecr:BatchGetImage', REPO, ok) }), 'Allow');
    assert.equal(decide({ resourcePolicy: rp, facts: facts(lambda, 'ecr:PutImage', REPO, ok) }), 'Deny:noResourceAllow');
    assert.equal(
      decide({ resourcePolicy: rp, facts: facts(lambda, 'ecr:BatchGetImage', REPO, { 'aws:SourceArn': `arn:aws:lambda:us-east-1:${B}:function:x` }) }),
      'Deny:noResourceAllow',
    );
    assert.equal(decide({ identityPolicies: [managed('AdministratorAccess')], facts: facts(lambda, 'ecr:BatchGetImage') }), 'Deny:noResourceAllow');
    const ecs: PrincipalFacts = { ...lambda, arn: 'ecs-tasks.amazonaws.com', serviceName: 'ecs-tasks.amazonaws.com' };
    assert.equal(decide({ resourcePolicy: rp, facts: facts(ecs, 'ecr:BatchGetImage', REPO, ok) }), 'Deny:noResourceAllow');
  });

  it('"*" names everyone, {"AWS":"*"} every AWS principal but not services', () => {
    const everyone = repoPolicy({ Effect: 'Allow', Principal: '*', Action: 'ecr:BatchGetImage' });
    const anyAws = repoPolicy({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'ecr:BatchGetImage' });
    assert.equal(evaluateStatements(everyone, facts(lambda, 'ecr:BatchGetImage')), 'Allow');
    assert.equal(evaluateStatements(anyAws, facts(lambda, 'ecr:BatchGetImage')), 'Neutral');
    assert.equal(evaluateStatements(anyAws, facts(partner, 'ecr:BatchGetImage')), 'Allow');
    assert.equal(decide({ resourcePolicy: anyAws, facts: facts(dev, 'ecr:BatchGetImage') }), 'Allow');
  });

  it('NotPrincipal with Deny excludes a role session only when account, role and session are all listed', () => {
    const only = (...arns: string[]): Policy =>
      repoPolicy(
        { Effect: 'Allow', Principal: '*', Action: 'ecr:*' },
        { Effect: 'Deny', NotPrincipal: { AWS: arns }, Action: 'ecr:*' },
      );
    const request = facts(session, 'ecr:PutImage');
    assert.equal(evaluateStatements(only(session.roleArn ?? ''), request), 'Deny');
    assert.equal(evaluateStatements(only(session.roleArn ?? '', session.arn), request), 'Deny');
    assert.equal(evaluateStatements(only(session.roleArn ?? '', session.arn, `arn:aws:iam::${A}:root`), request), 'Allow');
    assert.equal(evaluateStatements(only(dev.arn, A), facts(dev, 'ecr:PutImage')), 'Allow');
    assert.equal(evaluateStatements(only(dev.arn), facts(dev, 'ecr:PutImage')), 'Deny');
  });

  it('NotPrincipal with Deny always denies a principal that has a permissions boundary', () => {
    const rp = repoPolicy(
      { Effect: 'Allow', Principal: { AWS: dev.arn }, Action: 'ecr:*' },
      { Effect: 'Deny', NotPrincipal: { AWS: [dev.arn, A] }, Action: 'ecr:*' },
    );
    assert.equal(decide({ resourcePolicy: rp, facts: facts(dev, 'ecr:PutImage') }), 'Allow');
    assert.equal(decide({ resourcePolicy: rp, permissionBoundary: identity(allowAll('*')), facts: facts(dev, 'ecr:PutImage') }), 'Deny:explicitDeny');
  });
});

describe('policy variables', () => {
  const home = identity(allowAll('ecr:*', `arn:aws:ecr:*:${A}:repository/\${aws:username}/*`));

  it('${aws:username} in a resource', () => {
    assert.equal(evaluateStatements(home, facts(dev, 'ecr:PutImage', `arn:aws:ecr:us-east-1:${A}:repository/dev/api`)), 'Allow');
    assert.equal(evaluateStatements(home, facts(dev, 'ecr:PutImage', `arn:aws:ecr:us-east-1:${A}:repository/ops/api`)), 'Neutral');
  });

  it('an unresolvable variable matches nothing (aws:username is absent for role sessions)', () => {
    assert.equal(evaluateStatements(home, facts(session, 'ecr:PutImage', `arn:aws:ecr:us-east-1:${A}:repository/ci/api`)), 'Neutral');
  });

  it('are literal text in Version 2008-10-17 documents', () => {
    const old = parsePolicy(
      JSON.stringify({ Version: '2008-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'ecr:*', Resource: `arn:aws:ecr:*:${A}:repository/\${aws:username}` }] }),
      'resource',
    );
    assert.equal(evaluateStatements(old, facts(dev, 'ecr:PutImage', `arn:aws:ecr:us-east-1:${A}:repository/dev`)), 'Neutral');
    assert.equal(evaluateStatements(old, facts(dev, 'ecr:PutImage', `arn:aws:ecr:us-east-1:${A}:repository/\${aws:username}`)), 'Allow');
  });

  it('${aws:userid}, ${aws:PrincipalAccount}, ${aws:PrincipalTag/x}, defaults and ${*} ${?} ${$}', () => {
    const p = identity(
      allowAll('s3:GetObject', 'arn:aws:s3:::home/${aws:userid}/*'),
      allowAll('s3:PutObject', 'arn:aws:s3:::team-${aws:PrincipalTag/team}/${aws:PrincipalAccount}'),
      allowAll('s3:DeleteObject', "arn:aws:s3:::${aws:PrincipalTag/cost, 'shared'}/x"),
      allowAll('s3:ListBucket', 'arn:aws:s3:::lit/${*}${?}${$}'),
    );
    assert.equal(evaluateStatements(p, facts(dev, 's3:GetObject', `arn:aws:s3:::home/${dev.userId}/a`)), 'Allow');
    assert.equal(evaluateStatements(p, facts(dev, 's3:PutObject', `arn:aws:s3:::team-payments/${A}`)), 'Allow');
    assert.equal(evaluateStatements(p, facts(dev, 's3:PutObject', `arn:aws:s3:::team-ops/${A}`)), 'Neutral');
    assert.equal(evaluateStatements(p, facts(dev, 's3:DeleteObject', 'arn:aws:s3:::shared/x')), 'Allow');
    assert.equal(evaluateStatements(p, facts(dev, 's3:ListBucket', 'arn:aws:s3:::lit/*?$')), 'Allow');
    assert.equal(evaluateStatements(p, facts(dev, 's3:ListBucket', 'arn:aws:s3:::lit/ab$')), 'Neutral');
  });

  it('in condition values', () => {
    const p = identity({ ...allowAll('ecr:TagResource', '*'), Condition: { StringEquals: { 'aws:RequestTag/owner': '${aws:username}' } } });
    assert.equal(evaluateStatements(p, facts(dev, 'ecr:TagResource', '*', { 'aws:RequestTag/owner': 'dev' })), 'Allow');
    assert.equal(evaluateStatements(p, facts(dev, 'ecr:TagResource', '*', { 'aws:RequestTag/owner': 'eve' })), 'Neutral');
  });
});

describe('condition operators', () => {
  const when = (condition: Record<string, unknown>, context: Readonly<Record<string, ContextValue | undefined>>, principal = dev): string =>
    evaluateStatements(identity({ ...allowAll('ecr:PutImage'), Condition: condition }), facts(principal, 'ecr:PutImage', REPO, context));

  it('String: Equals is case-sensitive, IgnoreCase is not, Like has wildcards', () => {
    assert.equal(when({ StringEquals: { 'aws:RequestTag/env': 'prod' } }, { 'aws:RequestTag/env': 'prod' }), 'Allow');
    assert.equal(when({ StringEquals: { 'aws:RequestTag/env': 'prod' } }, { 'aws:RequestTag/env': 'PROD' }), 'Neutral');
    assert.equal(when({ StringEqualsIgnoreCase: { 'aws:RequestTag/env': 'prod' } }, { 'aws:RequestTag/env': 'PROD' }), 'Allow');
    assert.equal(when({ StringNotEqualsIgnoreCase: { 'aws:RequestTag/env': 'prod' } }, { 'aws:RequestTag/env': 'PROD' }), 'Neutral');
    assert.equal(when({ StringLike: { 'aws:RequestTag/env': 'pr?d-*' } }, { 'aws:RequestTag/env': 'prod-eu' }), 'Allow');
    assert.equal(when({ StringNotLike: { 'aws:RequestTag/env': 'pr?d-*' } }, { 'aws:RequestTag/env': 'prod-eu' }), 'Neutral');
    assert.equal(when({ StringEquals: { 'aws:RequestTag/env': 'a*' } }, { 'aws:RequestTag/env': 'ab' }), 'Neutral');
  });

  it('keys are case-insensitive', () => {
    assert.equal(when({ StringEquals: { 'AWS:REQUESTTAG/ENV': 'prod' } }, { 'aws:requesttag/env': 'prod' }), 'Allow');
  });

  it('several values OR, several keys AND, several operators AND', () => {
    assert.equal(when({ StringEquals: { 'aws:RequestTag/env': ['dev', 'prod'] } }, { 'aws:RequestTag/env': 'prod' }), 'Allow');
    assert.equal(
      when({ StringEquals: { 'aws:RequestTag/env': 'prod', 'aws:RequestTag/team': 'a' } }, { 'aws:RequestTag/env': 'prod', 'aws:RequestTag/team': 'b' }),
      'Neutral',
    );
    assert.equal(
      when({ StringEquals: { 'aws:RequestTag/env': 'prod' }, Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:RequestTag/env': 'prod', 'aws:SecureTransport': false }),
      'Neutral',
    );
  });

  it('negated operators NOR their values', () => {
    assert.equal(when({ StringNotEquals: { 'aws:RequestTag/env': ['dev', 'test'] } }, { 'aws:RequestTag/env': 'prod' }), 'Allow');
    assert.equal(when({ StringNotEquals: { 'aws:RequestTag/env': ['dev', 'test'] } }, { 'aws:RequestTag/env': 'test' }), 'Neutral');
  });

  it('a missing key makes positive operators false and negated operators true', () => {
    assert.equal(when({ StringEquals: { 'aws:RequestTag/env': 'prod' } }, {}), 'Neutral');
    assert.equal(when({ StringNotEquals: { 'aws:RequestTag/env': 'prod' } }, {}), 'Allow');
    assert.equal(when({ StringNotLike: { 'aws:SourceVpc': 'vpc-*' } }, {}), 'Allow');
    assert.equal(when({ ArnNotLike: { 'aws:SourceArn': 'arn:aws:*' } }, {}), 'Allow');
    assert.equal(when({ NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, {}), 'Allow');
    assert.equal(when({ NumericLessThan: { 's3:max-keys': '10' } }, {}), 'Neutral');
  });

  it('…IfExists is true when the key is missing and tests it when present', () => {
    assert.equal(when({ StringEqualsIfExists: { 'ec2:InstanceType': 't3.micro' } }, {}), 'Allow');
    assert.equal(when({ StringEqualsIfExists: { 'ec2:InstanceType': 't3.micro' } }, { 'ec2:InstanceType': 'm5.large' }), 'Neutral');
    assert.equal(when({ BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } }, {}), 'Allow');
  });

  it('Null tests presence', () => {
    assert.equal(when({ Null: { 'aws:TokenIssueTime': 'true' } }, {}), 'Allow');
    assert.equal(when({ Null: { 'aws:TokenIssueTime': 'true' } }, { 'aws:TokenIssueTime': '2024-01-01T00:00:00Z' }), 'Neutral');
    assert.equal(when({ Null: { 'aws:TokenIssueTime': 'false' } }, { 'aws:TokenIssueTime': '2024-01-01T00:00:00Z' }), 'Allow');
    assert.equal(when({ Null: { 'aws:RequestTag/env': 'false' } }, {}), 'Neutral');
  });

  it('Numeric operators', () => {
    const ctx = { 's3:max-keys': '10' };
    assert.equal(when({ NumericEquals: { 's3:max-keys': '10' } }, ctx), 'Allow');
    assert.equal(when({ NumericNotEquals: { 's3:max-keys': '10' } }, ctx), 'Neutral');
    assert.equal(when({ NumericLessThan: { 's3:max-keys': '10' } }, ctx), 'Neutral');
    assert.equal(when({ NumericLessThanEquals: { 's3:max-keys': 10 } }, ctx), 'Allow');
    assert.equal(when({ NumericGreaterThan: { 's3:max-keys': '9.5' } }, { 's3:max-keys': 10 }), 'Allow');
    assert.equal(when({ NumericGreaterThanEquals: { 's3:max-keys': '11' } }, ctx), 'Neutral');
    assert.equal(when({ NumericEquals: { 's3:max-keys': '10' } }, { 's3:max-keys': 'ten' }), 'Neutral');
  });

  it('Date operators with aws:CurrentTime (ISO 8601 and epoch)', () => {
    const now = new Date('2024-06-15T12:00:00Z');
    assert.equal(when({ DateLessThan: { 'aws:CurrentTime': '2024-12-31T23:59:59Z' } }, { 'aws:CurrentTime': now }), 'Allow');
    assert.equal(when({ DateLessThan: { 'aws:CurrentTime': '2024-01-01T00:00:00Z' } }, { 'aws:CurrentTime': now }), 'Neutral');
    assert.equal(
      when({ DateGreaterThan: { 'aws:CurrentTime': '2024-06-01' }, DateLessThanEquals: { 'aws:CurrentTime': '2024-06-15T12:00:00Z' } }, { 'aws:CurrentTime': now }),
      'Allow',
    );
    assert.equal(when({ DateEquals: { 'aws:EpochTime': '1718452800' } }, { 'aws:EpochTime': 1718452800 }), 'Allow');
    assert.equal(when({ DateNotEquals: { 'aws:CurrentTime': '2024-06-15T12:00:00Z' } }, { 'aws:CurrentTime': now }), 'Neutral');
    assert.equal(when({ DateGreaterThanEquals: { 'aws:TokenIssueTime': '2024-06-15T11:00:00+00:00' } }, { 'aws:TokenIssueTime': '2024-06-15T12:00:00Z' }), 'Allow');
  });

  it('Bool and BinaryEquals', () => {
    assert.equal(when({ Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': true }), 'Allow');
    assert.equal(when({ Bool: { 'aws:SecureTransport': true } }, { 'aws:SecureTransport': 'TRUE' }), 'Allow');
    assert.equal(when({ Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': false }), 'Neutral');
    assert.equal(when({ BinaryEquals: { 'key': 'QmluYXJ5VmFsdWU=' } }, { key: 'QmluYXJ5VmFsdWU=' }), 'Allow');
    assert.equal(when({ BinaryEquals: { 'key': 'QmluYXJ5VmFsdWU=' } }, { key: 'other' }), 'Neutral');
  });

  it('IpAddress / NotIpAddress with IPv4 and IPv6 CIDRs', () => {
    const ip = (sourceIp: string, condition: Record<string, unknown>): string => when(condition, { 'aws:SourceIp': sourceIp });
    const v4 = { IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '198.51.100.7'] } };
    assert.equal(ip('203.0.113.200', v4), 'Allow');
    assert.equal(ip('198.51.100.7', v4), 'Allow');
    assert.equal(ip('203.0.114.1', v4), 'Neutral');
    assert.equal(ip('10.1.2.3', { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } }), 'Allow');
    assert.equal(ip('10.1.2.3', { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }), 'Neutral');
    const v6 = { IpAddress: { 'aws:SourceIp': '2001:DB8:1234:5678::/64' } };
    assert.equal(ip('2001:db8:1234:5678:abcd::1', v6), 'Allow');
    assert.equal(ip('2001:db8:1234:5679::1', v6), 'Neutral');
    assert.equal(ip('203.0.113.1', v6), 'Neutral');
    assert.equal(ip('2001:db8:1234:5678::1', { IpAddress: { 'aws:SourceIp': '2001:db8:1234:5600::/56' } }), 'Allow');
  });

  it('Arn operators compare the six parts, with wildcards per part', () => {
    const source = { 'aws:SourceArn': `arn:aws:lambda:us-east-1:${A}:function:hello` };
    assert.equal(when({ ArnLike: { 'aws:SourceArn': `arn:aws:lambda:*:${A}:function:*` } }, source), 'Allow');
    assert.equal(when({ ArnEquals: { 'aws:SourceArn': `arn:aws:lambda:us-east-1:${A}:function:hello` } }, source), 'Allow');
    assert.equal(when({ ArnLike: { 'aws:SourceArn': `arn:aws:lambda:*:${B}:function:*` } }, source), 'Neutral');
    assert.equal(when({ ArnNotLike: { 'aws:SourceArn': `arn:aws:lambda:*:${B}:*` } }, source), 'Allow');
    assert.equal(when({ ArnNotEquals: { 'aws:PrincipalArn': dev.arn } }, {}), 'Neutral');
    assert.equal(when({ ArnLike: { 'aws:SourceArn': 'arn:aws:lambda:*' } }, source), 'Neutral');
  });

  it('principal keys come from the principal when the context lacks them', () => {
    assert.equal(when({ StringEquals: { 'aws:PrincipalAccount': A } }, {}), 'Allow');
    assert.equal(when({ StringEquals: { 'aws:PrincipalTag/team': 'payments' } }, {}), 'Allow');
    assert.equal(when({ StringEquals: { 'aws:PrincipalType': 'User' } }, {}), 'Allow');
    assert.equal(when({ ArnEquals: { 'aws:PrincipalArn': session.roleArn } }, {}, session), 'Allow');
    assert.equal(when({ StringEquals: { 'aws:username': 'dev' } }, {}), 'Allow');
  });

  describe('ForAnyValue / ForAllValues (multi-valued keys)', () => {
    it('ForAllValues: every request value must match; missing key or empty set is true', () => {
      const c = { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env', 'team'] } };
      assert.equal(when(c, { 'aws:TagKeys': ['env'] }), 'Allow');
      assert.equal(when(c, { 'aws:TagKeys': ['env', 'team'] }), 'Allow');
      assert.equal(when(c, { 'aws:TagKeys': ['env', 'cost'] }), 'Neutral');
      assert.equal(when(c, { 'aws:TagKeys': [] }), 'Allow');
      assert.equal(when(c, {}), 'Allow');
    });

    it('ForAnyValue: one request value must match; missing key or empty set is false', () => {
      const c = { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env', 'team'] } };
      assert.equal(when(c, { 'aws:TagKeys': ['cost', 'team'] }), 'Allow');
      assert.equal(when(c, { 'aws:TagKeys': ['cost'] }), 'Neutral');
      assert.equal(when(c, { 'aws:TagKeys': [] }), 'Neutral');
      assert.equal(when(c, {}), 'Neutral');
    });

    it('with negated operators', () => {
      assert.equal(when({ 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['secret'] } }, { 'aws:TagKeys': ['env', 'team'] }), 'Allow');
      assert.equal(when({ 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['secret'] } }, { 'aws:TagKeys': ['env', 'secret'] }), 'Neutral');
      assert.equal(when({ 'ForAnyValue:StringNotLike': { 'aws:TagKeys': ['a*'] } }, { 'aws:TagKeys': ['ab', 'cd'] }), 'Allow');
      assert.equal(when({ 'ForAnyValue:StringNotLike': { 'aws:TagKeys': ['a*'] } }, { 'aws:TagKeys': ['ab'] }), 'Neutral');
    });

    it('the documented Deny pattern with ForAnyValue', () => {
      const p = identity(allowAll('dynamodb:PutItem'), {
        Effect: 'Deny',
        Action: 'dynamodb:PutItem',
        Resource: '*',
        Condition: { 'ForAnyValue:StringLike': { 'dynamodb:Attributes': ['ID', 'PostDateTime'] } },
      });
      const put = (attributes: string[]): string => evaluateStatements(p, facts(dev, 'dynamodb:PutItem', '*', { 'dynamodb:Attributes': attributes }));
      assert.equal(put(['UserName', 'Message', 'PostDateTime']), 'Deny');
      assert.equal(put(['UserName']), 'Allow');
    });

    it('IfExists with a set operator', () => {
      assert.equal(when({ 'ForAnyValue:StringEqualsIfExists': { 'aws:TagKeys': ['env'] } }, {}), 'Allow');
    });
  });
});

describe('AWS managed policies for ECR', () => {
  const can = (name: string, action: string, resource = REPO): boolean =>
    authorizeRequest({ identityPolicies: [managed(name)], facts: facts(dev, action, resource) }).decision === 'Allow';

  it('ecr:PutImage: PowerUser and FullAccess yes, ReadOnly and PullOnly no', () => {
    assert.equal(can('AmazonEC2ContainerRegistryPowerUser', 'ecr:PutImage'), true);
    assert.equal(can('AmazonEC2ContainerRegistryFullAccess', 'ecr:PutImage'), true);
    assert.equal(can('AmazonEC2ContainerRegistryReadOnly', 'ecr:PutImage'), false);
    assert.equal(can('AmazonEC2ContainerRegistryPullOnly', 'ecr:PutImage'), false);
  });

  it('ecr:BatchGetImage and ecr:GetAuthorizationToken: PullOnly, ReadOnly and the ECS execution policy yes', () => {
    for (const name of ['AmazonEC2ContainerRegistryPullOnly', 'AmazonEC2ContainerRegistryReadOnly', 'AmazonECSTaskExecutionRolePolicy']) {
      assert.equal(can(name, 'ecr:BatchGetImage'), true, name);
      assert.equal(can(name, 'ecr:GetAuthorizationToken', '*'), true, name);
    }
    assert.equal(can('AWSLambdaBasicExecutionRole', 'ecr:BatchGetImage'), false);
  });

  it('repository deletion and policy changes: FullAccess only', () => {
    assert.equal(can('AmazonEC2ContainerRegistryFullAccess', 'ecr:DeleteRepository'), true);
    assert.equal(can('AmazonEC2ContainerRegistryPowerUser', 'ecr:DeleteRepository'), false);
    assert.equal(can('AmazonEC2ContainerRegistryPowerUser', 'ecr:SetRepositoryPolicy'), false);
    assert.equal(can('AmazonEC2ContainerRegistryReadOnly', 'ecr:GetRepositoryPolicy'), true);
  });

  it('FullAccess: iam:CreateServiceLinkedRole only for ECR replication', () => {
    const slr = (service: string): string =>
      evaluateStatements(
        managed('AmazonEC2ContainerRegistryFullAccess'),
        facts(dev, 'iam:CreateServiceLinkedRole', '*', { 'iam:AWSServiceName': service }),
      );
    assert.equal(slr('replication.ecr.amazonaws.com'), 'Allow');
    assert.equal(slr('ecs.amazonaws.com'), 'Neutral');
  });

  it('IAM managed policies', () => {
    assert.equal(can('IAMReadOnlyAccess', 'iam:GetUser', '*'), true);
    assert.equal(can('IAMReadOnlyAccess', 'iam:CreateUser', '*'), false);
    assert.equal(can('IAMFullAccess', 'iam:CreateUser', '*'), true);
    assert.equal(can('AdministratorAccess', 'anything:AtAll', '*'), true);
  });
});

describe('service control policies', () => {
  it('an explicit deny in an SCP wins, and every level must allow', () => {
    const fullAws = identity(allowAll('*'));
    const denyEcrDelete = identity({ Effect: 'Deny', Action: 'ecr:DeleteRepository', Resource: '*' }, allowAll('*'));
    const onlyS3 = identity(allowAll('s3:*'));
    const admin = [managed('AdministratorAccess')];
    assert.equal(decide({ identityPolicies: admin, scps: [fullAws], facts: facts(dev, 'ecr:PutImage') }), 'Allow');
    assert.equal(decide({ identityPolicies: admin, scps: [denyEcrDelete], facts: facts(dev, 'ecr:DeleteRepository') }), 'Deny:explicitDeny');
    assert.equal(decide({ identityPolicies: admin, scps: [fullAws, onlyS3], facts: facts(dev, 'ecr:PutImage') }), 'Deny:scp');
    assert.equal(decide({ scps: [onlyS3], facts: facts(root, 'ecr:PutImage') }), 'Deny:scp');
  });
});

describe('denial messages (AWS wording)', () => {
  const request = { principalArn: dev.arn, action: 'ecr:CreateRepository', resource: `arn:aws:ecr:us-east-1:${A}:repository/x` };

  it('implicit denies name the policy type that does not allow', () => {
    assert.equal(
      implicitDenyMessage(request, 'identity-based policy'),
      `User: arn:aws:iam::${A}:user/dev is not authorized to perform: ecr:CreateRepository on resource: arn:aws:ecr:us-east-1:${A}:repository/x because no identity-based policy allows the ecr:CreateRepository action`,
    );
    for (const [type, text] of [
      ['resource-based policy', 'because no resource-based policy allows the ecr:CreateRepository action'],
      ['permissions boundary', 'because no permissions boundary allows the ecr:CreateRepository action'],
      ['session policy', 'because no session policy allows the ecr:CreateRepository action'],
      ['service control policy', 'because no service control policy allows the ecr:CreateRepository action'],
    ] as const) {
      assert.ok(implicitDenyMessage(request, type).endsWith(`repository/x ${text}`), type);
    }
  });

  it('explicit denies name the policy type, and its ARN when it has one', () => {
    assert.equal(
      explicitDenyMessage(request, 'identity-based policy'),
      `User: arn:aws:iam::${A}:user/dev is not authorized to perform: ecr:CreateRepository on resource: arn:aws:ecr:us-east-1:${A}:repository/x with an explicit deny in an identity-based policy`,
    );
    assert.ok(explicitDenyMessage(request, 'resource-based policy').endsWith('with an explicit deny in a resource-based policy'));
    assert.ok(
      explicitDenyMessage(request, 'service control policy', 'arn:aws:organizations::1:policy/o-1/service_control_policy/p-1').endsWith(
        'with an explicit deny in a service control policy: arn:aws:organizations::1:policy/o-1/service_control_policy/p-1',
      ),
    );
  });

  it('builds the message from a decision', () => {
    const denied = authorizeRequest({ identityPolicies: [], facts: facts(session, 'ecr:GetDownloadUrlForLayer') });
    assert.equal(
      accessDeniedMessage({ principalArn: session.arn, action: 'ecr:GetDownloadUrlForLayer', resource: REPO }, denied),
      `User: ${session.arn} is not authorized to perform: ecr:GetDownloadUrlForLayer on resource: ${REPO} because no identity-based policy allows the ecr:GetDownloadUrlForLayer action`,
    );
    const getToken = authorizeRequest({ identityPolicies: [], facts: facts(dev, 'ecr:GetAuthorizationToken', '*') });
    assert.equal(
      accessDeniedMessage({ principalArn: dev.arn, action: 'ecr:GetAuthorizationToken', resource: '*' }, getToken),
      `User: ${dev.arn} is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action`,
    );
    const inline = identity({ Effect: 'Deny', Action: 'ecr:*', Resource: '*' });
    const byManaged = authorizeRequest({ identityPolicies: [withPolicyArn(inline, `arn:aws:iam::${A}:policy/NoEcr`)], facts: facts(dev, 'ecr:PutImage') });
    assert.ok(accessDeniedMessage({ principalArn: dev.arn, action: 'ecr:PutImage', resource: REPO }, byManaged)?.endsWith(`in an identity-based policy: arn:aws:iam::${A}:policy/NoEcr`));
    assert.equal(accessDeniedMessage({ principalArn: root.arn, action: 'ecr:PutImage', resource: REPO }, authorizeRequest({ identityPolicies: [], facts: facts(root, 'ecr:PutImage') })), undefined);
  });
});

describe('cost per evaluation', () => {
  it('evaluates a PowerUser identity policy plus a conditioned repository policy quickly', (t) => {
    // given: a user in account B pulling from account A (both sides evaluated), with conditions
    const powerUser = managed('AmazonEC2ContainerRegistryPowerUser');
    const rp = repoPolicy(
      { Sid: 'DenyInsecure', Effect: 'Deny', Principal: '*', Action: 'ecr:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      {
        Sid: 'CrossAccountPull',
        Effect: 'Allow',
        Principal: { AWS: [`arn:aws:iam::${B}:root`, `arn:aws:iam::${B}:role/ci`] },
        Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        Condition: { StringEquals: { 'aws:PrincipalAccount': B }, IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '192.168.0.0/16'] } },
      },
      { Sid: 'LambdaPull', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] },
    );
    const request = facts(partner, 'ecr:BatchGetImage', REPO, {
      'aws:SecureTransport': true,
      'aws:SourceIp': '10.20.30.40',
      'aws:CurrentTime': new Date('2024-06-15T12:00:00Z'),
    });
    const input: AuthorizeInput = { identityPolicies: [powerUser], resourcePolicy: rp, facts: request };
    assert.equal(authorizeRequest(input).decision, 'Allow');
    // when
    const n = 100_000;
    for (let i = 0; i < 10_000; i++) authorizeRequest(input);
    const start = performance.now();
    let allowed = 0;
    for (let i = 0; i < n; i++) if (authorizeRequest(input).decision === 'Allow') allowed++;
    const nsPerOp = ((performance.now() - start) * 1e6) / n;
    // then
    assert.equal(allowed, n);
    t.diagnostic(`authorizeRequest (PowerUser + 3-statement repository policy, cross-account): ${nsPerOp.toFixed(0)} ns/op`);
    assert.ok(nsPerOp < 20_000, `${nsPerOp} ns/op`);
  });
});

// ---------------------------------------------------------------------------------------------
// KMS key policies: the resource policy is the primary control (resourcePolicyRequired)
// ---------------------------------------------------------------------------------------------

describe('key-policy mode (KMS)', () => {
  const KEY = `arn:aws:kms:us-east-1:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const keyPolicy = (...statements: unknown[]): Policy => policy('resource', ...statements);
  const enableIam = keyPolicy({ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: 'kms:*', Resource: '*' });
  const onlyDev = keyPolicy({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:user/dev` }, Action: 'kms:Encrypt', Resource: '*' });
  const kms = (input: Partial<AuthorizeInput> & { facts: RequestFacts }) => decide({ resourcePolicyRequired: true, ...input });

  it('a key policy granting the account delegates to IAM policies: an identity allow is needed', () => {
    // given the default key policy
    // when / then
    assert.equal(kms({ resourcePolicy: enableIam, facts: facts(dev, 'kms:Encrypt', KEY) }), 'Deny:noIdentityAllow');
    assert.equal(kms({ resourcePolicy: enableIam, identityPolicies: [identity(allowAll('kms:Encrypt'))], facts: facts(dev, 'kms:Encrypt', KEY) }), 'Allow');
  });

  it('a key policy that does not grant the account leaves IAM policies powerless', () => {
    // given a key policy naming only another principal, and an identity policy allowing kms:*
    const admin = identity(allowAll('kms:*'));
    // when
    const result = authorizeRequest({ resourcePolicyRequired: true, resourcePolicy: onlyDev, identityPolicies: [admin], facts: facts(session, 'kms:Encrypt', KEY) });
    // then
    assert.equal(result.decision, 'Deny');
    assert.equal(result.deniedBy, 'resource-based policy');
  });

  it('a key policy naming the user grants without any identity policy', () => {
    assert.equal(kms({ resourcePolicy: onlyDev, facts: facts(dev, 'kms:Encrypt', KEY) }), 'Allow');
    assert.equal(kms({ resourcePolicy: onlyDev, facts: facts(dev, 'kms:Decrypt', KEY) }), 'Deny:noResourceAllow');
  });

  it('root of the key account is not allowed unless the key policy allows the account', () => {
    assert.equal(kms({ resourcePolicy: onlyDev, facts: facts(root, 'kms:PutKeyPolicy', KEY) }), 'Deny:noResourceAllow');
    assert.equal(kms({ resourcePolicy: enableIam, facts: facts(root, 'kms:PutKeyPolicy', KEY) }), 'Allow');
    // and without the mode, root may do everything in its account (the ECR rule is unchanged)
    assert.equal(decide({ resourcePolicy: onlyDev, facts: facts(root, 'kms:PutKeyPolicy', KEY) }), 'Allow');
  });

  it('no key policy at all denies everyone', () => {
    assert.equal(kms({ facts: facts(root, 'kms:DescribeKey', KEY) }), 'Deny:noResourceAllow');
    assert.equal(kms({ identityPolicies: [identity(allowAll('kms:*'))], facts: facts(dev, 'kms:DescribeKey', KEY) }), 'Deny:noResourceAllow');
  });

  it('cross account needs the key policy and the caller’s IAM policies', () => {
    // given a key policy granting account B
    const grantB = keyPolicy(
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: 'kms:*', Resource: '*' },
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: '*' },
    );
    // when / then
    assert.equal(kms({ resourcePolicy: grantB, facts: facts(partner, 'kms:Decrypt', KEY) }), 'Deny:noIdentityAllow');
    assert.equal(kms({ resourcePolicy: grantB, identityPolicies: [identity(allowAll('kms:Decrypt'))], facts: facts(partner, 'kms:Decrypt', KEY) }), 'Allow');
    assert.equal(kms({ resourcePolicy: enableIam, identityPolicies: [identity(allowAll('kms:Decrypt'))], facts: facts(partner, 'kms:Decrypt', KEY) }), 'Deny:noResourceAllow');
    assert.equal(kms({ resourcePolicy: grantB, facts: facts(partnerRoot, 'kms:Encrypt', KEY) }), 'Allow');
  });

  it('an explicit deny in the key policy beats the account grant', () => {
    const denyDev = keyPolicy(
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: 'kms:*', Resource: '*' },
      { Effect: 'Deny', Principal: { AWS: `arn:aws:iam::${A}:user/dev` }, Action: 'kms:Decrypt', Resource: '*' },
    );
    assert.equal(kms({ resourcePolicy: denyDev, identityPolicies: [identity(allowAll('kms:*'))], facts: facts(dev, 'kms:Decrypt', KEY) }), 'Deny:explicitDeny');
  });

  it('the AWS managed key policy allows use only through the service (kms:ViaService)', () => {
    // given alias/aws/ecr's policy shape
    const managedKey = keyPolicy(
      {
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:CallerAccount': A, 'kms:ViaService': 'ecr.us-east-1.amazonaws.com' } },
      },
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: ['kms:Describe*', 'kms:Get*', 'kms:List*'], Resource: '*' },
    );
    const via = { 'kms:CallerAccount': A, 'kms:ViaService': 'ecr.us-east-1.amazonaws.com' };
    // when / then
    assert.equal(kms({ resourcePolicy: managedKey, facts: facts(dev, 'kms:GenerateDataKey', KEY, via) }), 'Allow');
    assert.equal(kms({ resourcePolicy: managedKey, facts: facts(dev, 'kms:GenerateDataKey', KEY, { 'kms:CallerAccount': A }) }), 'Deny:noResourceAllow');
    assert.equal(kms({ resourcePolicy: managedKey, facts: facts(root, 'kms:Decrypt', KEY, { 'kms:CallerAccount': A }) }), 'Deny:noResourceAllow');
    assert.equal(kms({ resourcePolicy: managedKey, facts: facts(root, 'kms:DescribeKey', KEY, { 'kms:CallerAccount': A }) }), 'Allow');
    assert.equal(kms({ resourcePolicy: managedKey, facts: facts(partner, 'kms:GenerateDataKey', KEY, { ...via, 'kms:CallerAccount': B }) }), 'Deny:noIdentityAllow');
  });
});
