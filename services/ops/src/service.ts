import { defineService } from '@tongban/observability';
import { readOpsConfig } from './ops.config';
import { createOpsApp } from './app';

/** The ops as `main.ts` starts it (loaded once tracing has started). */
export const opsService = defineService({
  name: 'ops',
  readConfig: readOpsConfig,
  create: async (config, logger) => {
    const ops = await createOpsApp(config, logger);
    const url = await ops.start();
    return { close: () => ops.close(), facts: { port: config.port, url, database: config.database } };
  },
});
