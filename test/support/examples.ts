// The bodies of contracts/examples, as the tests post them (`example`): one reader for the tests, the demo and the
// contracts' spec.
export { type EventBody, exampleBody as example, exampleTypes } from '../../tools/contracts/examples';
