export * from './data-source';
export * from './applied-event.entity';
export * from './retention';
