export * from './tongban-error';
