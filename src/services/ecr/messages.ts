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
} as const;
