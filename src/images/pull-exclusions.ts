/**
 * Pull-time update exclusions: IAM users and roles whose pulls leave an image's
 * lastRecordedPullTime alone (scanners, CI) — source: ECR user guide, "Pull-time update
 * exclusions" ("When a role in the exclusion list pulls an image, the pull time remains
 * unchanged. … up to 100 exclusions per account"). Kept per registry (account and region), as
 * every ECR registry setting is.
 */
import type { MetaStore } from '../store/meta/meta-store.js';

export const MAX_PULL_TIME_EXCLUSIONS = 100;

/** Who pulls, as far as exclusions care: an IAM user or role of an account (by name), or neither. */
export interface Puller {
  accountId: string;
  kind: 'user' | 'role' | 'other';
  /** The user or role name (names are unique in an account whatever their path). */
  name?: string;
}

/** `arn:aws:iam::123456789012:role/path/name` → the account, kind and name it designates. */
export function pullerOfArn(arn: string): Puller | undefined {
  const m = /^arn:aws[a-z-]*:iam::(\d{12}):(user|role)\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m ? { accountId: m[1]!, kind: m[2] as 'user' | 'role', name: m[3]! } : undefined;
}

const samePuller = (a: Puller, b: Puller): boolean =>
  a.kind !== 'other' && a.kind === b.kind && a.accountId === b.accountId && a.name === b.name;

/** Reads the registry's exclusions when a pull would record its time (the ECR API keeps the list). */
export class PullTimeExclusions {
  constructor(private readonly meta: MetaStore) {}

  /** Whether the registry excludes this puller's pulls from lastRecordedPullTime. */
  async excludes(accountId: string, region: string, puller: Puller): Promise<boolean> {
    if (puller.kind === 'other') return false;
    const all = await this.meta.pullTimeExclusions.all(accountId, region);
    return all.some((e) => {
      const excluded = pullerOfArn(e.principalArn);
      return excluded !== undefined && samePuller(puller, excluded);
    });
  }
}
