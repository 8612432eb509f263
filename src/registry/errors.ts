/**
 * The registry's error catalogue, as data: each code once, with its HTTP status and default
 * message. Nothing else in registry/ picks a status for an error. Codes and statuses are the
 * OCI distribution spec's (and distribution's for RANGE_INVALID / UNKNOWN); messages are
 * overridden with ECR's wording where docker shows it to users (see map-errors.ts).
 * — sources: https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md#error-codes,
 *   distribution's registry/api/errcode and registry/api/v2/errors.go
 */
export const OCI_ERRORS = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  TAG_INVALID: { status: 400, message: 'manifest tag did not match URI' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'The operation is unsupported.' },
  RANGE_INVALID: { status: 416, message: 'invalid content range' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
  /** Not OCI's: ECR answers 400 to a token issued in another region (see auth.ts). */
  TOKEN_REGION: { status: 400, message: 'Your authorization token was issued for another region. Get one in the region of this registry and try again.' },
  UNKNOWN: { status: 500, message: 'unknown error' },
  // Not in the spec's table: 507 Insufficient Storage (RFC 4918 §11.5) is the status for "cannot
  // store what the request carries". docker and containerd print a 5xx's status line even
  // where they do not parse the body, so the cause shows either way.
  STORAGE_FULL: { status: 507, message: 'storage is full: the registry has no space left to store this upload; nothing was stored, free space and retry' },
} as const satisfies Record<string, { status: number; message: string }>;

export type OciErrorCode = keyof typeof OCI_ERRORS;

export interface RegistryErrorOptions {
  /** Replaces the catalogue's message (ECR's wording). */
  message?: string;
  /** The `detail` member of the error body. */
  detail?: unknown;
  /** Headers the error response needs (Range on a 416, WWW-Authenticate on a 401). */
  headers?: Readonly<Record<string, string>>;
}

/** An error the registry answers with; its status comes from the catalogue only. */
export class RegistryError extends Error {
  readonly status: number;
  readonly detail: unknown;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly code: OciErrorCode,
    opts: RegistryErrorOptions = {},
  ) {
    super(opts.message ?? OCI_ERRORS[code].message);
    this.name = 'RegistryError';
    this.status = OCI_ERRORS[code].status;
    this.detail = opts.detail;
    this.headers = opts.headers ?? {};
  }

  /** `{"errors":[{code,message,detail}]}`; `detail` only when there is one, as ECR does. */
  body(): string {
    return JSON.stringify({
      errors: [{ code: this.code, message: this.message, ...(this.detail !== undefined ? { detail: this.detail } : {}) }],
    });
  }
}
