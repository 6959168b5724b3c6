export * from './disability-subsidy.state-machine';
export * from './disability-subsidy.reactions';
export * from './disability-subsidy.workflow';
