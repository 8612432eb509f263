/**
 * IAM's own words for its errors, in one place (tests assert the whole strings).
 * Sources: moto's iam/exceptions.py and iam/models.py (recorded against AWS), the IAM API
 * reference's error descriptions, and CLI transcripts quoted in public issues, e.g.
 * "An error occurred (NoSuchEntity) when calling the GetUser operation: The user with name x cannot
 * be found." and "(DeleteConflict) … Cannot delete entity, must detach all policies first.".
 * Texts not confirmed by a transcript are marked UNVERIFIED.
 */
export type HolderKind = 'user' | 'role' | 'group';

export const iamTexts = {
  noSuchHolder: (kind: HolderKind, name: string) => `The ${kind} with name ${name} cannot be found.`,
  holderExists: (kind: HolderKind, name: string) =>
    `${kind === 'user' ? 'User' : kind === 'role' ? 'Role' : 'Group'} with name ${name} already exists.`,
  policyExists: (name: string) => `A policy called ${name} already exists. Duplicate names are not allowed.`,
  noSuchInlinePolicy: (kind: HolderKind, policyName: string) => `The ${kind} policy with name ${policyName} cannot be found.`,
  policyNotFound: (arn: string) => `Policy ${arn} was not found.`,
  policyNotAttachable: (arn: string) => `Policy ${arn} does not exist or is not attachable.`,
  policyVersionNotFound: (arn: string, versionId: string) =>
    `Policy ${arn} version ${versionId} does not exist or is not attachable.`,
  boundaryNotAttachable: (arn: string) => `Scope ARN: ${arn} does not exist or is not attachable.`,
  noSuchAccessKey: (id: string) => `The Access Key with id ${id} cannot be found.`,
  mustDeleteAccessKeys: 'Cannot delete entity, must delete access keys first.',
  mustDeletePolicies: 'Cannot delete entity, must delete policies first.',
  mustDetachPolicies: 'Cannot delete entity, must detach all policies first.',
  // UNVERIFIED: the user-side wording of the group-membership conflict.
  mustLeaveGroups: 'Cannot delete entity, must remove user from all groups first.',
  mustRemoveUsers: 'Cannot delete entity, must remove users from group first.',
  policyAttached: 'Cannot delete a policy attached to entities.',
  policyHasVersions:
    "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
  deleteDefaultVersion: 'Cannot delete the default version of a policy.',
  tooManyVersions:
    'A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.',
  accessKeyQuota: 'Cannot exceed quota for AccessKeysPerUser: 2',
  attachedQuota: (kind: HolderKind) => `Cannot exceed quota for PoliciesPer${kind === 'user' ? 'User' : kind === 'role' ? 'Role' : 'Group'}: 10`,
  inlineSizeQuota: (kind: HolderKind, name: string, max: number) => `Maximum policy size of ${max} bytes exceeded for ${kind} ${name}`,
  managedSizeQuota: 'Cannot exceed quota for PolicySize: 6144',
  // UNVERIFIED: IAM's text for a MaxSessionDuration outside 3600–43200 (the model leaves the range to the service).
  maxSessionDuration: (value: number) =>
    `1 validation error detected: Value '${value}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600`,
  awsManagedImmutable: (arn: string) => `Cannot modify an AWS managed policy: ${arn}`,
} as const;
