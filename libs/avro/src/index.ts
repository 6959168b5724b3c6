export * from './schema/logical-types';
export * from './schema/schema-catalogue';
export * from './wire/wire-errors';
export * from './wire/wire-format';
export * from './wire/registry-client';
export * from './wire/avro-codec';
export * from './validation/record-validator';
export * from './generated/events';
