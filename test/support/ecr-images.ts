/**
 * Helpers of the ECR image API tests: whole-error assertions, a registry push of a built image,
 * and a client whose signing clock follows a test's ManualClock.
 */
import assert from 'node:assert/strict';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ManualClock } from '../../src/clock.js';

/** Asserts an SDK call fails with exactly this exception name and (when given) this whole message. */
export async function rejects(p: Promise<unknown>, name: string, message?: string): Promise<Error> {
  let caught: Error | undefined;
  await assert.rejects(p, (e: Error) => {
    assert.equal(e.name, name, e.message);
    if (message !== undefined) assert.equal(e.message, message);
    caught = e;
    return true;
  });
  return caught!;
}

/**
 * Signs every later request of the client at the test clock's time, as if the machine's clock
 * were there. The SDK re-derives its clock offset from each answer's Date header (the real
 * time), so the offset is set again before each request is signed.
 */
export function followClock(client: ECRClient, clock: ManualClock): void {
  const config = client.config as { systemClockOffset: number };
  client.middlewareStack.add(
    (next) => (args) => {
      config.systemClockOffset = clock.now().getTime() - Date.now();
      return next(args);
    },
    { step: 'build', name: 'followTestClock', override: true },
  );
}

