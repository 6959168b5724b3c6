export * from './openapi-document';
export * from './docs-page';
export * from './openapi.controller';
