/**
 * The metadata store: small, intent-named, async, atomic record sets. Each key names its
 * account and region. sqlite.ts implements it today (':memory:' or a file); a shared
 * PostgreSQL one can follow with the same signatures. No transaction handle leaks out.
 */
export interface RepoKey {
  accountId: string;
  region: string;
  name: string;
}

export interface AccountRecord {
  accountId: string;
  name: string;
  email?: string;
  createdAt: Date;
}

/** What an access key stands for; IAM adds user and role-session forms. */
export type KeyOwner =
  | { kind: 'root' }
  | { kind: 'user'; userName: string; userId?: string; path?: string }
  | {
      kind: 'assumed-role';
      roleName: string;
      sessionName: string;
      roleId?: string;
      rolePath?: string;
      /** Session policies passed to AssumeRole: inline JSON and managed policy ARNs. */
      sessionPolicy?: string;
      sessionPolicyArns?: string[];
      /** Session tags passed to AssumeRole (override the role's tags as aws:PrincipalTag). */
      sessionTags?: Record<string, string>;
    };

export interface AccessKeyRecord {
  accessKeyId: string;
  accountId: string;
  secretAccessKey: string;
  owner: KeyOwner;
  sessionToken?: string;
  status: 'Active' | 'Inactive';
  createdAt: Date;
  expiresAt?: Date;
}

export interface TagRecord {
  Key: string;
  Value: string;
}

export interface MutabilityExclusionFilter {
  filterType: string;
  filter: string;
}

export interface RepositoryRecord extends RepoKey {
  id: number;
  createdAt: Date;
  imageTagMutability: string;
  imageTagMutabilityExclusionFilters: MutabilityExclusionFilter[];
  scanOnPush: boolean;
  encryptionType: string;
  kmsKey?: string;
  tags: TagRecord[];
}

export type NewRepository = Omit<RepositoryRecord, 'id'>;

export interface Page<T> {
  items: T[];
  /** Opaque cursor of the next page, absent on the last one. */
  next?: string;
}

export class AlreadyExistsError extends Error {}

export interface AccountRecords {
  create(account: AccountRecord, rootKey: Omit<AccessKeyRecord, 'accountId'>): Promise<void>;
  get(accountId: string): Promise<AccountRecord | undefined>;
  list(): Promise<AccountRecord[]>;
  /** Removes the account and everything it owns. */
  delete(accountId: string): Promise<boolean>;
}

export interface AccessKeyRecords {
  put(key: AccessKeyRecord): Promise<void>;
  get(accessKeyId: string): Promise<AccessKeyRecord | undefined>;
  listByAccount(accountId: string): Promise<AccessKeyRecord[]>;
  delete(accessKeyId: string): Promise<boolean>;
  /** Synchronous read for the request hot path (SigV4 verification). */
  getSync(accessKeyId: string): AccessKeyRecord | undefined;
}

export interface SettingRecords {
  get(accountId: string, region: string, name: string): Promise<string | undefined>;
  put(accountId: string, region: string, name: string, value: string): Promise<void>;
  delete(accountId: string, region: string, name: string): Promise<boolean>;
}

export interface SecretRecords {
  /** Returns the stored secret, creating it with `make()` the first time (atomically). */
  getOrCreate(name: string, make: () => string): Promise<string>;
}

export interface RepositoryRecords {
  /** Throws AlreadyExistsError when the name is taken in that account and region. */
  create(repo: NewRepository): Promise<RepositoryRecord>;
  get(key: RepoKey): Promise<RepositoryRecord | undefined>;
  list(accountId: string, region: string, opts: { limit: number; after?: string }): Promise<Page<RepositoryRecord>>;
  /** Names in lexical order after the name `after`; `next` is the last name of the page (the registry's catalog). */
  listNames(accountId: string, region: string, opts: { limit: number; after?: string }): Promise<Page<string>>;
  /** Applies `change` to the stored record in one transaction; returns the new record. */
  update(key: RepoKey, change: (r: RepositoryRecord) => RepositoryRecord): Promise<RepositoryRecord | undefined>;
  /** Removes the repository and, with it, everything stored under it. */
  delete(key: RepoKey): Promise<RepositoryRecord | undefined>;
}

