import { Controller, Get, Header, Inject } from '@nestjs/common';
import { DocsPage } from './docs-page';
import type { OpenApiDocument } from './openapi-document';

export const OPENAPI_DOCUMENT = Symbol('OPENAPI_DOCUMENT');

/** `GET /openapi.json` (the gateway's OpenAPI 3.1 description) and `GET /docs` (the same as a page). No key needed. */
@Controller()
export class OpenApiController {
  private readonly page: string;

  constructor(@Inject(OPENAPI_DOCUMENT) private readonly document: OpenApiDocument) {
    this.page = new DocsPage(document).render();
  }

  @Get('openapi.json')
  openapi(): OpenApiDocument {
    return this.document;
  }

  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  // The page carries its own style and nothing else: no script runs, nothing is fetched.
  @Header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'")
  docs(): string {
    return this.page;
  }
}
