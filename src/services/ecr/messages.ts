/**
 * ECR's own words, in one place. Tests assert these whole strings.
 * Sources: ../shared/reference/ecr-behaviour.md §3.3 (public transcripts and moto's exceptions.py).
 */
import type { LifecyclePolicyViolation } from '../../images/lifecycle/policy.js';

export const messages = {
  repositoryNotFound: (name: string, registryId: string) =>
    `The repository with name '${name}' does not exist in the registry with id '${registryId}'`,
  repositoryAlreadyExists: (name: string, registryId: string) =>
    `The repository with name '${name}' already exists in the registry with id '${registryId}'`,
  repositoryNotEmpty: (name: string, registryId: string) =>
    `The repository with name '${name}' in registry with id '${registryId}' cannot be deleted because it still contains images`,
  invalidParameter: (member: string, constraint: string) =>
    `Invalid parameter at '${member}' failed to satisfy constraint: '${constraint}'`,
  // UNVERIFIED: ECR refuses a destination equal to the source registry and region, and more than
  // 25 unique destinations, with InvalidParameterException; its exact words are not published.
  replicationToSelf: () =>
    `Invalid parameter at 'replicationConfiguration' failed to satisfy constraint: 'Replication destination cannot be the same as the source registry and region'`,
  replicationTooManyDestinations: (max: number) =>
    `Invalid parameter at 'replicationConfiguration' failed to satisfy constraint: 'Replication configuration cannot contain more than ${max} unique destinations'`,
  // ——— managed signing (issue 14) ———
  // UNVERIFIED: ECR's text for a registry without a signing configuration is not published; this
  // follows its registry-policy wording.
  signingConfigurationNotFound: (registryId: string) => `Signing configuration does not exist in the registry with id '${registryId}'`,
  // UNVERIFIED: ECR documents no failure codes or reasons for managed signing; simfra's own.
  signingProfileNotFound: (arn: string) =>
    `The signing profile ${arn} was not found: simfra has no AWS Signer, and treats only profiles in the registry's own account and region as existing`,
  signingImageGone: (digest: string) => `The image ${digest} was deleted before it could be signed`,
  signingFailed: (detail: string) => `Signing failed: ${detail}`,
  tooManyTags: (count: number) =>
    `Tag limit exceeded: the resource can have at most 50 tags, the request would leave it with ${count}`,
  invalidResourceArn: (arn: string) => `Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN: ${arn}'`,

  // ——— repository and registry policies ———
  /** — source: aws-controllers-k8s/community#1873 (CLI transcript) */
  repositoryPolicyNotFound: (name: string, registryId: string) =>
    `Repository policy does not exist for the repository with name '${name}' in the registry with id '${registryId}'`,
  /** — source: ecr-behaviour.md §3.3 (moto), same form as the repository text */
  registryPolicyNotFound: (registryId: string) => `Registry policy does not exist in the registry with id '${registryId}'`,
  /** — source: aegea#16, aws-cdk#3583, awsdocs/amazon-ecr-user-guide#20 (a `Resource` element, a bad principal) */
  invalidRepositoryPolicy: "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'",
  /** — source: pulumi/pulumi-aws#2326 (repository actions in a V1-scope registry policy) */
  invalidRegistryPolicy: "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid registry policy provided'",
  /** A user or role principal that does not exist — source: hashicorp/terraform-provider-aws#39064 (SetRepositoryPolicy). */
  principalNotFound: "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Principal not found'",
  /** UNVERIFIED wording: the model documents only that `force` is needed to lock oneself out. */
  repositoryPolicyLockOut:
    "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'The repository policy would prevent the caller from setting another policy in the future; set force to override'",

  // ——— images and layers (registry texts too: docker prints them) ———
  /** — source: moto exceptions.py, ecr-behaviour.md §3.3 */
  imageNotFound: (imageDigest: string | undefined, imageTag: string | undefined, name: string, registryId: string) =>
    `The image with imageId {imageDigest:'${imageDigest ?? 'null'}', imageTag:'${imageTag ?? 'null'}'} does not exist within the repository with name '${name}' in the registry with id '${registryId}'`,
  /** The registry's MANIFEST_UNKNOWN text — source: docker pull transcripts ("manifest unknown: Requested image not found"). */
  requestedImageNotFound: 'Requested image not found',
  /** — source: aws/containers-roadmap#862 (docker push to an immutable tag) */
  imageTagAlreadyExists: (tag: string, name: string) =>
    `The image tag '${tag}' already exists in the '${name}' repository and cannot be overwritten because the repository is immutable.`,
  /** Same shape as the manifest-list text below (an inference from it, not a capture). */
  layersNotFoundForPush: (digests: readonly string[], name: string, registryId: string) =>
    `Layers with digests '[${digests.join(', ')}]' required for pushing image into repository with name '${name}' in the registry with id '${registryId}' do not exist`,
  /** — source: int128/docker-manifest-create-action#63 (docker manifest push to ECR) */
  referencedImagesNotFound: (digests: readonly string[], name: string, registryId: string) =>
    `Images with digests '[${digests.join(', ')}]' required for pushing image into repository with name '${name}' in the registry with id '${registryId}' do not exist`,
  /** — source: ecr-behaviour.md §3.3 (GetDownloadUrlForLayer; exact quoting unconfirmed) */
  layerNotFound: (digest: string, name: string, registryId: string) =>
    `The layer with digest ${digest} does not exist within the repository with name '${name}' in the registry with id '${registryId}'`,
  /** Unconfirmed wording; the model documents only the meaning. */
  uploadNotFound: (uploadId: string, name: string, registryId: string) =>
    `Upload with id '${uploadId}' does not exist in the repository with name '${name}' in the registry with id '${registryId}'`,
  /** — source: the ECR model's documentation of InvalidLayerPartException */
  invalidLayerPart:
    'The layer part size is not valid, or the first byte specified is not consecutive to the last byte of a previous layer part upload.',
  /** — source: the ECR model's documentation of InvalidLayerException */
  invalidLayer: (expected: string, actual: string) =>
    `The layer digest calculation performed by Amazon ECR upon receipt of the image layer does not match the digest specified: expected ${expected}, computed ${actual}`,
  /** — source: the ECR model's documentation of ImageDigestDoesNotMatchException */
  imageDigestDoesNotMatch: (expected: string, actual: string) =>
    `The specified image digest ${expected} does not match the digest that Amazon ECR calculated for the image: ${actual}`,
  /** BatchDeleteImage's failureReason for ImageReferencedByManifestList (wording unconfirmed). */
  imageReferencedByManifestList: (parents: readonly string[]) => `Requested image referenced by manifest list: [${parents.join(', ')}]`,

  // ——— image API (issue 4) ———
  /**
   * PutImage of a manifest ECR cannot read (bad JSON, or no `mediaType` and no
   * imageManifestMediaType) — source: aws/aws-cli#8620, aws/aws-sdk#193, aws/containers-roadmap#1873.
   */
  invalidManifestJson: "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'",
  /**
   * Valid JSON without `mediaType`, and no imageManifestMediaType: ECR answers the same "Invalid
   * JSON syntax" (sources above); simfra keeps that text whole, so what matches on it still does,
   * and adds the real reason after it.
   */
  manifestWithoutMediaType:
    "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax' (the manifest has no mediaType field and the request no imageManifestMediaType; name the manifest's type in imageManifestMediaType)",
  /** Other manifest faults: same envelope, our reason (ECR's wording for these is not known). */
  invalidManifest: (reason: string) => `Invalid parameter at 'ImageManifest' failed to satisfy constraint: '${reason}'`,
  /** simfra's wording in ECR's InvalidParameterException form (no ECR text for this case is published). */
  manifestSizeMismatch: (digest: string, declared: number, actual: number) =>
    `Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Size of ${digest} is ${declared} in the manifest but ${actual} in the repository'`,
  /** — source: moto exceptions.py (ImageAlreadyExistsException); `null` when no tag was given, as ECR writes absent ids. */
  imageAlreadyExists: (digest: string, tag: string | undefined, name: string, registryId: string) =>
    `Image with digest '${digest}' and tag '${tag ?? 'null'}' already exists in the repository with name '${name}' in registry with id '${registryId}'`,
  /** UNVERIFIED wording, in the form of the repositoryNames rule of DescribeRepositories. */
  imageIdsWithPaging: "Invalid parameter at 'maxResults' failed to satisfy constraint: 'maxResults and nextToken cannot be specified with imageIds'",
  /** UNVERIFIED wording (tag grammar of the distribution spec, ECR's 300-character limit). */
  invalidImageTag: "Invalid parameter at 'imageTag' failed to satisfy constraint: 'must satisfy regular expression '[a-zA-Z0-9_][a-zA-Z0-9._-]{0,299}''",
  /** Batch failure reasons — source: moto models.py (BatchGetImage / BatchDeleteImage), ecr-behaviour.md §3.3. */
  failure: {
    imageNotFound: 'Requested image not found',
    missingDigestAndTag: 'Invalid request parameters: both tag and digest cannot be null',
    invalidImageDigest: "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
    /** UNVERIFIED wording. */
    invalidImageTag: "Invalid request parameters: image tag should satisfy the regex '[a-zA-Z0-9_][a-zA-Z0-9._-]{0,299}'",
    /** UNVERIFIED wording. */
    tagDoesNotMatchDigest: 'Invalid request parameters: image tag and digest do not match',
    /** UNVERIFIED wording (BatchCheckLayerAvailability). */
    invalidLayerDigest: (digest: string) => `Invalid layer digest: '${digest}'`,
    /** UNVERIFIED wording (BatchCheckLayerAvailability). */
    missingLayerDigest: 'Layer digest cannot be empty',
  },
  /** — source: the ECR model's documentation of ImageArchivedException */
  imageArchived: 'The specified image is archived and cannot be scanned.',
  /** — source: the ECR model's documentation of UnsupportedImageTypeException */
  unsupportedImageType: 'The image is of a type that cannot be scanned.',
  /** — source: moto exceptions.py (LimitExceededException of StartImageScan); the limit is the model's ("once per 24 hours") */
  scanQuotaExceeded: 'The scan quota per image has been exceeded. Wait and try again.',
  /** — source: moto exceptions.py (ScanNotFoundException) */
  scanNotFound: (imageDigest: string | undefined, imageTag: string | undefined, name: string, registryId: string) =>
    `Image scan does not exist for the image with '{imageDigest:'${imageDigest ?? 'null'}', imageTag:'${imageTag ?? 'null'}'}' in the repository with name '${name}' in the registry with id '${registryId}'`,
  /** UNVERIFIED wording: the model says BASIC scanning supports SCAN_ON_PUSH (and MANUAL) only. */
  continuousScanNeedsEnhanced: 'CONTINUOUS_SCAN is only supported with the ENHANCED scan type; BASIC scanning supports SCAN_ON_PUSH.',
  /** The description of a completed basic scan: ECR's sentence, then why there are no findings. */
  scanComplete:
    'The scan was completed successfully. simfra has no vulnerability database, so no findings are reported (an empty result is not a clean bill of health).',
  /** The UNSUPPORTED_IMAGE description of a scan — source: aws/containers-roadmap#970, #2644 (console and API text). */
  scanUnsupported: 'UnsupportedImageError: The operating system and/or package manager are not supported.',
  /** — source: the ECR model's documentation of LayerPartTooSmallException; text: dotnet/sdk-container-builds#424 (CloudTrail) */
  layerPartTooSmall: 'All layer parts except the last part should be at least 5MB',
  /** — source: the ECR model's documentation of EmptyUploadException */
  emptyUpload: 'The specified layer upload does not contain any layer parts.',
  /** — source: ECR's registry answer to a chunked upload whose digest differs (dotnet/sdk-container-builds#472) */
  layerDigestsDoNotMatch: 'None of the provided layer digests match the calculated layer digest',
  /** UNVERIFIED wording; the model documents only the meaning of LayerAlreadyExistsException. */
  layerAlreadyExists: (digest: string, name: string, registryId: string) =>
    `The layer with digest ${digest} already exists in the repository with name '${name}' in the registry with id '${registryId}'`,
  /** UNVERIFIED wording (UploadLayerPart with partLastByte before partFirstByte, or a blob of another length). */
  invalidLayerPartRange: (first: number, last: number, length: number) =>
    `The layer part ${first}-${last} does not match the ${length} bytes sent`,
  /** — source: the ECR model's documentation of LayerInaccessibleException */
  layerInaccessible: 'The specified layer is not available because it is not associated with an image. Unassociated image layers may be cleaned up at any time.',
  /** UNVERIFIED wording: a layer only archived images use. */
  layerArchived: 'The specified layer is not available because the images that use it are archived.',
  /** UNVERIFIED wording: ECR documents no rule; simfra refuses an archive while a restore runs. */
  storageClassUpdateNotSupported: (status: string) =>
    `The requested image storage class update is not supported for an image with status ${status}.`,

  // ——— pull-time update exclusions (issue 13) ———
  /** UNVERIFIED wording; the model documents only the meaning of ExclusionAlreadyExistsException. */
  exclusionAlreadyExists: (principalArn: string, registryId: string) =>
    `The pull time update exclusion for principal '${principalArn}' already exists in the registry with id '${registryId}'`,
  /** UNVERIFIED wording; the model documents only the meaning of ExclusionNotFoundException. */
  exclusionNotFound: (principalArn: string, registryId: string) =>
    `The pull time update exclusion for principal '${principalArn}' does not exist in the registry with id '${registryId}'`,
  /** UNVERIFIED wording; the limit is the user guide's ("up to 100 exclusions per account"). */
  exclusionLimitExceeded: (limit: number) => `The registry already has the maximum of ${limit} pull time update exclusions.`,

  // ——— repository creation templates (issue 13) ———
  /** UNVERIFIED wording; the model documents only the meaning of TemplateAlreadyExistsException. */
  templateAlreadyExists: (prefix: string, registryId: string) =>
    `Repository creation template with prefix '${prefix}' already exists in the registry with id '${registryId}'`,
  /** UNVERIFIED wording; the model documents only the meaning of TemplateNotFoundException. */
  templateNotFound: (prefix: string, registryId: string) =>
    `Repository creation template with prefix '${prefix}' does not exist in the registry with id '${registryId}'`,
  /** UNVERIFIED wording: a template must apply to at least one scenario. */
  templateAppliedForEmpty: 'appliedFor must list at least one of REPLICATION, PULL_THROUGH_CACHE, CREATE_ON_PUSH',
  /** UNVERIFIED wording: "This role must be in the same account as the registry" — ECR API reference. */
  templateInvalidCustomRole: (arn: string) =>
    `Invalid parameter at 'customRoleArn' failed to satisfy constraint: 'customRoleArn must be the ARN of an IAM role in the registry's account: ${arn}'`,
  // ——— lifecycle policies (issue 9) ———
  /** — source: ecr-behaviour.md §3.3 (moto; same form as the repository policy text) */
  lifecyclePolicyNotFound: (name: string, registryId: string) =>
    `Lifecycle policy does not exist for the repository with name '${name}' in the registry with id '${registryId}'`,
  /** UNVERIFIED wording, in the form of lifecyclePolicyNotFound; the model says "There is no dry run for this repository". */
  lifecyclePolicyPreviewNotFound: (name: string, registryId: string) =>
    `Lifecycle policy preview does not exist for the repository with name '${name}' in the registry with id '${registryId}'`,
  /** UNVERIFIED wording, after the model's documentation of LifecyclePolicyPreviewInProgressException. */
  lifecyclePolicyPreviewInProgress: (name: string, registryId: string) =>
    `The previous lifecycle policy preview request for the repository with name '${name}' in the registry with id '${registryId}' has not completed. Wait and try again.`,
  /**
   * Every refused policy text: this envelope around a reason — source: ecr-behaviour.md §3.3,
   * hashicorp/terraform-provider-aws#45909, cloudposse/terraform-aws-ecr#158 (PutLifecyclePolicy
   * transcripts).
   */
  invalidLifecyclePolicy: (reason: string) =>
    `Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: ${reason}'`,
  /** `imageIds` with paging in GetLifecyclePolicyPreview. UNVERIFIED wording (as DescribeImages'). */
  previewImageIdsWithPaging:
    "Invalid parameter at 'maxResults' failed to satisfy constraint: 'maxResults and nextToken cannot be specified with imageIds'",
  // ——— KMS-encrypted repositories (issue 10) ———
  /**
   * KmsException carries the KMS exception's name in `kmsError` and KMS's own text as its message
   * (kms/messages.ts). AWS services that call KMS for a caller relay the text, in Java-SDK form
   * with a "(Service: AWSKMS; Status Code: 400; Error Code: …; Request ID: …)" suffix (SSM, in
   * cloudposse/docs#152); whether ECR appends that suffix is UNVERIFIED, so simfra relays the
   * text alone.
   */
  kmsError: (kmsMessage: string) => kmsMessage,
} as const;