/** IAM is global: entities belong to an account, not a region. */
export interface IamEntityBase {
  accountId: string;
  name: string;
  /** AIDA… (user), AROA… (role), AGPA… (group), ANPA… (policy). */
  id: string;
  path: string;
  createdAt: Date;
  tags: TagRecord[];
}

/** Identity policies of a user, role or group. */
export interface IamPolicyHolder {
  /** Inline policies: name → document as submitted. */
  inlinePolicies: Record<string, string>;
  /** ARNs of attached managed policies (AWS or customer managed), in attachment order. */
  attachedPolicies: string[];
}

export interface IamUserRecord extends IamEntityBase, IamPolicyHolder {
  permissionsBoundary?: string;
  /** Names of the groups the user is in. */
  groups: string[];
}

export interface IamRoleRecord extends IamEntityBase, IamPolicyHolder {
  assumeRolePolicyDocument: string;
  description?: string;
  maxSessionDuration: number;
  permissionsBoundary?: string;
}

export type IamGroupRecord = IamEntityBase & IamPolicyHolder;

export interface IamPolicyVersionRecord {
  versionId: string;
  document: string;
  createdAt: Date;
}

/** A customer managed policy with its versions (at most five). */
export interface IamPolicyRecord extends IamEntityBase {
  description?: string;
  defaultVersionId: string;
  /** The number the next CreatePolicyVersion takes (v1, v2, … never reused). */
  nextVersion: number;
  versions: IamPolicyVersionRecord[];
  updatedAt: Date;
}

/** One kind of IAM entity; names are matched regardless of case, as IAM does. */
export interface IamEntityRecords<T extends IamEntityBase> {
  /** Throws AlreadyExistsError when the name is taken (in any case). */
  create(record: T): Promise<void>;
  get(accountId: string, name: string): Promise<T | undefined>;
  /** Every entity of the account, ordered by name. */
  list(accountId: string): Promise<T[]>;
  /** Applies `change` in one transaction; returns the new record (undefined: no such entity). */
  update(accountId: string, name: string, change: (r: T) => T): Promise<T | undefined>;
  delete(accountId: string, name: string): Promise<boolean>;
}

export interface IamRecords {
  users: IamEntityRecords<IamUserRecord>;
  roles: IamEntityRecords<IamRoleRecord>;
  groups: IamEntityRecords<IamGroupRecord>;
  policies: IamEntityRecords<IamPolicyRecord>;
}

/** ECR resource policies: per repository (deleted with it) and per registry (account + region). */
export interface ResourcePolicyRecords {
  getRepositoryPolicy(key: RepoKey): Promise<string | undefined>;
  /** False when the repository does not exist. */
  putRepositoryPolicy(key: RepoKey, policyText: string): Promise<boolean>;
  /** Returns the removed text, or undefined when there was none. */
  deleteRepositoryPolicy(key: RepoKey): Promise<string | undefined>;
  getRegistryPolicy(accountId: string, region: string): Promise<string | undefined>;
  putRegistryPolicy(accountId: string, region: string, policyText: string): Promise<void>;
  deleteRegistryPolicy(accountId: string, region: string): Promise<string | undefined>;
}

