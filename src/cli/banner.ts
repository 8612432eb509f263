import { SETTINGS, type Config, type Setting } from '../config.js';

export interface BannerInput {
  /** The endpoint as clients reach it (`App.url`). */
  url: string;
  port: number;
  version: string;
}

/**
 * What a person needs after `simfra` starts: the endpoint, the credentials to export, the
 * /etc/hosts line the registry name needs and the docker login. Printed with readable logs
 * only, so that JSON-line output stays machine-readable.
 */
export function banner(config: Config, { url, port, version }: BannerInput): string {
  const registryName = `${config.defaultAccountId}.dkr.ecr.${config.defaultRegion}.${config.registryDomain}`;
  const registry = `${registryName}:${port}`;
  // The example keys are public; a configured secret is referred to, never printed.
  const secret = config.rootSecretAccessKey === defaultOf('SIMFRA_ROOT_SECRET_ACCESS_KEY') ? config.rootSecretAccessKey : '"$SIMFRA_ROOT_SECRET_ACCESS_KEY"';
  const state = config.dataDir ? `persistent in ${config.dataDir}` : 'in memory, gone when simfra stops (SIMFRA_DATA_DIR keeps it)';
  return [
    '',
    `simfra ${version} is ready: the ECR API, IAM and STS at ${url}`,
    `  registry  ${registry} (also ${new URL(url).host} for account ${config.defaultAccountId} in ${config.defaultRegion})`,
    `  state     ${state}`,
    '',
    `Use it from a shell, as the root of account ${config.defaultAccountId}:`,
    `  export AWS_ACCESS_KEY_ID=${config.rootAccessKeyId}`,
    `  export AWS_SECRET_ACCESS_KEY=${secret}`,
    `  export AWS_REGION=${config.defaultRegion} AWS_DEFAULT_REGION=${config.defaultRegion}`,
    `  export AWS_ENDPOINT_URL=${url}`,
    '  aws ecr create-repository --repository-name my-app',
    '',
    'docker, skopeo, Python and Node do not resolve *.localhost names: add, once, as root:',
    `  echo '${hostsAddress(config.host)} ${registryName}' >> /etc/hosts`,
    'dockerd may still fail to resolve it for ~5 s (Go caches /etc/hosts). Then:',
    `  aws ecr get-login-password | docker login -u AWS --password-stdin ${registry}`,
    '',
    "Every setting: simfra --help. Stop: Ctrl-C.",
    '',
  ].join('\n');
}

/** The address the registry name must resolve to: loopback unless bound to one other address. */
function hostsAddress(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === 'localhost' || host.startsWith('127.')) return '127.0.0.1';
  return host;
}

function defaultOf(name: string): string | undefined {
  return (SETTINGS as readonly Setting[]).find((s) => s.name === name)?.default;
}
