import { defineService } from '@tongban/observability';
import { readDeliveryConfig } from './delivery.config';
import { createDeliveryApp } from './app';

/** The delivery as `main.ts` starts it (loaded once tracing has started). */
export const deliveryService = defineService({
  name: 'delivery',
  readConfig: readDeliveryConfig,
  create: async (config, logger) => {
    const delivery = await createDeliveryApp(config, logger);
    const url = await delivery.start(config.port);
    return { close: () => delivery.close(), facts: { port: config.port, url } };
  },
});
