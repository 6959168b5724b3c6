import { defineService } from '@tongban/observability';
import { readRegionNodeConfig } from './region-node.config';
import { createRegionNodeApp } from './app';

/** The region-node as `main.ts` starts it (loaded once tracing has started). */
export const regionNodeService = defineService({
  name: 'region-node',
  readConfig: readRegionNodeConfig,
  region: (config) => config.region,
  create: async (config, logger) => {
    const node = await createRegionNodeApp(config, logger);
    await node.start();
    return { close: () => node.close(), facts: { port: config.port } };
  },
});
