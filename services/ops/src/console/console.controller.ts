import { Controller, Get, Header } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@tongban/config';

/** The web console: one static page of vanilla JavaScript that talks to the API with the operator's token. */
@Controller()
export class ConsoleController {
  private page?: string;

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  @Header('content-security-policy', "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:")
  index(): string {
    // Read from the checkout, so source and compiled runs serve the same file.
    this.page ??= readFileSync(join(repoRoot(), 'services/ops/src/console/index.html'), 'utf8');
    return this.page;
  }
}
