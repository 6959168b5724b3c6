import { defineService } from '@tongban/observability';
import { readRelayConfig } from './relay.config';
import { createRelayApp } from './app';

/** The relay as `main.ts` starts it (loaded once tracing has started). */
export const relayService = defineService({
  name: 'relay',
  readConfig: readRelayConfig,
  create: async (config, logger) => {
    const relay = await createRelayApp(config, logger);
    await relay.app.listen(config.port, '127.0.0.1');
    return { close: () => relay.close(), facts: { databases: config.databases, port: config.port } };
  },
});
