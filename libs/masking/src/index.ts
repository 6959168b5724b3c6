export * from './masking';
export * from './minimisation';
