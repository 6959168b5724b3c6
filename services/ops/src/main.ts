import { ConfigError } from '@tongban/config';
import { JsonLogger, stopOnSignals } from '@tongban/observability';
import { readOpsConfig } from './ops.config';
import { createOpsApp } from './app';

async function main(): Promise<void> {
  const logger = new JsonLogger('ops');
  let config;
  try {
    config = readOpsConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`ops: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const ops = await createOpsApp(config, logger);
  const url = await ops.start();
  logger.event('info', 'ops listening', { port: config.port, url, database: config.database });
  // SIGTERM or SIGINT: finish what is in flight within TONGBAN_SHUTDOWN_TIMEOUT_MS, then exit regardless.
  stopOnSignals(logger, config.infra.shutdownTimeoutMs, () => ops.close());
}

main().catch((e) => {
  process.stderr.write(`ops failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
