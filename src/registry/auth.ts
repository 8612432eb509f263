/**
 * Who a registry request comes from: HTTP Basic with user `AWS` and a GetAuthorizationToken
 * password, verified without a lookup (AuthTokens checks its HMAC and expiry).
 */
import type { AuthTokens } from '../iam/auth-tokens.js';
import type { Principal } from '../iam/principal.js';
import { RegistryError } from './errors.js';

/** ECR's challenge — source: ecr-behaviour.md §2 (`GET /v2/` row). */
export function challenge(host: string | undefined): string {
  return `Basic realm="http://${host ?? 'localhost'}/",service="ecr.amazonaws.com"`;
}

/** ECR's text for a missing or unusable credential (crane prints it: "401 Unauthorized: Not Authorized"). */
const NOT_AUTHORIZED = 'Not Authorized';
/** — source: aws/aws-cli#6580 ("denied: Your authorization token has expired. Reauthenticate and try again.") */
const EXPIRED = 'Your authorization token has expired. Reauthenticate and try again.';

function unauthorized(host: string | undefined): RegistryError {
  return new RegistryError('UNAUTHORIZED', { message: NOT_AUTHORIZED, headers: { 'www-authenticate': challenge(host) } });
}

/**
 * The principal of the `Authorization` header. Throws RegistryError: UNAUTHORIZED (401 with the
 * Basic challenge) when it is missing, not Basic, not user `AWS`, malformed or forged; DENIED
 * (403) when the token has expired, as ECR answers.
 */
export function authenticate(authorization: string | undefined, host: string | undefined, tokens: AuthTokens, now: Date): Principal {
  const m = authorization === undefined ? null : /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization);
  if (m === null) throw unauthorized(host);
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0 || decoded.slice(0, colon) !== 'AWS') throw unauthorized(host);
  const check = tokens.verify(decoded.slice(colon + 1), now);
  if (check.ok) return check.claims.principal;
  if (check.reason === 'expired') throw new RegistryError('DENIED', { message: EXPIRED });
  throw unauthorized(host);
}
