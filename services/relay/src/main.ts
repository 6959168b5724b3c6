import { ConfigError } from '@tongban/config';
import { JsonLogger, stopOnSignals } from '@tongban/observability';
import { readRelayConfig } from './relay.config';
import { createRelayApp } from './app';

async function main(): Promise<void> {
  let config;
  try {
    config = readRelayConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`relay: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const logger = new JsonLogger('relay');
  const relay = await createRelayApp(config, logger);
  await relay.app.listen(config.port, '127.0.0.1');
  logger.event('info', 'relay started', { databases: config.databases, port: config.port });
  // SIGTERM or SIGINT: finish what is in flight within TONGBAN_SHUTDOWN_TIMEOUT_MS, then exit regardless.
  stopOnSignals(logger, config.infra.shutdownTimeoutMs, () => relay.close());
}

main().catch((e) => {
  process.stderr.write(`relay failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
