import type { RequestContext } from '../../aws/context.js';
import type { GetAuthorizationTokenRequest, GetAuthorizationTokenResponse } from '../../model/ecr/types.js';
import type { EcrDeps } from './deps.js';

/**
 * The token is `base64("AWS:" + password)`; the password is an HMAC-signed claim naming the
 * principal and expiry, which the registry verifies without a lookup.
 */
export function getAuthorizationToken(deps: EcrDeps) {
  return async (ctx: RequestContext, input: GetAuthorizationTokenRequest): Promise<GetAuthorizationTokenResponse> => {
    const { password, expiresAt } = deps.tokens.issue(ctx.principal, ctx.clock.now(), deps.authTokenTtlSeconds);
    const authorizationToken = Buffer.from(`AWS:${password}`, 'utf8').toString('base64');
    const registryIds = input.registryIds ?? [ctx.accountId];
    return {
      authorizationData: registryIds.map((id) => ({
        authorizationToken,
        expiresAt,
        proxyEndpoint: `http://${deps.endpoints.registryHost(id, ctx.region)}`,
      })),
    };
  };
}
