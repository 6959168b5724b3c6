export * from './pii-kinds';
export * from './schema-walker';
export * from './schema-masker';
