import { startService } from '@tongban/observability';

// The service's own modules load only once tracing has started (when OTEL_* switch it on), so that the
// instrumentations patch kafkajs, mysql2, ioredis and express as they are first required.
void startService('ops', async () => (await import('./service')).opsService);
