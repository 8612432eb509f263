import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccessDeniedError, PolicyAuthorizer, type IdentitySource, type ResourceFacts } from './authorize.js';
import type { IdentityDocuments } from './directory.js';
import { rootPrincipal, type Principal, type UserPrincipal } from './principal.js';

const A = '111111111111';
const REPO = `arn:aws:ecr:us-east-1:${A}:repository/app`;
const NOW = new Date('2026-01-01T00:00:00Z');

const doc = (statements: readonly Record<string, unknown>[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

/** An identity source with settable documents that counts its lookups. */
class FakeIdentities implements IdentitySource {
  docs = new Map<string, IdentityDocuments>();
  lookups = 0;
  private listeners: ((accountId: string) => void)[] = [];
  async identityDocuments(p: Principal): Promise<IdentityDocuments | undefined> {
    this.lookups++;
    return p.kind === 'user' ? this.docs.get(p.userName) : undefined;
  }
  async managedDocument(): Promise<string | undefined> {
    return undefined;
  }
  onChange(listener: (accountId: string) => void): void {
    this.listeners.push(listener);
  }
  change(accountId: string): void {
    for (const l of this.listeners) l(accountId);
  }
}

const user = (name: string, account = A): UserPrincipal => ({
  kind: 'user',
  accountId: account,
  userName: name,
  path: '/',
  arn: `arn:aws:iam::${account}:user/${name}`,
  userId: `AIDA${name.toUpperCase()}`,
});

const subject = (principal: Principal) => ({ principal, sourceIp: '127.0.0.1', secureTransport: false, now: NOW });

function authorizer(ids: FakeIdentities, resources: Record<string, ResourceFacts> = {}): PolicyAuthorizer {
  const a = new PolicyAuthorizer(ids);
  a.registerResources('arn:aws:ecr:', async (arn) => resources[arn]);
  return a;
}

describe('PolicyAuthorizer', () => {
  it('caches a principal’s compiled policies until IAM changes its account', async () => {
    const ids = new FakeIdentities();
    ids.docs.set('dev', { policies: [{ text: doc([{ Effect: 'Allow', Action: 'ecr:*', Resource: '*' }]) }], tags: {} });
    const a = authorizer(ids);
    for (let i = 0; i < 5; i++) await a.authorize(subject(user('dev')), [{ action: 'ecr:DescribeRepositories', resource: REPO }]);
    assert.equal(ids.lookups, 1);
    ids.docs.set('dev', { policies: [], tags: {} });
    ids.change('222222222222');
    await a.authorize(subject(user('dev')), [{ action: 'ecr:DescribeRepositories', resource: REPO }]);
    assert.equal(ids.lookups, 1, 'a change in another account keeps the cache');
    ids.change(A);
    await assert.rejects(a.authorize(subject(user('dev')), [{ action: 'ecr:DescribeRepositories', resource: REPO }]), AccessDeniedError);
    assert.equal(ids.lookups, 2);
  });

  it('combines the registry and the repository policy: any explicit deny wins, any allow counts', async () => {
    const ids = new FakeIdentities();
    ids.docs.set('dev', { policies: [], tags: {} });
    const other = user('partner', '222222222222');
    ids.docs.set('partner', { policies: [{ text: doc([{ Effect: 'Allow', Action: 'ecr:*', Resource: '*' }]) }], tags: {} });
    const registry = doc([{ Effect: 'Allow', Principal: { AWS: '222222222222' }, Action: 'ecr:BatchGetImage', Resource: '*' }]);
    const repository = JSON.stringify({ Statement: [{ Effect: 'Deny', Principal: { AWS: other.arn }, Action: 'ecr:PutImage' }] });
    const a = authorizer(ids, { [REPO]: { policies: [registry, repository] } });
    await a.authorize(subject(other), [{ action: 'ecr:BatchGetImage', resource: REPO }]);
    await assert.rejects(a.authorize(subject(other), [{ action: 'ecr:PutImage', resource: REPO }]), {
      message: `User: ${other.arn} is not authorized to perform: ecr:PutImage on resource: ${REPO} with an explicit deny in a resource-based policy`,
    });
    await assert.rejects(a.authorize(subject(other), [{ action: 'ecr:ListImages', resource: REPO }]), {
      message: `User: ${other.arn} is not authorized to perform: ecr:ListImages on resource: ${REPO} because no resource-based policy allows the ecr:ListImages action`,
    });
  });

  it('root: everything in its own account, a resource policy elsewhere', async () => {
    const a = authorizer(new FakeIdentities());
    await a.authorize(subject(rootPrincipal(A)), [{ action: 'ecr:DeleteRepository', resource: REPO }]);
    await assert.rejects(a.authorize(subject(rootPrincipal('333333333333')), [{ action: 'ecr:DeleteRepository', resource: REPO }]), {
      message: `User: arn:aws:iam::333333333333:root is not authorized to perform: ecr:DeleteRepository on resource: ${REPO} because no resource-based policy allows the ecr:DeleteRepository action`,
    });
  });

  it('service principals are allowed only by a resource policy naming the service (with its conditions)', async () => {
    const policy = doc([
      {
        Effect: 'Allow',
        Principal: { Service: 'lambda.amazonaws.com' },
        Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceAccount': A } },
      },
    ]);
    const a = authorizer(new FakeIdentities(), { [REPO]: { policies: [policy] } });
    const pull = [
      { action: 'ecr:BatchGetImage', resource: REPO },
      { action: 'ecr:GetDownloadUrlForLayer', resource: REPO },
    ];
    assert.deepEqual(await a.authorizeService({ name: 'lambda.amazonaws.com', sourceAccount: A }, pull, NOW), { allowed: true });
    const wrongAccount = await a.authorizeService({ name: 'lambda.amazonaws.com', sourceAccount: '999999999999' }, pull, NOW);
    assert.equal(wrongAccount.allowed, false);
    const ecs = await a.authorizeService({ name: 'ecs-tasks.amazonaws.com', sourceAccount: A }, pull, NOW);
    assert.deepEqual(ecs, {
      allowed: false,
      message: `User: ecs-tasks.amazonaws.com is not authorized to perform: ecr:BatchGetImage on resource: ${REPO} because no resource-based policy allows the ecr:BatchGetImage action`,
    });
    const none = authorizer(new FakeIdentities());
    assert.equal((await none.authorizeService({ name: 'lambda.amazonaws.com', sourceAccount: A }, pull, NOW)).allowed, false);
  });

  it('resource tags reach aws:ResourceTag and ecr:ResourceTag conditions', async () => {
    const ids = new FakeIdentities();
    ids.docs.set('dev', {
      policies: [{ text: doc([{ Effect: 'Allow', Action: 'ecr:*', Resource: '*', Condition: { StringEquals: { 'ecr:ResourceTag/team': 'blue' } } }]) }],
      tags: {},
    });
    const blue = `arn:aws:ecr:us-east-1:${A}:repository/blue`;
    const red = `arn:aws:ecr:us-east-1:${A}:repository/red`;
    const a = authorizer(ids, { [blue]: { policies: [], tags: { team: 'blue' } }, [red]: { policies: [], tags: { team: 'red' } } });
    await a.authorize(subject(user('dev')), [{ action: 'ecr:BatchGetImage', resource: blue }]);
    await assert.rejects(a.authorize(subject(user('dev')), [{ action: 'ecr:BatchGetImage', resource: red }]), AccessDeniedError);
  });

  it('a trust policy must allow AssumeRole; STS words the denial without a reason', async () => {
    const ids = new FakeIdentities();
    ids.docs.set('dev', { policies: [{ text: doc([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }]) }], tags: {} });
    const a = authorizer(ids);
    const role = `arn:aws:iam::${A}:role/deploy`;
    const trust = doc([{ Effect: 'Allow', Principal: { AWS: A }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'x1' } } }]);
    await a.authorizeAssumeRole(subject(user('dev')), { arn: role, accountId: A, trustPolicy: trust }, { 'sts:ExternalId': 'x1' });
    await assert.rejects(a.authorizeAssumeRole(subject(user('dev')), { arn: role, accountId: A, trustPolicy: trust }, {}), {
      message: `User: arn:aws:iam::${A}:user/dev is not authorized to perform: sts:AssumeRole on resource: ${role}`,
    });
    await assert.rejects(a.authorizeAssumeRole(subject(user('dev')), { arn: role, accountId: A, trustPolicy: undefined }, {}), AccessDeniedError);
  });
});
