export * from './problem-details';
export * from './http-error.filter';
export * from './request-limits';
export * from './in-flight-limit';
export * from './openapi';
