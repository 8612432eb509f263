import { LambdaClient } from '@aws-sdk/client-lambda';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { ecrClient, type Credentials } from './clients.js';
import { iamClient } from './iam.js';
import { buildLambdaImage, type LambdaImage } from './lambda-image.js';
import { loginPassword, Registry } from './registry.js';
import { ROOT, REGION } from './server.js';

export function lambdaClient(url: string, credentials: Credentials = ROOT, region = REGION): LambdaClient {
  return new LambdaClient({ endpoint: url, region, credentials, maxAttempts: 1 });
}

export const LAMBDA_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** An execution role trusting lambda.amazonaws.com (or `trust`). */
export async function makeExecutionRole(url: string, name: string, trust = LAMBDA_TRUST, admin: Credentials = ROOT): Promise<string> {
  const iam = iamClient(url, admin);
  try {
    const { Role } = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
    return Role!.Arn!;
  } finally {
    iam.destroy();
  }
}

/** Creates the repository (if `create`) and pushes the test image under `tag`; returns the image. */
export async function pushLambdaImage(
  port: number,
  url: string,
  repository: string,
  tag: string,
  message: string,
  opts: { create?: boolean; credentials?: Credentials; registryHost?: string } = {},
): Promise<LambdaImage> {
  const credentials = opts.credentials ?? ROOT;
  if (opts.create !== false) {
    const ecr = ecrClient(url, credentials);
    try {
      await ecr.send(new CreateRepositoryCommand({ repositoryName: repository })).catch((e: Error) => {
        if (e.name !== 'RepositoryAlreadyExistsException') throw e;
      });
    } finally {
      ecr.destroy();
    }
  }
  const image = await buildLambdaImage(message);
  const registry = new Registry(port, await loginPassword(url, credentials), opts.registryHost);
  await registry.pushImage(repository, tag, image);
  return image;
}
