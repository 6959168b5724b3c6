export * from './tongban-error';
export * from './dependency-failure';
