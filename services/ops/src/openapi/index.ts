export * from './ops-openapi';
