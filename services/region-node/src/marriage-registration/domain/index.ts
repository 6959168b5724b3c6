export * from './marriage-registration.state-machine';
export * from './marriage-registration.reactions';
export * from './marriage-registration.workflow';
