import type { ByteBudget } from '../http/body.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { AuthTokens } from '../iam/auth-tokens.js';
import type { Authorizer, AuthzRequest } from '../iam/authorize.js';
import type { Principal } from '../iam/principal.js';
import type { Images } from '../images/images.js';
import type { Repositories } from '../images/repositories.js';
import type { RepoKey } from '../store/meta/meta-store.js';
import type { BlobClient, ServedManifest } from '../services/ecr/pull-through.js';

/** What the registry front is built from (composed in app.ts). */
export interface RegistryDeps {
  images: Images;
  repositories: Repositories;
  tokens: AuthTokens;
  /** The current identity of a token's principal (principalIdentity), to refuse stale tokens. */
  principalIdentity(principal: Principal): Promise<string | undefined>;
  authorizer: Authorizer;
  clock: Clock;
  /** An ECR account setting with its default (BLOB_MOUNTING). */
  accountSetting(accountId: string, region: string, name: string): Promise<string>;
  /**
   * Create on push: makes the repository of a push that names a missing one, when a
   * CREATE_ON_PUSH creation template applies (services/ecr/creation-templates.ts); `authorize`
   * asks IAM for the pusher's ecr:CreateRepository.
   */
  createOnPush?(repo: RepoKey, authorize: (requests: readonly AuthzRequest[]) => Promise<void>): Promise<void>;
  /**
   * Pull-through cache: before a manifest GET/HEAD, imports the image from the upstream of the
   * rule that covers the repository when it is not cached (services/ecr/pull-through.ts);
   * `authorize` asks IAM for the puller's ecr:BatchImportUpstreamImage (and CreateRepository).
   */
  pullThrough?(
    repo: RepoKey,
    reference: string,
    authorize: (requests: readonly AuthzRequest[]) => Promise<void>,
    puller?: Principal,
  ): Promise<ServedManifest | undefined>;
  /**
   * Pull-through cache: a blob of an import under way. With `client`, may answer it itself,
   * streaming it as it is fetched (true); else waits until it is stored (false).
   */
  pullThroughBlob?(repo: RepoKey, digest: string, client?: BlobClient): Promise<boolean>;
  /** Pull-through cache: the size of a blob of an import under way, for a HEAD. */
  pullThroughBlobSize?(repo: RepoKey, digest: string): number | undefined;
  /** The registry plain `localhost:{port}` reaches. */
  defaultAccountId: string;
  defaultRegion: string;
  log: Logger;
  /** Bytes of request bodies (manifests) held at once across all requests; shared with the AWS front. */
  bodyBudget: ByteBudget;
}

/** One authenticated, authorized registry request, as a handler sees it. */
export interface RegistryRequest {
  req: IncomingMessage;
  res: ServerResponse;
  /** Aborts when the client goes away; passed to every store stream. */
  signal: AbortSignal;
  url: URL;
  /** The registry the Host names (or the default one). */
  accountId: string;
  region: string;
  /** The repository of the path; `name` is '' on routes without one (`/v2/`, `_catalog`). */
  repo: RepoKey;
  /** `<reference>` / `<digest>` of the path, URL-decoded; '' when the route has none. */
  ref: string;
  /** Upload session id of the path; '' when the route has none. */
  uuid: string;
  principal: Principal;
  /** The manifest the pull-through cache answered for a manifest GET/HEAD, when it did. */
  pulledThrough?: ServedManifest;
  /** For checks beyond the route's own (the source repository of a mount). */
  authorize(requests: readonly AuthzRequest[]): Promise<void>;
  deps: RegistryDeps;
}

export type RegistryHandler = (r: RegistryRequest) => Promise<void>;
