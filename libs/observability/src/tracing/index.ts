export * from './tracing.config';
export * from './start-tracing';
export * from './trace-context';
