export * from './canonical-json';
export * from './audit-schema';
export * from './audit-log';
export * from './disclosure';
export * from './index-coverage';
export * from './merkle';
