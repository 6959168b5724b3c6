export * from './env-reader';
export * from './common-config';
export * from './repo-paths';
export * from './local-secrets';
export * from './kafka-tls-config';
