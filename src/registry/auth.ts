/**
 * Who a registry request comes from: HTTP Basic with user `AWS` and a GetAuthorizationToken
 * password (AuthTokens checks its HMAC and expiry), issued in the region this registry serves to a
 * principal that still exists as the same identity.
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

export interface TokenExpectations {
  /** The region of the registry the request reached. */
  region: string;
  /** The principal's current identity (principalIdentity), undefined when it no longer exists. */
  identityOf(principal: Principal): Promise<string | undefined>;
}

/**
 * The principal of the `Authorization` header. Throws RegistryError: UNAUTHORIZED (401 with the
 * Basic challenge) when it is missing, not Basic, not user `AWS`, malformed, forged, or issued to
 * a principal since deleted (or re-created: another identity); DENIED (403) when the token has
 * expired, as ECR answers; TOKEN_REGION (400) when it was issued in another region, as ECR answers
 * — source: aws/eks-anywhere#3919, aws/aws-cli#5950 (`docker login` with another region's token:
 * "failed with status: 400 Bad Request").
 */
export async function authenticate(
  authorization: string | undefined,
  host: string | undefined,
  tokens: AuthTokens,
  now: Date,
  expect: TokenExpectations,
): Promise<Principal> {
  const m = authorization === undefined ? null : /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization);
  if (m === null) throw unauthorized(host);
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0 || decoded.slice(0, colon) !== 'AWS') throw unauthorized(host);
  const check = tokens.verify(decoded.slice(colon + 1), now);
  if (!check.ok) {
    if (check.reason === 'expired') throw new RegistryError('DENIED', { message: EXPIRED });
    throw unauthorized(host);
  }
  const { claims } = check;
  if (claims.region !== expect.region) throw new RegistryError('TOKEN_REGION');
  if ((await expect.identityOf(claims.principal)) !== claims.identity) throw unauthorized(host);
  return claims.principal;
}
