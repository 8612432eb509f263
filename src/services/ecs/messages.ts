/**
 * ECS texts, word for word where AWS's are known — sources: ClientException texts quoted in public
 * issues (mongodb/terraform-aws-ecs-task-definition#38 "Fargate requires that 'cpu' be defined at
 * the task level.", aws/amazon-ecs-cli#1145 "Fargate only supports network mode ‘awsvpc’.",
 * aws-games/cloud-game-development-toolkit#737 "No Fargate configuration exists for given values:
 * 1024 CPU, 1024 memory. …", nathanpeck/aws-cloudformation-fargate#1 execution role), the ECS
 * troubleshooting guide ("CannotPullContainer task errors", "Invalid CPU or memory"), and stopped
 * task reasons quoted in /work/shared/reference/ecr-behaviour.md §5.
 */
export const texts = {
  clusterNotFound: 'Cluster not found.',
  serviceNotFound: 'Service not found.',
  taskDefinitionNotFound: 'Unable to describe task definition.',
  runTaskDefinitionNotFound: 'TaskDefinition not found.',
  taskDefinitionInactive: (arn: string) => `TaskDefinition is inactive: ${arn}`,
  fargateNeeds: (field: 'cpu' | 'memory') => `Fargate requires that '${field}' be defined at the task level.`,
  fargateNetworkMode: 'Fargate only supports network mode ‘awsvpc’.',
  fargateCombination: (cpu: number, memory: number) =>
    `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. See the Amazon ECS documentation for the valid values.`,
  invalidTaskCpu: "Invalid 'cpu' setting for task.",
  invalidTaskMemory: "Invalid 'memory' setting for task.",
  containerMemory: (name: string) => `Invalid setting for container '${name}'. At least one of 'memory' or 'memoryReservation' must be specified.`,
  executionRoleForEcr: 'Fargate requires task definition to have execution role ARN to support ECR images.',
  duplicateContainer: (name: string) => `Duplicate container name '${name}'.`,
  dependsOnUnknown: (name: string, dep: string) => `Container '${name}' depends on an unknown container '${dep}'.`,
  noEssential: 'Task definition does not have any essential container.',
  networkConfigurationRequired: "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
  launchTypeUnsupported: (lt: string) => `Task definition does not support launch_type ${lt}.`,
  cannotAssumeRole: (arn: string) =>
    `ECS was unable to assume the role '${arn}' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.`,
  serviceExists: 'Creation of service was not idempotent.',
  serviceNotActive: 'Service was not ACTIVE.',
  deleteScaledService: 'The service cannot be stopped while it is scaled above 0.',
  clusterHasServices: 'The Cluster cannot be deleted while Services are active.',
  clusterHasTasks: 'The Cluster cannot be deleted while Tasks are active.',
  taskNotFound: 'The referenced task was not found.',
  deleteActiveTaskDefinition: 'The specified task definition is still in ACTIVE status. Please deregister the target and try again.',
  unknownResource: 'The specified resource is not found.',
  invalidArn: (arn: string) => `Invalid ARN: ${arn}`,
  countRange: 'count must be between 1 and 10.',
  containerNameImage: 'Container.name and Container.image should not be null or empty.',
  revisionRequired: 'Revision must be specified.',
  taskDefinitionMissing: 'The specified task definition does not exist.',
  taskDefinitionRequired: 'TaskDefinition must be specified.',
  // Service events and deployments.
  rolloutInProgress: 'ECS deployment ecs-svc in progress.',
  rolloutCompleted: 'ECS deployment ecs-svc completed.',
  eventStarted: (ids: string[]) => `has started ${ids.length} tasks: ${ids.map((id) => `(task ${id})`).join(' ')}.`,
  eventStopped: (ids: string[]) => `has stopped ${ids.length} running tasks: ${ids.map((id) => `(task ${id})`).join(' ')}.`,
  eventSteady: 'has reached a steady state.',
  breakerTripped: 'ECS deployment circuit breaker: tasks failed to start.',
  eventDeploymentFailed: (id: string) => `deployment ${id} deployment failed: tasks failed to start.`,
  eventRollingBack: (id: string) => `rolling back to deployment ${id}.`,
  replacedByDeployment: (id: string) => `Task stopped by deployment ${id}`,
  // Stopped tasks.
  essentialExited: 'Essential container in task exited',
  userStopped: 'Task stopped by user',
  restarted: 'Task stopped because simfra stopped while it ran; its containers were removed',
  scaledIn: 'Scaling activity initiated by (deployment ecs-svc/%s)',
  dockerDisabled:
    'simfra runs no containers: the image pull was allowed, but containers run only when simfra starts with SIMFRA_DOCKER=true and a Docker Engine (the /var/run/docker.sock socket or DOCKER_HOST)',
  dockerUnavailable: (why: string) => `simfra runs no containers: SIMFRA_DOCKER=true but ${why}; restart simfra once the engine is reachable`,
  notEcrImage: (image: string) =>
    `CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref ${image}: simfra pulls only images of its own ECR ({account}.dkr.ecr.{region}.amazonaws.com/{repository}:{tag} or its registry host)`,
  pullNotFound: (ref: string) => `CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref ${ref}: ${ref}: not found`,
  pullForbidden: (ref: string, account: string, region: string, repo: string, reference: string) =>
    `CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref ${ref}: unexpected status from HEAD request to https://${account}.dkr.ecr.${region}.amazonaws.com/v2/${repo}/manifests/${reference}: 403 Forbidden`,
  registryAuth: (denial: string) =>
    `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 1 time(s): AccessDeniedException: ${denial}`,
  containerStartFailed: (name: string, why: string) => `CannotStartContainerError: Error response from daemon: failed to create task for container ${name}: ${why}`,
  dependencyFailed: (name: string, dep: string) => `DependencyViolation: container ${name} did not start because its dependency ${dep} did not meet its condition`,
} as const;
