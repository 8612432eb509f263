import pino from 'pino';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`simfra: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const log = pino({ level: config.logLevel });
  const app = await createApp(config, { log });
  await app.listen();
  log.info(
    {
      endpoint: app.url,
      registry: `${config.defaultAccountId}.dkr.ecr.${config.defaultRegion}.${config.registryDomain}:${app.port}`,
      account: config.defaultAccountId,
      region: config.defaultRegion,
      state: config.dataDir ? `persistent in ${config.dataDir}` : 'in memory',
    },
    `simfra listening on ${app.url} (account ${config.defaultAccountId}, region ${config.defaultRegion}, state ${config.dataDir ? `in ${config.dataDir}` : 'in memory'})`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'simfra stopping');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`simfra: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