/** One manifest digest in one repository (ECR's image), with its tags. */
export interface ImageRecord {
  repositoryId: number;
  digest: string;
  mediaType: string;
  /** `artifactType`, else the config's media type (ECR's artifactMediaType); none for most indexes. */
  artifactType?: string;
  /** Digest of the OCI 1.1 `subject` (what the image refers to). */
  subject?: string;
  annotations?: Record<string, string>;
  /** Length of the manifest bytes (the `size` of a descriptor pointing at it). */
  manifestSize: number;
  /** ECR's imageSizeInBytes. */
  size: number;
  pushedAt: Date;
  lastPulledAt?: Date;
  /** In lexical order. */
  tags: string[];
  /** ECR's storage class: ARCHIVE images cannot be pulled. */
  storageClass: StorageClass;
  lastArchivedAt?: Date;
  /** When the latest restore from ARCHIVE completes (or completed): the image is ACTIVATING before. */
  restoredAt?: Date;
  /** The latest basic scan, if any. */
  scan?: ScanRecord;
}

export type StorageClass = 'STANDARD' | 'ARCHIVE';

/** A basic image scan: its outcome (COMPLETE, UNSUPPORTED_IMAGE, …) and when it ran. */
export interface ScanRecord {
  status: string;
  startedAt: Date;
  completedAt?: Date;
}

/** ECR's imageStatus filter: ACTIVE, ARCHIVED, ACTIVATING or ANY. */
export type ImageStatusFilter = 'ACTIVE' | 'ARCHIVED' | 'ACTIVATING' | 'ANY';

/** Which images a listing selects: by tags and by status (`now` decides ACTIVATING vs ACTIVE). */
export interface ImageListFilter {
  tagStatus?: TagStatusFilter;
  /** Default ANY. */
  status?: ImageStatusFilter;
  now?: Date;
}

/** One entry of ListImages: an image by a tag, or an untagged image by its digest. */
export interface ImageIdRecord {
  digest: string;
  tag?: string;
}

export interface NewImage {
  digest: string;
  mediaType: string;
  artifactType?: string;
  subject?: string;
  annotations?: Record<string, string>;
  manifest: Uint8Array;
  size: number;
  pushedAt: Date;
  /** Manifests an index lists; each must be an image of the repository. */
  children: readonly string[];
  /** Blobs the manifest references; `required` ones must be linked to the repository. */
  blobs: readonly { digest: string; mediaType?: string; required: boolean }[];
  /** A scan made on push (scan on push), recorded when the image is stored or restored by the push. */
  scan?: ScanRecord;
}

/** What `ImageRecords.put` did, or why it did nothing. */
export type PutImageOutcome =
  | {
      kind: 'stored';
      image: ImageRecord;
      /** False when the digest was already an image of the repository. */
      created: boolean;
      /** The image the tag named before, when the push moved it. */
      tagMovedFrom?: string;
      /** False when nothing changed (same manifest, and the tag already named it or there was none). */
      changed: boolean;
    }
  | { kind: 'missing-blobs'; digests: string[] }
  | { kind: 'missing-children'; digests: string[] }
  | { kind: 'tag-immutable'; current: string };

/** What removing an image (by digest) or a tag did. */
export type RemoveImageOutcome =
  | { kind: 'deleted'; image: ImageRecord }
  | { kind: 'untagged'; image: ImageRecord }
  | { kind: 'not-found' }
  | { kind: 'referenced'; image: ImageRecord; parents: string[] };

export type TagStatusFilter = 'TAGGED' | 'UNTAGGED' | 'ANY';

