export * from './economic-check.state-machine';
export * from './economic-check.reactions';
export * from './economic-check.workflow';
