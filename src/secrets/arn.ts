/** Secret ARNs: `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random characters>`. */

export interface SecretArnParts {
  region: string;
  accountId: string;
  /** The secret's name: the ARN's resource without its `-xxxxxx` suffix. */
  name: string;
  /** The 6 characters after the name (absent in a partial ARN). */
  suffix?: string;
}

const ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):(\d{12}):secret:(.+)$/;
const SUFFIX = /^(.+)-([A-Za-z0-9]{6})$/;

/** The 62 characters of an ARN suffix — as AWS's: letters and digits. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function secretArn(region: string, accountId: string, name: string, suffix: string): string {
  return `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${suffix}`;
}

/** Six random characters from `bytes` (at least 6 of them). */
export function arnSuffix(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += ALPHABET[bytes[i]! % ALPHABET.length];
  return s;
}

/**
 * A full secret ARN: account, region, name and suffix. A name may itself end in `-` and 6
 * letters or digits, so only a full ARN (as Secrets Manager hands out) is split this way;
 * `parsePartialSecretArn` reads one without the suffix.
 */
export function parseSecretArn(arn: string): SecretArnParts | undefined {
  const m = ARN.exec(arn);
  if (!m) return undefined;
  const [, region, accountId, resource] = m;
  const s = SUFFIX.exec(resource!);
  if (!s) return undefined;
  return { region: region!, accountId: accountId!, name: s[1]!, suffix: s[2]! };
}

/** An ARN whose resource is the bare name (a "partial ARN"). */
export function parsePartialSecretArn(arn: string): SecretArnParts | undefined {
  const m = ARN.exec(arn);
  if (!m) return undefined;
  return { region: m[1]!, accountId: m[2]!, name: m[3]! };
}
