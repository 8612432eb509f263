/**
 * Every SIMFRA_* setting, typed and validated. The only reader of process.env.
 */
export interface Config {
  /** TCP port of the one server (SIMFRA_PORT, default 4599; 0 picks a free port). */
  port: number;
  /** Bind address (SIMFRA_HOST, default 0.0.0.0). */
  host: string;
  /** The account that exists at start and that plain `localhost:{port}/v2/` reaches (SIMFRA_DEFAULT_ACCOUNT_ID). */
  defaultAccountId: string;
  /** The region of plain `localhost:{port}/v2/` and of unscoped requests (SIMFRA_DEFAULT_REGION). */
  defaultRegion: string;
  /** Root credentials of the default account (SIMFRA_ROOT_ACCESS_KEY_ID / SIMFRA_ROOT_SECRET_ACCESS_KEY). */
  rootAccessKeyId: string;
  rootSecretAccessKey: string;
  /** Where state persists; undefined = in memory (SIMFRA_DATA_DIR). */
  dataDir: string | undefined;
  /** Master key material for secrets at rest (SIMFRA_PERSISTENCE_KEY); else `$dataDir/.master_key`. */
  persistenceKey: string | undefined;
  /** Lifetime of GetAuthorizationToken tokens in seconds (SIMFRA_AUTH_TOKEN_TTL_SECONDS, default 12 h as in ECR). */
  authTokenTtlSeconds: number;
  /** Host suffix of registry names: `{account}.dkr.ecr.{region}.{registryDomain}` (SIMFRA_REGISTRY_DOMAIN, default `localhost`). */
  registryDomain: string;
  /** Allowed clock skew for SigV4 in seconds (AWS: 15 minutes). */
  maxClockSkewSeconds: number;
  /** Log level for pino (SIMFRA_LOG_LEVEL: fatal|error|warn|info|debug|silent; default info). */
  logLevel: string;
  /** Enables the Docker-backed parts (SIMFRA_DOCKER=true). */
  docker: boolean;
  /** The Docker Engine: DOCKER_HOST (`unix:///path` or `tcp://host:port`); undefined = /var/run/docker.sock. */
  dockerHost: string | undefined;
  /**
   * Network mode of the containers simfra runs (SIMFRA_DOCKER_NETWORK, default `host`: they reach
   * simfra on 127.0.0.1). Docker Desktop users set e.g. `bridge`; containers then use
   * host.docker.internal.
   */
  dockerNetwork: string;
  /** Most containers one Lambda function configuration runs at once (SIMFRA_LAMBDA_MAX_CONTAINERS, default 8). */
  lambdaMaxContainers: number;
}

export class ConfigError extends Error {}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const config: Config = {
    port: intSetting(env, 'SIMFRA_PORT', 4599, 0, 65535),
    host: env.SIMFRA_HOST || '0.0.0.0',
    defaultAccountId: env.SIMFRA_DEFAULT_ACCOUNT_ID || '000000000000',
    defaultRegion: env.SIMFRA_DEFAULT_REGION || 'us-east-1',
    rootAccessKeyId: env.SIMFRA_ROOT_ACCESS_KEY_ID || 'AKIAIOSFODNN7EXAMPLE',
    rootSecretAccessKey: env.SIMFRA_ROOT_SECRET_ACCESS_KEY || 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    dataDir: env.SIMFRA_DATA_DIR || undefined,
    persistenceKey: env.SIMFRA_PERSISTENCE_KEY || undefined,
    authTokenTtlSeconds: intSetting(env, 'SIMFRA_AUTH_TOKEN_TTL_SECONDS', 12 * 3600, 60, 7 * 24 * 3600),
    registryDomain: env.SIMFRA_REGISTRY_DOMAIN || 'localhost',
    maxClockSkewSeconds: 15 * 60,
    logLevel: env.SIMFRA_LOG_LEVEL || 'info',
    docker: env.SIMFRA_DOCKER === 'true' || env.SIMFRA_DOCKER === '1',
    dockerHost: env.DOCKER_HOST || undefined,
    dockerNetwork: env.SIMFRA_DOCKER_NETWORK || 'host',
    lambdaMaxContainers: intSetting(env, 'SIMFRA_LAMBDA_MAX_CONTAINERS', 8, 1, 1000),
    ...overrides,
  };
  validateConfig(config);
  return config;
}

function validateConfig(c: Config): void {
  if (!/^\d{12}$/.test(c.defaultAccountId)) {
    throw new ConfigError(`SIMFRA_DEFAULT_ACCOUNT_ID must be 12 digits, got '${c.defaultAccountId}'`);
  }
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(c.defaultRegion)) {
    throw new ConfigError(`SIMFRA_DEFAULT_REGION must be a region name such as us-east-1, got '${c.defaultRegion}'`);
  }
  if (!/^[A-Z0-9]{16,128}$/.test(c.rootAccessKeyId)) {
    throw new ConfigError('SIMFRA_ROOT_ACCESS_KEY_ID must be 16-128 upper-case letters or digits');
  }
  if (c.rootSecretAccessKey.length < 16) throw new ConfigError('SIMFRA_ROOT_SECRET_ACCESS_KEY is too short');
  if (!LOG_LEVELS.includes(c.logLevel)) {
    throw new ConfigError(`SIMFRA_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  }
}

function intSetting(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got '${raw}'`);
  }
  return n;
}
