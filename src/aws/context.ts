import type { Clock } from '../clock.js';
import type { Principal } from '../iam/principal.js';

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
