import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { SchemaRegistryService, SubjectVersionView } from '../application/schema-registry.service';
import { parseVersionRef } from '../domain/version-ref';
import { flag } from './registry-http';

/** `/subjects`: register, look up, list, read and delete the versions of a subject. */
@Controller('subjects')
export class SubjectsController {
  constructor(private readonly registry: SchemaRegistryService) {}

  @Get()
  list(@Query('deleted') deleted?: string, @Query('subjectPrefix') prefix?: string): Promise<string[]> {
    return this.registry.subjects(flag(deleted), prefix);
  }

  @Get(':subject/versions')
  versions(@Param('subject') subject: string, @Query('deleted') deleted?: string): Promise<number[]> {
    return this.registry.versions(subject, flag(deleted));
  }

  @Get(':subject/versions/:version')
  version(@Param('subject') subject: string, @Param('version') version: string, @Query('deleted') deleted?: string): Promise<SubjectVersionView> {
    return this.registry.version(subject, parseVersionRef(version), flag(deleted));
  }

  /** The schema alone, as its JSON. */
  @Get(':subject/versions/:version/schema')
  async rawSchema(
    @Param('subject') subject: string,
    @Param('version') version: string,
    @Res() res: Response,
    @Query('deleted') deleted?: string,
  ): Promise<void> {
    const found = await this.registry.version(subject, parseVersionRef(version), flag(deleted));
    res.status(200).send(found.schema);
  }

  /** Schema references are not supported, so no version is ever referenced. */
  @Get(':subject/versions/:version/referencedby')
  async referencedBy(@Param('subject') subject: string, @Param('version') version: string): Promise<number[]> {
    await this.registry.version(subject, parseVersionRef(version), true);
    return [];
  }

  @Post(':subject/versions')
  @HttpCode(200)
  register(@Param('subject') subject: string, @Body() body: unknown): Promise<{ id: number }> {
    return this.registry.register(subject, body);
  }

  @Post(':subject')
  @HttpCode(200)
  lookup(@Param('subject') subject: string, @Body() body: unknown, @Query('deleted') deleted?: string): Promise<SubjectVersionView> {
    return this.registry.lookup(subject, body, flag(deleted));
  }

  @Delete(':subject')
  deleteSubject(@Param('subject') subject: string, @Query('permanent') permanent?: string): Promise<number[]> {
    return this.registry.deleteSubject(subject, flag(permanent));
  }

  @Delete(':subject/versions/:version')
  deleteVersion(@Param('subject') subject: string, @Param('version') version: string, @Query('permanent') permanent?: string): Promise<number> {
    return this.registry.deleteVersion(subject, parseVersionRef(version), flag(permanent));
  }
}