const jsonList = (names: readonly string[]): string => `[${names.map((n) => JSON.stringify(n)).join(',')}]`;

/**
 * The reason of a refused lifecycle policy, in ECR's words. The schema messages are those of the
 * JSON schema validator ECR runs; where a text was captured from ECR the source is named.
 */
export function lifecyclePolicyViolation(v: LifecyclePolicyViolation): string {
  switch (v.kind) {
    case 'unreadable':
      // — source: moto's validator tests (not JSON, or not an object)
      return 'Could not map policyString into LifecyclePolicy.';
    case 'missing-properties':
      // — source: moto's validator tests (one name); UNVERIFIED: how several names are listed.
      return `object has missing required properties (${jsonList(v.names)})`;
    case 'unknown-properties':
      // — source: moto's validator tests (one name); UNVERIFIED: how several names are listed.
      return `object instance has properties which are not allowed by the schema: (${jsonList(v.names)})`;
    case 'wrong-type':
      // — source: moto's validator tests (a rule that is not an object)
      return `instance type (${v.found}) does not match any allowed primitive type (allowed: ["${v.allowed}"])`;
    case 'not-in-enum':
      // UNVERIFIED punctuation: moto writes `instance value (unknown) not found in enum :(possible values: […])`.
      return `instance value (${JSON.stringify(v.value)}) not found in enum (possible values: ${jsonList(v.allowed)})`;
    case 'below-minimum':
      // — source: moto's validator tests (countNumber 0 and -1)
      return `numeric instance is lower than the required minimum (minimum: ${v.minimum}, found: ${v.found})`;
    case 'too-few-items':
      // UNVERIFIED: the JSON schema validator's minItems message.
      return `array is too short: must have at least ${v.minimum} elements but instance has ${v.found} elements`;
    case 'no-schema-matched':
      // — source: hashicorp/terraform-provider-aws#45909 ("(matched 0 out of 4)\n" for a selection),
      // cloudposse/terraform-aws-ecr#158 ("(matched 0 out of 2)" for an action); ECR ends it with a newline.
      return `instance failed to match exactly one schema (matched 0 out of ${v.schemas})\n`;
    case 'tagged-without-tag-list':
      // — source: a user's `terraform apply` transcript quoted in a project's notes (one capture only).
      return 'Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED.';
    case 'tag-list-without-tagged':
      // UNVERIFIED wording; the rule is the user guide's ("If you specify untagged, then you must omit both").
      return 'tagPrefixList and tagPatternList can only be specified when tagStatus=TAGGED.';
    case 'both-tag-lists':
      // UNVERIFIED wording; the user guide: tagPrefixList is "only used if … you aren't specifying tagPatternList".
      return 'Only one of tagPrefixList and tagPatternList can be specified.';
    case 'too-many-wildcards':
      // UNVERIFIED wording; the limit is the user guide's ("up to four wildcards (*) per string").
      return `A tagPatternList entry can contain at most 4 wildcards (*): '${v.pattern}'.`;
    case 'duplicate-priority':
      // UNVERIFIED wording; the user guide: "you must give them each a unique value for rulePriority".
      return `Rule priorities must be unique; ${v.priority} is used more than once.`;
    case 'untagged-twice':
      // — source: two Terraform transcripts ("… per storage class."; before storage classes: "Only one rule can select Untagged images.")
      return 'Only one rule can select Untagged images per storage class.';
    case 'any-not-last':
      // — source: a `terraform apply` transcript quoted in a project's troubleshooting notes.
      return 'Rule for tagStatus=ANY must have the lowest priority per storage class';
    case 'transition-of-archived':
      // UNVERIFIED wording; the user guide allows `transition` (to archive) for standard images only.
      return 'A rule that selects archived images (storageClass=ARCHIVE) can only expire them.';
  }
}


