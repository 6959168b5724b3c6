export * from './marriage-registration.state-machine';
