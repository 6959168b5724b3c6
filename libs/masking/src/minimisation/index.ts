export * from './minimisation-policy';
export * from './minimiser';