// ——— pull-through cache rules (issue 14) ———
/**
 * Texts of the pull-through cache operations. Only `unsupportedUpstreamUrl` is sourced from a
 * transcript (goharbor/harbor#20174, CreatePullThroughCacheRule against AWS); the others are
 * UNVERIFIED wordings in the forms of ECR's other texts, after the model's documentation.
 */
export const ptcMessages = {
  ruleAlreadyExists: (prefix: string, registryId: string) =>
    `Pull through cache rule with prefix '${prefix}' already exists in the registry with id '${registryId}'`,
  ruleNotFound: (prefix: string, registryId: string) =>
    `Pull through cache rule with prefix '${prefix}' does not exist in the registry with id '${registryId}'`,
  /** — source: goharbor/harbor#20174 (an AWS CLI transcript) */
  unsupportedUpstreamUrl: (url: string) =>
    `The upstream registry URL ${url} is invalid. Specify a valid upstream registry URL and try again`,
  /** UNVERIFIED wording; the quota (50 rules per registry) is the ECR service quotas page's. */
  limitExceeded: (limit: number, registryId: string) =>
    `The maximum number of pull through cache rules (${limit}) has been reached for the registry with id '${registryId}'`,
  urlNotOfRegistry: (url: string, upstreamRegistry: string) =>
    `The upstream registry URL ${url} does not match the upstream registry ${upstreamRegistry}. Specify a valid upstream registry URL and try again`,
  credentialRequired: (upstreamRegistry: string) =>
    `Invalid parameter at 'credentialArn' failed to satisfy constraint: 'A credentialArn is required for the upstream registry ${upstreamRegistry}'`,
  credentialNotAllowed: (upstreamRegistry: string) =>
    `Invalid parameter at 'credentialArn' failed to satisfy constraint: 'A credentialArn cannot be specified for the upstream registry ${upstreamRegistry}'`,
  credentialElsewhere: (arn: string) =>
    `Invalid parameter at 'credentialArn' failed to satisfy constraint: 'The secret ${arn} must be in the same account and Region as the pull through cache rule'`,
  onlyForEcr: (member: string) =>
    `Invalid parameter at '${member}' failed to satisfy constraint: '${member} can only be specified when the upstream registry is ecr'`,
  upstreamPrefixWithRoot:
    "Invalid parameter at 'upstreamRepositoryPrefix' failed to satisfy constraint: 'upstreamRepositoryPrefix can only be specified when ecrRepositoryPrefix is not ROOT'",
  rootOnlyForEcr:
    "Invalid parameter at 'ecrRepositoryPrefix' failed to satisfy constraint: 'ROOT can only be specified when the upstream registry is ecr'",
  customRoleRequired:
    "Invalid parameter at 'customRoleArn' failed to satisfy constraint: 'A customRoleArn is required when the upstream registry is in another account'",
  customRoleInvalid: (arn: string) =>
    `Invalid parameter at 'customRoleArn' failed to satisfy constraint: 'customRoleArn must be the ARN of an IAM role in the registry's account: ${arn}'`,
  upstreamIsSelf:
    "Invalid parameter at 'upstreamRegistryUrl' failed to satisfy constraint: 'The upstream registry cannot be the registry of the rule'",
  updateNothing:
    "Invalid parameter at 'credentialArn' failed to satisfy constraint: 'Specify a credentialArn or a customRoleArn to update'",
  secretNotFound: (arn: string) => `The secret ${arn} could not be found`,
  secretUndecryptable: (arn: string) => `The secret ${arn} could not be decrypted`,
  secretUnreadable: (arn: string) =>
    `The secret ${arn} could not be used: it must hold a JSON object with the keys username and accessToken`,
  /** UNVERIFIED wording, after the model's documentation of UnableToGetUpstreamImageException. */
  unableToGetUpstreamImage: (upstreamUrl: string) =>
    `The image or images were unable to be pulled using the pull through cache rule for the upstream registry ${upstreamUrl}; check the credentials in its Secrets Manager secret`,
  // ValidatePullThroughCacheRule's `failure` texts.
  validateFailed: (detail: string) => `Unable to authenticate with the upstream registry: ${detail}`,
  validateRole: (arn: string) => `Unable to assume the role ${arn}`,
} as const;
