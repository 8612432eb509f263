import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../clock.js';
import type { IssuedSession } from '../../iam/sessions.js';
import type { EcsState } from './control.js';
import { EcsTaskEndpoints } from './endpoints.js';
import type { TaskDefinitionRecord, TaskRecord } from './records.js';

const session = (key: string, expiration: Date): IssuedSession => ({
  accessKeyId: key,
  secretAccessKey: 'secret',
  sessionToken: 'token',
  expiration,
  assumedRoleId: 'AROAEXAMPLE:t1',
  arn: 'arn:aws:sts::000000000000:assumed-role/r/t1',
});

describe('ECS task credentials endpoint', () => {
  const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
  const endpoints = new EcsTaskEndpoints({ clock } as unknown as EcsState);
  const task = { taskId: 't1', accountId: '000000000000', region: 'us-east-1' } as TaskRecord;
  const def = { taskRoleArn: 'arn:aws:iam::000000000000:role/r' } as TaskDefinitionRecord;
  let renewed = 0;
  let env: Record<string, string>;

  before(async () => {
    await endpoints.listen();
    env = endpoints.register(task, def, session('ASIAFIRST', new Date('2026-01-01T01:00:00Z')), async () => {
      renewed++;
      return session('ASIASECOND', new Date('2026-01-01T02:00:00Z'));
    });
  });
  after(() => endpoints.close());

  const get = (token?: string) =>
    fetch(env.AWS_CONTAINER_CREDENTIALS_FULL_URI!, token !== undefined ? { headers: { authorization: token } } : {}).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as Record<string, string>,
    }));

  it('answers the role credentials only with the task token', async () => {
    // when
    const ok = await get(env.AWS_CONTAINER_AUTHORIZATION_TOKEN);
    const bad = await get('nope');
    // then
    assert.equal(ok.status, 200);
    assert.equal(ok.body.AccessKeyId, 'ASIAFIRST');
    assert.equal(ok.body.RoleArn, def.taskRoleArn);
    assert.equal(ok.body.Expiration, '2026-01-01T01:00:00.000Z');
    assert.equal(bad.status, 400);
    assert.equal(renewed, 0);
  });

  it('renews credentials that expire within 15 minutes', async () => {
    // given
    clock.advance(50 * 60_000);
    // when
    const r = await get(env.AWS_CONTAINER_AUTHORIZATION_TOKEN);
    // then
    assert.equal(r.body.AccessKeyId, 'ASIASECOND');
    assert.equal(renewed, 1);
  });
});
