import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { CompatibilityAnswer, SchemaRegistryService } from '../application/schema-registry.service';
import { parseVersionRef } from '../domain/version-ref';
import { flag } from './registry-http';

/** `/compatibility`: would this schema be accepted, and if not, why. */
@Controller('compatibility')
export class CompatibilityController {
  constructor(private readonly registry: SchemaRegistryService) {}

  @Post('subjects/:subject/versions/:version')
  @HttpCode(200)
  againstVersion(
    @Param('subject') subject: string,
    @Param('version') version: string,
    @Body() body: unknown,
    @Query('verbose') verbose?: string,
  ): Promise<CompatibilityAnswer> {
    return this.registry.testCompatibility(subject, parseVersionRef(version), body, flag(verbose));
  }

  /** Against the versions the subject's mode looks at, like `latest`. */
  @Post('subjects/:subject/versions')
  @HttpCode(200)
  againstSubject(@Param('subject') subject: string, @Body() body: unknown, @Query('verbose') verbose?: string): Promise<CompatibilityAnswer> {
    return this.registry.testCompatibility(subject, 'latest', body, flag(verbose));
  }
}

/** `/` and `/mode`: what some clients ask before anything else. */
@Controller()
export class RootController {
  @Get()
  root(): Record<string, never> {
    return {};
  }

  @Get('mode')
  mode(): { mode: string } {
    return { mode: 'READWRITE' };
  }
}
