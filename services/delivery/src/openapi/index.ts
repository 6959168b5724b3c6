export * from './delivery-openapi';
