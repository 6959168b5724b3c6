export * from './disability-subsidy.state-machine';
