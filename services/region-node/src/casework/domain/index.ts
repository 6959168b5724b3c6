export * from './casework.types';
export * from './casework.errors';
export * from './deadlines.config';
export * from './state-machine';
export * from './engine';
export * from './workflows';
export * from './reactions';
export { toInstant, addMonths, monthOf, isMonth } from './values';
export * from './case-ownership';
