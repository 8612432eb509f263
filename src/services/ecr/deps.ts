import type { AuthTokens } from '../../iam/auth-tokens.js';
import type { PolicyAuthorizer } from '../../iam/authorize.js';
import type { IamDirectory } from '../../iam/directory.js';
import type { Images } from '../../images/images.js';
import type { LayerUrls } from '../../images/layer-urls.js';
import type { Lifecycle } from '../../images/lifecycle/lifecycle.js';
import type { Repositories } from '../../images/repositories.js';
import type { Ids } from '../../ids.js';
import type { Secrets } from '../../secrets/secrets.js';
import type { Kms } from '../../kms/keys.js';
import type { MetaStore } from '../../store/meta/meta-store.js';
import type { PullThroughCache } from './pull-through.js';

/** Where the served registry lives: the host names depend on the port actually bound. */
export interface Endpoints {
  /** `{account}.dkr.ecr.{region}.localhost:{port}` */
  registryHost(accountId: string, region: string): string;
  /** `http://host:port` that GetDownloadUrlForLayer's URLs start with. */
  downloadBase(accountId: string, region: string): string;
}

/** What the ECR operations are built from (composed in app.ts). */
export interface EcrDeps {
  meta: MetaStore;
  repositories: Repositories;
  /** The one image store the registry writes too (DESIGN.md rule 1). */
  images: Images;
  /** Lifecycle policy previews and evaluations (the `ecr-lifecycle` job runs them). */
  lifecycle: Lifecycle;
  tokens: AuthTokens;
  endpoints: Endpoints;
  ids: Ids;
  authTokenTtlSeconds: number;
  /** Signs GetDownloadUrlForLayer's URLs (the registry's download route verifies them). */
  layerUrls: LayerUrls;
  /** Repository and registry policies are validated and lock-out checked with IAM's own tools. */
  iam: { directory: IamDirectory; authorizer: PolicyAuthorizer };
  /** Keys of KMS-encrypted repositories: validated at CreateRepository (images/encryption.ts). */
  kms: Kms;
  /** Pull-through cache: reads rule credentials, validates rules (pull-through.ts); set in app.ts. */
  pullThrough?: PullThroughCache;
  /** Secrets Manager, for the credentials of pull-through cache rules (`credentialArn`): readCurrentForService. */
  secrets: Secrets;
}
