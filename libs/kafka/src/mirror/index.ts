export * from './replication-lag';
export * from './mirror-lag.reader';
