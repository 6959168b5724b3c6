export * from './divisions';
export * from './division-code';
export * from './routing-table';
export * from './topic-names';
export * from './id-number';
export * from './certificates';
export * from './formats';
export * from './case-ids';
