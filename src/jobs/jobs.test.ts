import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { JobNotFoundError, Jobs } from './jobs.js';

describe('Jobs', () => {
  it('runs a job on demand with its options and answers its result', async () => {
    const jobs = new Jobs(pino({ level: 'silent' }));
    jobs.register({ name: 'echo', intervalMs: 0, run: async (o) => ({ got: o }) });
    assert.deepEqual(await jobs.run('echo', { a: 1 }), { got: { a: 1 } });
    await assert.rejects(jobs.run('nope'), JobNotFoundError);
  });

  it('never overlaps two runs of one job: a call during a run starts after it', async () => {
    const jobs = new Jobs(pino({ level: 'silent' }));
    const events: string[] = [];
    let n = 0;
    jobs.register({
      name: 'slow',
      intervalMs: 0,
      run: async () => {
        const i = ++n;
        events.push(`start ${i}`);
        await new Promise((r) => setTimeout(r, 20));
        events.push(`end ${i}`);
        return i;
      },
    });
    const [a, b] = await Promise.all([jobs.run('slow'), jobs.run('slow')]);
    assert.deepEqual([a, b], [1, 2]);
    assert.deepEqual(events, ['start 1', 'end 1', 'start 2', 'end 2']);
  });
});
