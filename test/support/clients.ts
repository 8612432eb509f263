import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ACCOUNT, REGION, ROOT } from './server.js';

const run = promisify(execFile);

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export function ecrClient(url: string, credentials: Credentials = ROOT, region = REGION): ECRClient {
  return new ECRClient({ endpoint: url, region, credentials, maxAttempts: 1 });
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json<T = Record<string, unknown>>(): T;
}

function awsEnv(credentials: Credentials, region: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ...(credentials.sessionToken ? { AWS_SESSION_TOKEN: credentials.sessionToken } : {}),
    AWS_DEFAULT_REGION: region,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_MAX_ATTEMPTS: '1',
    AWS_PAGER: '',
  };
}

/** Runs the real `aws` CLI against simfra. */
export async function awsCli(url: string, args: string[], credentials: Credentials = ROOT, region = REGION): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run('aws', ['--endpoint-url', url, '--output', 'json', ...args], {
      env: awsEnv(credentials, region),
    });
    return { code: 0, stdout, stderr, json: () => JSON.parse(stdout) };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof err.code === 'number' ? err.code : 1,
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
      json: () => JSON.parse(err.stdout ?? ''),
    };
  }
}

/** Runs a boto3 snippet; `client` is a boto3 client of `service` pointed at simfra. Prints JSON on stdout. */
export async function boto3(
  url: string,
  service: string,
  script: string,
  credentials: Credentials = ROOT,
  region = REGION,
): Promise<unknown> {
  const program = [
    'import boto3, json, sys, datetime',
    'from botocore.exceptions import ClientError',
    `client = boto3.client(${JSON.stringify(service)}, endpoint_url=${JSON.stringify(url)})`,
    'def out(v): print(json.dumps(v, default=str))',
    script,
  ].join('\n');
  const { stdout } = await run('python3', ['-c', program], { env: awsEnv(credentials, region) });
  return JSON.parse(stdout.trim().split('\n').pop() ?? 'null');
}

export const defaultAccount = ACCOUNT;
