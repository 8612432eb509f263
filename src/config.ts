import { MIN_PERSISTENCE_KEY_LENGTH } from './store/sealing.js';

/**
 * Every SIMFRA_* setting, typed and validated. The only reader of process.env.
 */
export interface Config {
  /** TCP port of the one server (SIMFRA_PORT, default 4599; 0 picks a free port). */
  port: number;
  /** Bind address (SIMFRA_HOST, default 127.0.0.1: loopback only, safe by default). */
  host: string;
  /**
   * Host names answered beside localhost, loopback addresses, registry hosts and the bind address
   * (SIMFRA_ALLOWED_HOSTS, comma-separated: `name`, `.suffix` or `*.suffix`, `*` for any).
   */
  allowedHosts: string[];
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
}

export class ConfigError extends Error {}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const config: Config = {
    port: intSetting(env, 'SIMFRA_PORT', 4599, 0, 65535),
    host: env.SIMFRA_HOST || '127.0.0.1',
    allowedHosts: (env.SIMFRA_ALLOWED_HOSTS ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter((h) => h !== ''),
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
  if (c.persistenceKey !== undefined && c.persistenceKey.length < MIN_PERSISTENCE_KEY_LENGTH) {
    throw new ConfigError(
      `SIMFRA_PERSISTENCE_KEY must be at least ${MIN_PERSISTENCE_KEY_LENGTH} characters (it was ${c.persistenceKey.length}); ` +
        'use a long random value, e.g. from `openssl rand -base64 32`',
    );
  }
  for (const h of c.allowedHosts) {
    if (!/^(\*|(\*?\.)?[A-Za-z0-9._:[\]-]+)$/.test(h)) {
      throw new ConfigError(`SIMFRA_ALLOWED_HOSTS entries must be host names, '.suffix', '*.suffix' or '*', got '${h}'`);
    }
  }
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
