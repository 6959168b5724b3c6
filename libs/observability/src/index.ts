export * from './json-logger';
export * from './metrics';
export * from './health';
export * from './ops-controller';
export * from './http-metrics';
export * from './shutdown';
export * from './run-service';
export * from './tracing';
