export * from './http-error.filter';
