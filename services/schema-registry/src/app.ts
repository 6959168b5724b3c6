import 'reflect-metadata';
import { DynamicModule, INestApplication, Module, OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import { DataSource } from 'typeorm';
import {
  counter,
  createMetricsRegistry,
  httpMetrics,
  dependencyChecks,
  HEALTH_CHECKS,
  HealthCheck,
  JsonLogger,
  METRICS_REGISTRY,
  OpsController,
} from '@tongban/observability';
import { openDatabase } from '@tongban/persistence';
import { installRequestLimits } from '@tongban/http';
import { readSchemaIdManifest } from '@tongban/avro';
import { LOCAL_ID_RANGE, SchemaRegistryConfig } from './schema-registry.config';
import { ReleasedSchemas, importReleasedSchemas, releasedSchemasOf } from './registry/application/released-import';
import { SchemaRegistryService } from './registry/application/schema-registry.service';
import { RegistryRepository } from './registry/infrastructure/registry.repository';
import { SchemaEntity } from './registry/infrastructure/schema.entity';
import { SubjectVersionEntity } from './registry/infrastructure/subject-version.entity';
import { SubjectConfigEntity } from './registry/infrastructure/subject-config.entity';
import { SubjectsController } from './registry/infrastructure/subjects.controller';
import { SchemasController } from './registry/infrastructure/schemas.controller';
import { ConfigController } from './registry/infrastructure/config.controller';
import { CompatibilityController, RootController } from './registry/infrastructure/compatibility.controller';
import { RegistryErrorFilter } from './registry/infrastructure/registry-error.filter';
import { registryHttpMiddleware, sendApiError } from './registry/infrastructure/registry-http';
import { registryAuthMiddleware } from './registry/infrastructure/registry-auth';
import { registryErrors } from './registry/domain/registry-errors';
import { failedAuthGuard, FailedAttemptLimiter } from '@tongban/auth';
import { RegistrySchema1764100000000 } from './migrations/1764100000000-registry-schema';

export interface SchemaRegistryApp {
  app: INestApplication;
  dataSource: DataSource;
  registry: SchemaRegistryService;
  /** Starts listening (port 0 picks a free one) and resolves to the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops taking requests, then closes the database pool. */
  close(): Promise<void>;
}

/** Closes the pool when Nest shuts down (app.close(), or a signal with shutdown hooks enabled). */
class DataSourceCloser implements OnApplicationShutdown {
  constructor(private readonly dataSource: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/**
 * Builds the schema registry (database migrated, the released schema ids imported when
 * `config.releasedIds` names the manifest; not yet listening).
 */
export async function createSchemaRegistryApp(config: SchemaRegistryConfig, logger = new JsonLogger('schema-registry')): Promise<SchemaRegistryApp> {
  const dataSource = await openDatabase({
    mysql: config.mysql,
    database: config.database,
    entities: [SchemaEntity, SubjectVersionEntity, SubjectConfigEntity],
    migrations: [RegistrySchema1764100000000],
  });
  let released: ReleasedSchemas | undefined;
  if (config.releasedIds) {
    try {
      const manifest = readSchemaIdManifest(config.releasedIds);
      await importReleasedSchemas(dataSource, manifest, { firstLocalId: config.firstLocalId ?? LOCAL_ID_RANGE.min, logger });
      released = releasedSchemasOf(manifest);
    } catch (e) {
      await dataSource.destroy();
      throw e;
    }
  }
  const metrics = createMetricsRegistry('schema-registry');
  const registrations = counter(metrics, 'tongban_schema_registrations_total', 'Register requests, by whether a new version was created', ['outcome']);
  const retries = counter(metrics, 'tongban_schema_registration_retries_total', 'Registrations started again after losing a race (duplicate key, deadlock)', [
    'reason',
  ]);
  const requests = counter(metrics, 'tongban_schema_registry_requests_total', 'HTTP requests answered, by method and status', ['method', 'status']);
  const registry = new SchemaRegistryService(dataSource, new RegistryRepository(), {
    defaultCompatibility: config.defaultCompatibility,
    strictRules: config.strictRules,
    logger,
    onRegistered: (created) => registrations.inc({ outcome: created ? 'created' : 'existing' }),
    onIncompatible: () => registrations.inc({ outcome: 'incompatible' }),
    onRetry: (code) => retries.inc({ reason: code }),
    maxSchemaBytes: config.maxSchemaBytes,
    maxSubjects: config.maxSubjects,
    released,
    unreleased: config.unreleasedSchemas,
  });
  const checks: HealthCheck[] = dependencyChecks({ mysql: dataSource });

  @Module({})
  class SchemaRegistryModule {
    static build(): DynamicModule {
      return {
        module: SchemaRegistryModule,
        controllers: [SubjectsController, SchemasController, ConfigController, CompatibilityController, RootController, OpsController],
        providers: [
          { provide: SchemaRegistryService, useValue: registry },
          { provide: HEALTH_CHECKS, useValue: checks },
          { provide: METRICS_REGISTRY, useValue: metrics },
          { provide: DataSourceCloser, useValue: new DataSourceCloser(dataSource) },
        ],
      };
    }
  }

  let app: INestApplication;
  try {
    app = await NestFactory.create(SchemaRegistryModule.build(), { logger, bodyParser: false });
    app.use(httpMetrics(metrics, logger));
  } catch (e) {
    await dataSource.destroy();
    throw e;
  }
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.on('finish', () => requests.inc({ method: req.method, status: String(res.statusCode) }));
    next();
  });
  // URL and X-Correlation-Id bounds; bodies are read (and bounded) by the registry's own middleware.
  installRequestLimits(app, undefined, false);
  app.use(failedAuthGuard(new FailedAttemptLimiter(config.authFailuresPerMinute), (res, s) => sendApiError(res, registryErrors.tooManyFailedAttempts(s))));
  app.use(registryAuthMiddleware(config.users));
  // A JSON-escaped schema may take up to six bytes per character: room for the largest schema accepted.
  app.use(registryHttpMiddleware(Math.max(1024 * 1024, config.maxSchemaBytes * 6 + 64 * 1024)));
  app.useGlobalFilters(new RegistryErrorFilter(logger));

  return {
    app,
    dataSource,
    registry,
    async listen(port = config.port, host = config.host) {
      await app.listen(port, host);
      const address = app.getHttpServer().address() as AddressInfo;
      const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      return `http://${shown}:${address.port}`;
    },
    async close() {
      await app.close();
      if (dataSource.isInitialized) await dataSource.destroy();
    },
  };
}
