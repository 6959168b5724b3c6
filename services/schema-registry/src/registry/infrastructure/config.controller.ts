import { Body, Controller, Delete, Get, Param, Put, Query } from '@nestjs/common';
import { SchemaRegistryService } from '../application/schema-registry.service';
import { flag } from './registry-http';

/** `/config`: compatibility levels, global and per subject. GET answers `compatibilityLevel`, PUT `compatibility`. */
@Controller('config')
export class ConfigController {
  constructor(private readonly registry: SchemaRegistryService) {}

  @Get()
  async global(): Promise<{ compatibilityLevel: string }> {
    return { compatibilityLevel: await this.registry.globalCompatibility() };
  }

  @Put()
  setGlobal(@Body() body: unknown): Promise<{ compatibility: string }> {
    return this.registry.setCompatibility(undefined, body);
  }

  @Get(':subject')
  async subject(@Param('subject') subject: string, @Query('defaultToGlobal') defaultToGlobal?: string): Promise<{ compatibilityLevel: string }> {
    return { compatibilityLevel: await this.registry.subjectCompatibility(subject, flag(defaultToGlobal)) };
  }

  @Put(':subject')
  setSubject(@Param('subject') subject: string, @Body() body: unknown): Promise<{ compatibility: string }> {
    return this.registry.setCompatibility(subject, body);
  }

  @Delete(':subject')
  async deleteSubject(@Param('subject') subject: string): Promise<{ compatibilityLevel: string }> {
    return { compatibilityLevel: await this.registry.deleteSubjectCompatibility(subject) };
  }
}
