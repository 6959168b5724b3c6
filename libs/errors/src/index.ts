export * from './codes';
export * from './tongban-error';
export * from './dependency-failure';
