export * from './api-keys';
export * from './api-key-credentials';
export * from './api-key.store';
export * from './api-key.service';
export * from './rate-limiter';
export * from './local-secrets';
export * from './service-token';
export * from './failed-attempts';
