/**
 * Lambda's texts, word for word where public transcripts show them — sources: Lambda API reference
 * (error list of each operation) and CLI / SDK / Terraform / CloudFormation transcripts quoted in
 * public issues: "Function not found: arn:…" and "Function already exist: name" (aws-cli, boto3
 * issues), "Source image … does not exist. Provide a valid source image." (aws/aws-cdk#24648),
 * "Source image … is not valid. Provide a valid source image." (ministryofjustice/modernisation-
 * platform#2419), "Lambda does not have permission to access the ECR image. Check the ECR
 * permissions." (aws-samples/bedrock-access-gateway#127, status 403), "Please provide ImageUri when
 * updating a function with packageType Image." (appleboy/lambda-action#28), "Please provide a
 * source for function code." and "Runtime and Handler are mandatory parameters for functions
 * created with deployment packages." (boto/boto3#2705), "The role defined for the function cannot
 * be assumed by Lambda." (Terraform transcripts).
 */
export const texts = {
  functionNotFound: (arn: string) => `Function not found: ${arn}`,
  functionExists: (name: string) => `Function already exist: ${name}`,
  aliasNotFound: (arn: string) => `Alias not found: ${arn}`,
  aliasExists: (arn: string) => `Alias already exists: ${arn}`,
  imageMissing: (uri: string) => `Source image ${uri} does not exist. Provide a valid source image.`,
  imageInvalid: (uri: string) => `Source image ${uri} is not valid. Provide a valid source image.`,
  imageUnsupported: (uri: string) => `The image manifest, config or layer media type for the source image ${uri} is not supported.`,
  imageAccessDenied: 'Lambda does not have permission to access the ECR image. Check the ECR permissions.',
  roleCannotBeAssumed: 'The role defined for the function cannot be assumed by Lambda.',
  provideImageUri: 'Please provide ImageUri when updating a function with packageType Image.',
  provideCode: 'Please provide a source for function code.',
  zipNeedsRuntime: 'Runtime and Handler are mandatory parameters for functions created with deployment packages.',
  zipUnsupported: 'simfra runs container-image functions only: use PackageType=Image with Code.ImageUri naming an image of one of its ECR repositories.',
  imageConfigOnZip: 'ImageConfig is not supported for functions with PackageType Zip.',
  notReady: (state: string) => `The operation cannot be performed at this time. The function is currently in the following state: ${state}`,
  updateInProgress: (arn: string) => `The operation cannot be performed at this time. An update is in progress for resource: ${arn}`,
  sidExists: 'The statement id (sid) provided already exists. Please specify a new statement id, or remove the existing statement.',
  noPolicy: 'The resource you requested does not exist.',
  sidNotFound: (sid: string) => `Statement ${sid} is not found in resource policy.`,
  revisionMismatch: 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
  latestAliasTarget: 'Alias cannot point to $LATEST version.',
  dockerDisabled:
    'simfra cannot run functions: containers are disabled. Start simfra with SIMFRA_DOCKER=true and a reachable Docker Engine (DOCKER_HOST, or /var/run/docker.sock).',
  dockerUnavailable: (why: string) => `simfra cannot run functions: ${why}.`,
  imageDeleted: 'The image of the function is no longer in its repository.',
  engineFailed: (why: string) => `simfra could not run the function in the Docker Engine: ${why}`,
  requestTooLarge: (limit: number) => `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
  responseTooLarge: (size: number) => `Response payload size (${size} bytes) exceeded maximum allowed payload size (6291556 bytes).`,
  timedOut: (at: string, requestId: string, seconds: number) => `${at} ${requestId} Task timed out after ${seconds.toFixed(2)} seconds`,
  runtimeExited: (requestId: string, code: number) => `RequestId: ${requestId} Error: Runtime exited with error: exit status ${code}`,
} as const;
