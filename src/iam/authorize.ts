import type { Principal } from './principal.js';

/** What one request asks of IAM: an action on a resource ARN. */
export interface AuthzRequest {
  action: string;
  resource: string;
  /** Extra request-context keys (e.g. aws:RequestTag/…, aws:TagKeys). */
  context?: Record<string, string | string[]>;
}

/** The facts about the caller that evaluation reads. */
export interface AuthzSubject {
  principal: Principal;
  sourceIp: string;
  secureTransport: boolean;
  now: Date;
}

/** A denial; each front words it as its protocol does (AccessDeniedException, registry DENIED). */
export class AccessDeniedError extends Error {
  constructor(
    message: string,
    readonly action: string,
    readonly resource: string,
  ) {
    super(message);
  }
}

/** The one authorization call every ECR operation and registry request goes through. */
export interface Authorizer {
  authorize(subject: AuthzSubject, requests: readonly AuthzRequest[]): Promise<void>;
}

/** `arn:aws:ecr:us-east-1:123456789012:repository/x` → `123456789012`; `*` → undefined. */
export function accountOfArn(arn: string): string | undefined {
  const parts = arn.split(':', 6);
  return parts.length >= 6 && parts[4] ? parts[4] : undefined;
}

export function denialMessage(principal: Principal, req: AuthzRequest, because: string): string {
  return `User: ${principal.arn} is not authorized to perform: ${req.action} on resource: ${req.resource} ${because}`;
}

/**
 * The rule that holds before any policy exists: an account's root may do everything in its own
 * account and nothing in another's.
 */
export class RootAuthorizer implements Authorizer {
  async authorize(subject: AuthzSubject, requests: readonly AuthzRequest[]): Promise<void> {
    for (const req of requests) {
      const account = accountOfArn(req.resource);
      const own = account === undefined || account === subject.principal.accountId;
      if (subject.principal.kind === 'root' && own) continue;
      throw new AccessDeniedError(
        denialMessage(
          subject.principal,
          req,
          own
            ? `because no identity-based policy allows the ${req.action} action`
            : `because no resource-based policy allows the ${req.action} action`,
        ),
        req.action,
        req.resource,
      );
    }
  }
}
