export * from './replication-lag';
export * from './mirror-lag.reader';
export * from './mirror-lag.metrics';
