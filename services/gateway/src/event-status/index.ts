export * from './event-status';
export * from './event-status.controller';
export * from './1767000000000-accepted-event-office';
export * from './transit';
export * from './node-outcomes';
