import type { RequestContext } from '../../aws/context.js';
import type { GetAuthorizationTokenRequest, GetAuthorizationTokenResponse } from '../../model/ecr/types.js';
import { principalIdentity } from '../../iam/principal-identity.js';
import type { EcrDeps } from './deps.js';

/**
 * The token is `base64("AWS:" + password)`; the password is an HMAC-signed claim naming the
 * principal, its identity, the region and the expiry (see AuthTokens).
 */
export function getAuthorizationToken(deps: EcrDeps) {
  return async (ctx: RequestContext, input: GetAuthorizationTokenRequest): Promise<GetAuthorizationTokenResponse> => {
    // The caller was just authenticated, so it exists; '' only if it vanished meanwhile (then no token works).
    const identity = (await principalIdentity(deps.meta, ctx.principal)) ?? '';
    const { password, expiresAt } = deps.tokens.issue(ctx.principal, { identity, region: ctx.region }, ctx.clock.now(), deps.authTokenTtlSeconds);
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
