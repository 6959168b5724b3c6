import { defineService } from '@tongban/observability';
import { readGatewayConfig } from './gateway.config';
import { createGatewayApp } from './app';

/** The gateway as `main.ts` starts it (loaded once tracing has started). */
export const gatewayService = defineService({
  name: 'gateway',
  readConfig: readGatewayConfig,
  create: async (config, logger) => {
    const gateway = await createGatewayApp(config, logger);
    await gateway.app.listen(config.port, '0.0.0.0');
    return { close: () => gateway.close(), facts: { port: config.port } };
  },
});
