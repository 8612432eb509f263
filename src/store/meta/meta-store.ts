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
  /**
   * Links the blob to the repository and touches its blob record (at `linkedAt`), in one
   * transaction; an existing link is kept and returned. Undefined, and nothing linked, when the
   * blob has no record (never committed, or taken by garbage collection meanwhile).
   */
  link(layer: LayerRecord): Promise<LayerRecord | undefined>;
  /**
   * A pushed blob is durable: in one transaction, records the blob as touched at `linkedAt`
   * (creating its record), links it to the repository (an existing link is kept and returned)
   * and forgets the upload session `uploadId`.
   */
  commit(layer: LayerRecord, uploadId: string): Promise<LayerRecord>;
  get(repositoryId: number, digest: string): Promise<LayerRecord | undefined>;
  getMany(repositoryId: number, digests: readonly string[]): Promise<LayerRecord[]>;
}

/** What the metadata knows of a blob in the blob store, for garbage collection. */
export interface BlobRecord {
  digest: string;
  size: number;
  /** When a push last needed it: commit, layer link, mount, or a "present" answer to a push. */
  touchedAt: Date;
}

/**
 * The blob store's blobs, shared by every account and region. A blob is referenced while an
 * image of any repository names it (as config, layer, manifest or subject); an unreferenced
 * blob untouched for the grace period is garbage.
 */
export interface BlobRecords {
  /** Creates the record, or moves `touchedAt` forward to `at`. */
  touch(digest: string, size: number, at: Date): Promise<void>;
  /** Moves `touchedAt` of recorded blobs forward to `at`, when it is older than `at - resolutionMs`. */
  refresh(digests: readonly string[], at: Date, resolutionMs: number): Promise<void>;
  /** Records blobs the store holds without a record (crash, older data), touched at `at`; returns how many. */
  adopt(blobs: readonly { digest: string; size: number }[], at: Date): Promise<number>;
  get(digest: string): Promise<BlobRecord | undefined>;
  /** Unreferenced blobs touched at or before `cutoff`, in digest order after `after`. Reads only. */
  unreferenced(cutoff: Date, opts: { limit: number; after?: string }): Promise<BlobRecord[]>;
  /**
   * In one transaction: removes those of `digests` that are still unreferenced and untouched
   * since `cutoff`, with every layer link to them; returns the removed records. From then on a
   * push cannot link them, so their bytes may go.
   */
  claim(digests: readonly string[], cutoff: Date): Promise<BlobRecord[]>;
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
  /**
   * Whether a client knows the session's id. False for a single-request upload (POST ?digest=),
   * which no client can resume: one left by a crash is removed at start.
   */
  announced: boolean;
}

export interface UploadRecords {
  create(upload: UploadRecord): Promise<void>;
  get(id: string): Promise<UploadRecord | undefined>;
  recordPart(id: string, partSize: number): Promise<void>;
  delete(id: string): Promise<void>;
  /** Ids of the sessions started before `at` (for purging abandoned uploads). */
  startedBefore(at: Date): Promise<string[]>;
  /** Ids of the sessions no client was told of. */
  unannounced(): Promise<string[]>;
}

// ——— registry-level settings of issue 13: pull-time update exclusions, creation templates ———

/** An IAM user or role whose pulls do not update lastRecordedPullTime. */
export interface PullTimeExclusionRecord {
  principalArn: string;
  createdAt: Date;
}

export interface PullTimeExclusionRecords {
  /** False when the principal is already excluded. */
  add(accountId: string, region: string, exclusion: PullTimeExclusionRecord): Promise<boolean>;
  /** False when the principal was not excluded. */
  remove(accountId: string, region: string, principalArn: string): Promise<boolean>;
  /** The registry's exclusions in ARN order (at most 100 exist). */
  all(accountId: string, region: string): Promise<PullTimeExclusionRecord[]>;
}

