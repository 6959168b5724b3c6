export * from './funeral-transfer.state-machine';
export * from './funeral-transfer.workflow';
