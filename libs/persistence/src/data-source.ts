import { createConnection } from 'mysql2/promise';
import { DataSource, EntitySchema, MixedList } from 'typeorm';

export interface MysqlConfig {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface DatabaseOptions {
  mysql: MysqlConfig;
  database: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  entities: MixedList<(new () => unknown) | string | EntitySchema<any>>;
  migrations: MixedList<(new () => unknown) | string>;
  poolSize?: number;
}

const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;

/** Creates the database when it is missing (utf8mb4, so Chinese names and addresses round-trip). */
export async function ensureDatabase(mysql: MysqlConfig, database: string): Promise<void> {
  if (!DATABASE_NAME.test(database)) throw new Error(`database name "${database}" must be letters, digits and _`);
  const conn = await createConnection({ ...mysql });
  try {
    await conn.query(
      `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await conn.end();
  }
}

export async function dropDatabase(mysql: MysqlConfig, database: string): Promise<void> {
  if (!DATABASE_NAME.test(database)) throw new Error(`database name "${database}" must be letters, digits and _`);
  const conn = await createConnection({ ...mysql });
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${database}\``);
  } finally {
    await conn.end();
  }
}

export function createDataSource(options: DatabaseOptions): DataSource {
  return new DataSource({
    type: 'mysql',
    host: options.mysql.host,
    port: options.mysql.port,
    username: options.mysql.user,
    password: options.mysql.password,
    database: options.database,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'schema_migrations',
    // Schema changes go through migrations only; the schema is never synchronised from entities.
    synchronize: false,
    migrationsRun: false,
    poolSize: options.poolSize ?? 10,
    supportBigNumbers: true,
    bigNumberStrings: true,
    // Errors reach the caller as exceptions and are logged there, once, without the parameters.
    logging: false,
  });
}

/** Ensures the database exists, connects, and applies pending migrations. */
export async function openDatabase(options: DatabaseOptions): Promise<DataSource> {
  await ensureDatabase(options.mysql, options.database);
  const ds = createDataSource(options);
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
  } catch (e) {
    await ds.destroy();
    throw e;
  }
  return ds;
}
