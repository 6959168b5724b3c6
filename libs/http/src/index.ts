export * from './http-error.filter';
export * from './request-limits';