export interface ImageRecords {
  /**
   * In one transaction: checks that the required blobs are linked and the children exist, that
   * an immutable tag is not moved, then stores the image (if new), points the tag at it and
   * records the children, the blobs it references and their media types. Pushing an image that
   * is archived (or still activating) restores it at once — source: ECR user guide, "Restoring
   * an image" ("When you push an image that is currently archived, that image will be
   * immediately restored").
   */
  put(repositoryId: number, image: NewImage, tag?: { name: string; immutable: boolean }): Promise<PutImageOutcome>;
  get(repositoryId: number, digest: string): Promise<ImageRecord | undefined>;
  getByTag(repositoryId: number, tag: string): Promise<ImageRecord | undefined>;
  /** The manifest bytes exactly as pushed. */
  manifest(repositoryId: number, digest: string): Promise<Buffer | undefined>;
  /** Images in push order (oldest first); `after` is an opaque cursor from `next`. */
  list(repositoryId: number, opts: ImageListFilter & { limit: number; after?: string }): Promise<Page<ImageRecord>>;
  /** One entry per tag, and one per untagged image, in push order; `after` is an opaque cursor. */
  listIds(repositoryId: number, opts: ImageListFilter & { limit: number; after?: string }): Promise<Page<ImageIdRecord>>;
  /** Moves the image to ARCHIVE (at `at`); undefined when there is no such image. */
  archive(repositoryId: number, digest: string, at: Date): Promise<ImageRecord | undefined>;
  /** Moves the image back to STANDARD, ACTIVATING until `completesAt`; drops its scan (or records `scan`). */
  restore(repositoryId: number, digest: string, completesAt: Date, scan?: ScanRecord): Promise<ImageRecord | undefined>;
  recordScan(repositoryId: number, digest: string, scan: ScanRecord): Promise<void>;
  /** For each blob: how many images reference it, and how many of those are in STANDARD and restored by `now`. */
  blobReferences(repositoryId: number, blobs: readonly string[], now: Date): Promise<Map<string, { images: number; active: number }>>;
  /** Tags in lexical order after the tag `after`; `next` is the last tag of the page. */
  listTags(repositoryId: number, opts: { limit: number; after?: string }): Promise<Page<string>>;
  /** Images whose subject is `digest`, in push order. */
  referrers(repositoryId: number, subject: string): Promise<ImageRecord[]>;
  /** Indexes that list `digest`. */
  parents(repositoryId: number, digest: string): Promise<string[]>;
  /** Manifests the index `digest` lists. */
  children(repositoryId: number, digest: string): Promise<string[]>;
  /** Deletes the image and its tags, unless an index lists it. */
  delete(repositoryId: number, digest: string): Promise<RemoveImageOutcome>;
  /** Removes a tag; when it was the image's last, deletes the image too (unless an index lists it). */
  untag(repositoryId: number, tag: string): Promise<RemoveImageOutcome>;
  recordPull(repositoryId: number, digest: string, at: Date): Promise<void>;
  count(repositoryId: number): Promise<number>;
}

/** A blob a repository may serve (uploaded or mounted there). */
export interface LayerRecord {
  repositoryId: number;
  digest: string;
  size: number;
  mediaType?: string;
  linkedAt: Date;
}

export interface LayerRecords {
  /** Links the blob to the repository; an existing link is kept and returned. */
  link(layer: LayerRecord): Promise<LayerRecord>;
  get(repositoryId: number, digest: string): Promise<LayerRecord | undefined>;
  getMany(repositoryId: number, digests: readonly string[]): Promise<LayerRecord[]>;
}

/** An upload session; its bytes are in the blob store's session of the same id. */
export interface UploadRecord {
  id: string;
  repositoryId: number;
  startedAt: Date;
  /** Parts appended so far and the size of the last (the ECR API's 5 MiB part rule reads them). */
  parts: number;
  lastPartSize: number;
  /** The smallest part but the last (undefined while there is at most one part). */
  smallestPart?: number;
}

export interface UploadRecords {
  create(upload: UploadRecord): Promise<void>;
  get(id: string): Promise<UploadRecord | undefined>;
  recordPart(id: string, partSize: number): Promise<void>;
  delete(id: string): Promise<void>;
  /** Ids of the sessions started before `at` (for purging abandoned uploads). */
  startedBefore(at: Date): Promise<string[]>;
}

/** A Lambda function is named by account, region and name. */
export interface LambdaFunctionKey {
  accountId: string;
  region: string;
  name: string;
}