/** A repository creation template, with ECR's defaults filled in. */
export interface CreationTemplateRecord {
  accountId: string;
  region: string;
  /** A repository name prefix, or `ROOT` (every repository). */
  prefix: string;
  description?: string;
  encryptionType: string;
  kmsKey?: string;
  resourceTags: TagRecord[];
  imageTagMutability: string;
  imageTagMutabilityExclusionFilters: MutabilityExclusionFilter[];
  repositoryPolicy?: string;
  lifecyclePolicy?: string;
  /** REPLICATION, PULL_THROUGH_CACHE, CREATE_ON_PUSH. */
  appliedFor: string[];
  customRoleArn?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface CreationTemplateRecords {
  /** Throws AlreadyExistsError when the prefix has a template. */
  create(template: CreationTemplateRecord): Promise<void>;
  get(accountId: string, region: string, prefix: string): Promise<CreationTemplateRecord | undefined>;
  /** The registry's templates in prefix order. */
  all(accountId: string, region: string): Promise<CreationTemplateRecord[]>;
  /** Replaces a template; false when there is none for its prefix. */
  replace(template: CreationTemplateRecord): Promise<boolean>;
  /** The removed template, or undefined. */
  delete(accountId: string, region: string, prefix: string): Promise<CreationTemplateRecord | undefined>;
}

// ——— ECR replication (issue 13): copies of pushed images to other regions and accounts ———

/** One source image's copy to one destination; IN_PROGRESS rows are the pending copies. */
export interface ReplicationRecord {
  accountId: string;
  region: string;
  repositoryName: string;
  imageDigest: string;
  destRegion: string;
  destRegistryId: string;
  /** IN_PROGRESS, COMPLETE, FAILED. */
  status: string;
  failureCode?: string;
  updatedAt: Date;
}

export interface ReplicationRecords {
  /** Creates or replaces the row of (image, destination). */
  put(record: ReplicationRecord): Promise<void>;
  /** Rows of one source image, by destination. */
  ofImage(key: RepoKey, imageDigest: string): Promise<ReplicationRecord[]>;
  /** IN_PROGRESS rows, oldest first. */
  pending(limit: number): Promise<ReplicationRecord[]>;
}

// ——— ECR managed signing (issue 14): signatures of pushed images, and the keys that make them ———

/** One image's signature by one signing profile; IN_PROGRESS rows are the pending signatures. */
export interface SigningStatusRecord {
  accountId: string;
  region: string;
  repositoryName: string;
  imageDigest: string;
  signingProfileArn: string;
  /** IN_PROGRESS, COMPLETE, FAILED. */
  status: string;
  failureCode?: string;
  failureReason?: string;
  updatedAt: Date;
}

/** A signing key: the PEM certificate and the private key (PKCS#8 PEM, sealed at rest). */
export interface SigningKeyRecord {
  accountId: string;
  /** `root` for the account's CA, else the signing profile ARN. */
  name: string;
  certificatePem: string;
  privateKeyPem: string;
  createdAt: Date;
}

export interface SigningRecords {
  /** Creates or replaces the row of (image, profile). */
  putStatus(record: SigningStatusRecord): Promise<void>;
  /** Rows of one image, by profile ARN. */
  statusesOf(key: RepoKey, imageDigest: string): Promise<SigningStatusRecord[]>;
  /** IN_PROGRESS rows, oldest first. */
  pending(limit: number): Promise<SigningStatusRecord[]>;
  getKey(accountId: string, name: string): Promise<SigningKeyRecord | undefined>;
  /** Stores `key` unless one of that name exists; returns the stored one (the first writer wins). */
  addKey(key: SigningKeyRecord): Promise<SigningKeyRecord>;
  /** Every key of an account. */
  keysOf(accountId: string): Promise<SigningKeyRecord[]>;
}

/** A repository's lifecycle policy, as stored. */
export interface LifecyclePolicyRecord extends RepoKey {
  repositoryId: number;
  policyText: string;
  /** When the policy was last evaluated; absent until then. */
  lastEvaluatedAt?: Date;
}

/** The latest lifecycle policy preview of a repository. */
export interface LifecyclePreviewRecord {
  policyText: string;
  status: 'IN_PROGRESS' | 'COMPLETE' | 'FAILED';
  startedAt: Date;
  /** The results as JSON (the lifecycle domain writes and reads it). */
  results: string;
}

/** Lifecycle policies and previews, one of each per repository (deleted with it). */
export interface LifecycleRecords {
  get(key: RepoKey): Promise<LifecyclePolicyRecord | undefined>;
  /** False when the repository does not exist. Keeps lastEvaluatedAt. */
  put(key: RepoKey, policyText: string): Promise<boolean>;
  /** Returns the removed policy, or undefined when there was none. */
  delete(key: RepoKey): Promise<LifecyclePolicyRecord | undefined>;
  recordEvaluation(repositoryId: number, at: Date): Promise<void>;
  /** Every policy of every account and region, by repository id. */
  list(): Promise<LifecyclePolicyRecord[]>;
  getPreview(key: RepoKey): Promise<LifecyclePreviewRecord | undefined>;
  /** False when the repository does not exist. */
  putPreview(key: RepoKey, preview: LifecyclePreviewRecord): Promise<boolean>;
  /** Every (index, listed manifest) pair of the repository, for evaluating a policy in one read. */
  indexEdges(repositoryId: number): Promise<{ parent: string; child: string }[]>;
}

/** Key states KMS reports (only the ones simfra's keys can be in). */
export type KmsKeyState = 'Enabled' | 'Disabled' | 'PendingDeletion';

/** A KMS key's metadata, policy and tags (its material is kept apart: KmsKeyMaterial). */
export interface KmsKeyRecord {
  /** A UUID, or `mrk-<32 hex>` for a multi-Region key; unique across accounts. */
  keyId: string;
  arn: string;
  accountId: string;
  region: string;
  keyState: KmsKeyState;
  /** SYMMETRIC_DEFAULT, RSA_2048, …, HMAC_256. */
  keySpec: string;
  /** ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC, KEY_AGREEMENT. */
  keyUsage: string;
  keyManager: 'CUSTOMER' | 'AWS';
  origin: string;
  multiRegion: boolean;
  creationDate: Date;
  /** While PendingDeletion: when the key goes. */
  deletionDate?: Date;
  pendingWindowInDays?: number;
  description: string;
  /** The key policy (KMS has one, named `default`), as given or as KMS wrote it. */
  policy: string;
  tags: TagRecord[];
  rotation: { enabled: boolean; periodInDays?: number; nextRotationDate?: Date };
  /** The id of the material new ciphertexts use (DescribeKey's CurrentKeyMaterialId). */
  currentKeyMaterialId?: string;
  /** Grants on the key (they allow their grantee its operations beside the key policy). */
  grants?: KmsGrantRecord[];
}

export interface KmsGrantRecord {
  grantId: string;
  name?: string;
  granteePrincipal: string;
  retiringPrincipal?: string;
  issuingAccount: string;
  /** KMS operation names (Decrypt, GenerateDataKey, …). */
  operations: string[];
  constraints?: { encryptionContextSubset?: Record<string, string>; encryptionContextEquals?: Record<string, string> };
  creationDate: Date;
}

/** One version of a key's material (rotation adds one; every version still decrypts). */
export interface KmsKeyMaterial {
  id: string;
  key: Buffer;
  createdAt: Date;
  /** How a later version came: automatic or on-demand rotation (the first has none). */
  rotationType?: 'AUTOMATIC' | 'ON_DEMAND';
}

export interface KmsAliasRecord {
  accountId: string;
  region: string;
  /** `alias/…` */
  name: string;
  targetKeyId: string;
  createdAt: Date;
  updatedAt: Date;
}

/** KMS keys (found by id across accounts: a ciphertext names only its key id) and aliases. */
export interface KmsRecords {
  /** Stores the key and its material (the store seals the material). */
  createKey(key: KmsKeyRecord, material: readonly KmsKeyMaterial[]): Promise<void>;
  getKey(keyId: string): Promise<KmsKeyRecord | undefined>;
  /** The key's material versions, oldest first. */
  getMaterial(keyId: string): Promise<KmsKeyMaterial[] | undefined>;
  /** Keys of an account and region in creation order; `after` is an opaque cursor from `next`. */
  listKeys(accountId: string, region: string, opts: { limit: number; after?: string }): Promise<Page<KmsKeyRecord>>;
  /** Applies `change` in one transaction; returns the new record (undefined: no such key). */
  updateKey(keyId: string, change: (k: KmsKeyRecord) => KmsKeyRecord): Promise<KmsKeyRecord | undefined>;
  /** Appends a material version (rotation) and applies `change` to the record, in one transaction. */
  addMaterial(keyId: string, material: KmsKeyMaterial, change: (k: KmsKeyRecord) => KmsKeyRecord): Promise<KmsKeyRecord | undefined>;
  /** Removes the key, its material and its aliases. */
  deleteKey(keyId: string): Promise<boolean>;
  /** Ids of keys pending deletion whose date is at or before `now`. */
  dueForDeletion(now: Date): Promise<string[]>;
  /** Ids of keys with automatic rotation due at or before `now`. */
  dueForRotation(now: Date): Promise<string[]>;
  /** Throws AlreadyExistsError when the name is taken in that account and region. */
  createAlias(alias: KmsAliasRecord): Promise<void>;
  getAlias(accountId: string, region: string, name: string): Promise<KmsAliasRecord | undefined>;
  /** Every alias of the account and region, by name. */
  listAliases(accountId: string, region: string): Promise<KmsAliasRecord[]>;
  /** Points the alias at another key; false when there is no such alias. */
  updateAlias(accountId: string, region: string, name: string, targetKeyId: string, at: Date): Promise<boolean>;
  deleteAlias(accountId: string, region: string, name: string): Promise<boolean>;
}

/** One version of a Secrets Manager secret; its value only as ciphertext (see secrets/sealing). */
export interface SecretVersionRecord {
  versionId: string;
  /** Staging labels (AWSCURRENT, AWSPREVIOUS, AWSPENDING, custom); none: deprecated. */
  stages: string[];
  createdDate: Date;
  lastAccessedDate?: Date;
  /** Which field the value came in: SecretString or SecretBinary. */
  kind: 'string' | 'binary';
  /** The KMS key ARN the data key is encrypted under. */
  kmsKeyArn: string;
  /** The data key, encrypted by KMS (base64). */
  encryptedDataKey: string;
  /** AES-256-GCM of the value under the data key: iv | tag | ciphertext (base64). */
  sealedValue: string;
}

/** A Secrets Manager secret (account, region, name; the ARN adds 6 random characters). */
export interface SecretRecord {
  arn: string;
  accountId: string;
  region: string;
  name: string;
  description?: string;
  /** As the caller gave it (key id, ARN or alias); absent: the AWS managed key aws/secretsmanager. */
  kmsKeyId?: string;
  createdDate: Date;
  lastChangedDate: Date;
  lastAccessedDate?: Date;
  /** While scheduled for deletion: when DeleteSecret was called and when the secret goes. */
  deletedDate?: Date;
  deletionDate?: Date;
  tags: TagRecord[];
  /** Versions, oldest first. */
  versions: SecretVersionRecord[];
}

/** Secrets Manager secrets, by ARN and by name within an account and region. */
export interface SecretsManagerRecords {
  /** Throws AlreadyExistsError when the name is taken in that account and region. */
  create(secret: SecretRecord): Promise<void>;
  get(arn: string): Promise<SecretRecord | undefined>;
  getByName(accountId: string, region: string, name: string): Promise<SecretRecord | undefined>;
  /** Every secret of the account and region, by name. */
  list(accountId: string, region: string): Promise<SecretRecord[]>;
  /** Applies `change` in one transaction; undefined when there is no such secret. `change` may throw to abort. */
  update(arn: string, change: (s: SecretRecord) => SecretRecord): Promise<SecretRecord | undefined>;
  delete(arn: string): Promise<boolean>;
  /** ARNs of secrets scheduled for deletion whose date is at or before `now`. */
  dueForDeletion(now: Date): Promise<string[]>;
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

// ——— ECR pull-through cache (issue 14) ———

/** A pull-through cache rule as stored; absent members were not given. */
export interface PullThroughCacheRuleRecord {
  accountId: string;
  region: string;
  /** `ecrRepositoryPrefix`: a repository name prefix, or `ROOT`. */
  prefix: string;
  upstreamRegistry: string;
  upstreamRegistryUrl: string;
  credentialArn?: string;
  customRoleArn?: string;
  /** ECR-to-ECR only; `ROOT` when not given. */
  upstreamRepositoryPrefix?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface PullThroughCacheTagRecord {
  digest: string;
  checkedAt: Date;
}

export interface PullThroughCacheRecords {
  /** Throws AlreadyExistsError when the prefix has a rule. */
  create(rule: PullThroughCacheRuleRecord): Promise<void>;
  get(accountId: string, region: string, prefix: string): Promise<PullThroughCacheRuleRecord | undefined>;
  /** The registry's rules in prefix order. */
  all(accountId: string, region: string): Promise<PullThroughCacheRuleRecord[]>;
  /** False when there is no rule for its prefix. */
  replace(rule: PullThroughCacheRuleRecord): Promise<boolean>;
  delete(accountId: string, region: string, prefix: string): Promise<PullThroughCacheRuleRecord | undefined>;
  /** When a cached tag was last checked against the upstream, and what it named then. */
  tagChecked(key: RepoKey, tag: string): Promise<PullThroughCacheTagRecord | undefined>;
  recordTagCheck(key: RepoKey, tag: string, check: PullThroughCacheTagRecord): Promise<void>;
}

export interface MetaStore {
  accounts: AccountRecords;
  accessKeys: AccessKeyRecords;
  settings: SettingRecords;
  secrets: SecretRecords;
  repositories: RepositoryRecords;
  images: ImageRecords;
  layers: LayerRecords;
  blobs: BlobRecords;
  uploads: UploadRecords;
  iam: IamRecords;
  resourcePolicies: ResourcePolicyRecords;
  pullTimeExclusions: PullTimeExclusionRecords;
  creationTemplates: CreationTemplateRecords;
  pullThroughCache: PullThroughCacheRecords;
  lifecycle: LifecycleRecords;
  kms: KmsRecords;
  secretsManager: SecretsManagerRecords;
  lambdaFunctions: LambdaFunctionRecords;
  replications: ReplicationRecords;
  signing: SigningRecords;
  ecs: EcsRecords;
  close(): Promise<void>;
}
