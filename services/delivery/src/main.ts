import { runService } from '@tongban/observability';
import { readDeliveryConfig } from './delivery.config';
import { createDeliveryApp } from './app';

void runService({
  name: 'delivery',
  readConfig: readDeliveryConfig,
  create: async (config, logger) => {
    const delivery = await createDeliveryApp(config, logger);
    const url = await delivery.start(config.port);
    return { close: () => delivery.close(), facts: { port: config.port, url } };
  },
});
