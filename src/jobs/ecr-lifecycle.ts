import type { Logger } from 'pino';
import type { Lifecycle, LifecycleEvaluationSummary } from '../images/lifecycle/lifecycle.js';
import type { Job } from './jobs.js';

/**
 * The `ecr-lifecycle` job: one evaluation of every repository's lifecycle policy, expiring and
 * archiving what each selects. ECR acts "within 24 hours" of an image meeting a rule; simfra runs
 * every `intervalMs` (SIMFRA_ECR_LIFECYCLE_INTERVAL_SECONDS) and on demand, answering what it did.
 */
export function ecrLifecycleJob(lifecycle: Lifecycle, intervalMs: number, log: Logger): Job {
  return {
    name: 'ecr-lifecycle',
    intervalMs,
    async run(): Promise<LifecycleEvaluationSummary> {
      const summary = await lifecycle.evaluateAll((record, err) =>
        log.warn({ err, registryId: record.accountId, region: record.region, repositoryName: record.name }, 'lifecycle policy evaluation failed'),
      );
      if (summary.imagesExpired + summary.imagesTransitioned > 0) {
        log.info(
          { job: 'ecr-lifecycle', expired: summary.imagesExpired, transitioned: summary.imagesTransitioned, policies: summary.policiesEvaluated },
          'lifecycle policies applied',
        );
      }
      return summary;
    },
  };
}
