import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { SchemaRegistryService } from '../application/schema-registry.service';
import { registryErrors } from '../domain/registry-errors';
import { flag } from './registry-http';

function schemaId(raw: string): number {
  const id = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(id) || id < 1 || id > 2 ** 31 - 1) throw registryErrors.schemaNotFound(`Schema ${raw}`);
  return id;
}

/** `/schemas`: schemas by their global id, which is what every message on the wire names. */
@Controller('schemas')
export class SchemasController {
  constructor(private readonly registry: SchemaRegistryService) {}

  @Get('types')
  types(): string[] {
    return ['AVRO'];
  }

  @Get('ids/:id')
  byId(@Param('id') id: string): Promise<{ schema: string }> {
    return this.registry.schemaById(schemaId(id));
  }

  @Get('ids/:id/schema')
  async rawById(@Param('id') id: string, @Res() res: Response): Promise<void> {
    const { schema } = await this.registry.schemaById(schemaId(id));
    res.status(200).send(schema);
  }

  @Get('ids/:id/versions')
  versions(@Param('id') id: string, @Query('deleted') deleted?: string): Promise<Array<{ subject: string; version: number }>> {
    return this.registry.schemaVersions(schemaId(id), flag(deleted));
  }

  @Get('ids/:id/subjects')
  subjects(@Param('id') id: string, @Query('deleted') deleted?: string): Promise<string[]> {
    return this.registry.schemaSubjects(schemaId(id), flag(deleted));
  }
}
