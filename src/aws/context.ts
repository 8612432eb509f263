import type { Clock } from '../clock.js';
import type { Principal } from '../iam/principal.js';
import type { AuthzSubject } from '../iam/authorize.js';

/** Everything an operation knows about the request besides its input. */
export interface RequestContext {
  requestId: string;
  /** The calling principal's account (the account of the credentials). */
  accountId: string;
  /** The region of the SigV4 credential scope. */
  region: string;
  principal: Principal;
  clock: Clock;
  /** Facts that conditions such as aws:SourceIp and aws:SecureTransport read. */
  sourceIp: string;
  secureTransport: boolean;
}

/** Who asks, from where, when and in which region: what IAM evaluates a request's policies for. */
export const authzSubjectOf = (ctx: RequestContext): AuthzSubject => ({
  principal: ctx.principal,
  sourceIp: ctx.sourceIp,
  secureTransport: ctx.secureTransport,
  now: ctx.clock.now(),
  region: ctx.region,
});
