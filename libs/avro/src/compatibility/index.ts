export * from './avro-schema';
export * from './canonical-form';
export * from './schema-resolution';
export * from './compatibility-mode';
