export * from './problem-details';
export * from './http-error.filter';
export * from './request-limits';
export * from './in-flight-limit';
export * from './openapi';
// Checks of OpenAPI documents, for the services' specs and the tests that fetch the documents.
export * from './openapi.testing';