/** One configuration of a function: `$LATEST` or a published version (frozen). Times are Lambda's strings. */
export interface LambdaVersionRecord {
  version: string;
  description: string;
  role: string;
  memorySize: number;
  timeout: number;
  environment: Record<string, string>;
  /** As the caller gave it. */
  imageUri: string;
  /** The repository and the digest the tag named when the code was set (an index or a manifest). */
  image: { accountId: string; region: string; repository: string; resolvedDigest: string; runDigest: string };
  imageConfig?: { entryPoint?: string[]; command?: string[]; workingDirectory?: string };
  architectures: string[];
  ephemeralStorage: number;
  codeSha256: string;
  codeSize: number;
  lastModified: string;
  revisionId: string;
  state: string;
  stateReason?: string;
  stateReasonCode?: string;
  lastUpdateStatus?: string;
  lastUpdateStatusReason?: string;
  lastUpdateStatusReasonCode?: string;
}

export interface LambdaAliasRecord {
  name: string;
  functionVersion: string;
  description: string;
  revisionId: string;
  additionalVersionWeights?: Record<string, number>;
}

export interface LambdaFunctionRecord extends LambdaFunctionKey {
  latest: LambdaVersionRecord;
  /** While an update of $LATEST is in progress: the configuration invocations still run. */
  previous?: LambdaVersionRecord;
  /** Published versions, oldest first. */
  versions: LambdaVersionRecord[];
  /** The number PublishVersion gives next (never reused). */
  nextVersion: number;
  aliases: LambdaAliasRecord[];
  /** The resource policy (AddPermission statements), as a JSON document. */
  policy?: string;
  tags: Record<string, string>;
}

export interface LambdaFunctionRecords {
  /** Throws AlreadyExistsError when the name is taken in that account and region. */
  create(record: LambdaFunctionRecord): Promise<void>;
  get(key: LambdaFunctionKey): Promise<LambdaFunctionRecord | undefined>;
  /** By name; `after` is the last name of the previous page. */
  list(accountId: string, region: string, opts: { limit: number; after?: string }): Promise<Page<LambdaFunctionRecord>>;
  /** Applies `change` in one transaction; undefined when there is no such function. `change` may throw to abort. */
  update(key: LambdaFunctionKey, change: (r: LambdaFunctionRecord) => LambdaFunctionRecord): Promise<LambdaFunctionRecord | undefined>;
  delete(key: LambdaFunctionKey): Promise<boolean>;
  /** Functions being created (Pending) or updated (InProgress): what a restart must finish. */
  unsettled(): Promise<LambdaFunctionRecord[]>;
}

export interface EcsRecordKey {
  accountId: string;
  region: string;
  /** cluster | taskdef | task | service */
  kind: string;
  name: string;
}

/** ECS resources as JSON records; the ECS service owns their shape. */
export interface EcsRecords {
  get<T>(key: EcsRecordKey): Promise<T | undefined>;
  put(key: EcsRecordKey, body: unknown): Promise<void>;
  /** Applies `change` in one transaction; undefined when there is no such record. */
  update<T>(key: EcsRecordKey, change: (r: T) => T): Promise<T | undefined>;
  list<T>(accountId: string, region: string, kind: string): Promise<T[]>;
  /** Every record of a kind, in every account and region (what a restart resumes). */
  all<T>(kind: string): Promise<T[]>;
  delete(key: EcsRecordKey): Promise<boolean>;
}

export interface MetaStore {
  accounts: AccountRecords;
  accessKeys: AccessKeyRecords;
  settings: SettingRecords;
  secrets: SecretRecords;
  repositories: RepositoryRecords;
  images: ImageRecords;
  layers: LayerRecords;
  uploads: UploadRecords;
  iam: IamRecords;
  resourcePolicies: ResourcePolicyRecords;
  lambdaFunctions: LambdaFunctionRecords;
  ecs: EcsRecords;
  close(): Promise<void>;
}
