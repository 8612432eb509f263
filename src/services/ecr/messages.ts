/**
 * ECR's own words, in one place. Tests assert these whole strings.
 * Sources: ../shared/reference/ecr-behaviour.md §3.3 (public transcripts and moto's exceptions.py).
 */
export const messages = {
  repositoryNotFound: (name: string, registryId: string) =>
    `The repository with name '${name}' does not exist in the registry with id '${registryId}'`,
  repositoryAlreadyExists: (name: string, registryId: string) =>
    `The repository with name '${name}' already exists in the registry with id '${registryId}'`,
  repositoryNotEmpty: (name: string, registryId: string) =>
    `The repository with name '${name}' in registry with id '${registryId}' cannot be deleted because it still contains images`,
  invalidParameter: (member: string, constraint: string) =>
    `Invalid parameter at '${member}' failed to satisfy constraint: '${constraint}'`,
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
  /** Other manifest faults: same envelope, our reason (ECR's wording for these is not known). */
  invalidManifest: (reason: string) => `Invalid parameter at 'ImageManifest' failed to satisfy constraint: '${reason}'`,
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
