export * from './funeral-transfer.state-machine';
