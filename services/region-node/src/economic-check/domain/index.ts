export * from './economic-check.state-machine';
