export * from './kafka-client';
export * from './admin/topics';
export * from './outbox/outbox';
export * from './outbox/outbox-relay';
export * from './failures/dead-letter';
export * from './server/inbox.context';
export * from './server/server-tongban-kafka';
export * from './server/pass-through-rpc.filter';
