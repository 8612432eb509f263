import { KMSClient } from '@aws-sdk/client-kms';
import type { Credentials } from './clients.js';
import { REGION, ROOT } from './server.js';

export function kmsClient(url: string, credentials: Credentials = ROOT, region = REGION): KMSClient {
  return new KMSClient({ endpoint: url, region, credentials, maxAttempts: 1 });
}

/** The key policy KMS writes when CreateKey gets none — KMS Developer Guide, "Default key policy". */
export const defaultKeyPolicyText = (accountId: string): string =>
  `{\n  "Version" : "2012-10-17",\n  "Id" : "key-default-1",\n  "Statement" : [ {\n    "Sid" : "Enable IAM User Permissions",\n    "Effect" : "Allow",\n    "Principal" : {\n      "AWS" : "arn:aws:iam::${accountId}:root"\n    },\n    "Action" : "kms:*",\n    "Resource" : "*"\n  } ]\n}`;
