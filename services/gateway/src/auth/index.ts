export * from './gateway-auth';
export * from './api-keys.admin.controller';
export * from './1765000000000-api-keys';
