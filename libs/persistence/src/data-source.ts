import { Connection, createConnection } from 'mysql2/promise';
import { DataSource, EntitySchema, MixedList } from 'typeorm';
import { DEFAULT_MYSQL_POOL_LIMITS, MysqlPoolLimits } from '@tongban/config';

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
  /** Queue and timeouts of the pool (TONGBAN_MYSQL_POOL_QUEUE_LIMIT, _ACQUIRE_TIMEOUT_MS, _CONNECT_TIMEOUT_MS). */
  pool?: MysqlPoolLimits;
}

/** The part of a mysql2 (callback) pool the acquire bound wraps. */
interface CallbackPool {
  getConnection(cb: (err: Error | null, connection?: { release(): void }) => void): void;
}

/**
 * Gives up on a connection that does not come within `timeoutMs`: the caller gets an error coded
 * POOL_ACQUIRE_TIMEOUT (a dependency failure: 503 at the edge), and a connection that comes later is
 * handed straight back. mysql2's pool has no such bound of its own; without it a caller queued behind
 * connections that hang waits for ever.
 */
export function boundAcquire(pool: CallbackPool, timeoutMs: number): void {
  const acquire = pool.getConnection.bind(pool);
  pool.getConnection = (cb) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      cb(Object.assign(new Error(`no database connection became free within ${timeoutMs} ms`), { code: 'POOL_ACQUIRE_TIMEOUT' }));
    }, timeoutMs);
    timer.unref();
    acquire((err, connection) => {
      clearTimeout(timer);
      if (settled) {
        if (!err) connection?.release();
        return;
      }
      settled = true;
      if (err && /queue limit reached/i.test(err.message)) Object.assign(err, { code: 'POOL_QUEUE_FULL' });
      cb(err, connection);
    });
  };
}

const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;

/** Creates the database when it is missing (utf8mb4, so Chinese names and addresses round-trip). */
export async function ensureDatabase(mysql: MysqlConfig, database: string): Promise<void> {
  if (!DATABASE_NAME.test(database)) throw new Error(`database name "${database}" must be letters, digits and _`);
  const conn = await createConnection({ ...mysql });
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
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
  const limits = options.pool ?? DEFAULT_MYSQL_POOL_LIMITS;
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
    connectTimeout: limits.connectTimeoutMs,
    // Bounded waiting: past queueLimit callers are refused at once instead of queueing without end.
    extra: { waitForConnections: true, queueLimit: limits.queueLimit, enableKeepAlive: true },
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
  bindPool(ds, options.pool ?? DEFAULT_MYSQL_POOL_LIMITS);
  try {
    await ds.runMigrations({ transaction: 'each' });
  } catch (e) {
    await ds.destroy();
    throw e;
  }
  return ds;
}

/** Puts the acquire bound on a data source's pool; call after `initialize()`. */
export function bindPool(ds: DataSource, limits: MysqlPoolLimits = DEFAULT_MYSQL_POOL_LIMITS): void {
  const pool = (ds.driver as unknown as { pool?: CallbackPool }).pool;
  if (pool) boundAcquire(pool, limits.acquireTimeoutMs);
}

/** What `/health` asks of MySQL, answered apart from the service's own pool. */
export interface MysqlProbe {
  query(sql: string): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * A health probe on a connection of its own: whether MySQL answers, not whether the service's pool has a
 * connection free. Through the pool, a health check waits behind every request queued there; a busy
 * gateway then looks dead for as long as it is busy, and a run waiting for it to be healthy waits on.
 * A connection that fails or does not answer within `acquireTimeoutMs` is dropped and the next probe opens
 * a new one, so a database lost without closing its connections is not waited for past that. The answer
 * carries the pool's state (connections open, free, callers waiting) as details.
 */
export function mysqlProbe(ds: DataSource, limits: MysqlPoolLimits = DEFAULT_MYSQL_POOL_LIMITS): MysqlProbe {
  const o = ds.options as { host?: string; port?: number; username?: string; password?: string; database?: string };
  let current: Promise<Connection> | undefined;
  const connect = (): Promise<Connection> => {
    const opening: Promise<Connection> = createConnection({
      host: o.host,
      port: o.port,
      user: o.username,
      password: o.password,
      database: o.database,
      connectTimeout: limits.connectTimeoutMs,
      enableKeepAlive: true,
    }).then((connection) => {
      // An idle connection the server drops reports it as an event; without a listener that would end the process.
      connection.on('error', () => {
        if (current === opening) current = undefined;
      });
      return connection;
    });
    opening.catch(() => {
      if (current === opening) current = undefined;
    });
    return opening;
  };
  return {
    async query(sql: string) {
      const opening = (current ??= connect());
      const connection = await opening;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          connection.query(sql),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(Object.assign(new Error(`MySQL did not answer within ${limits.acquireTimeoutMs} ms`), { code: 'ETIMEDOUT' })),
              limits.acquireTimeoutMs,
            );
          }),
        ]);
      } catch (e) {
        if (current === opening) current = undefined;
        connection.destroy();
        throw e;
      } finally {
        clearTimeout(timer);
      }
      return poolState(ds);
    },
    async close() {
      const opening = current;
      current = undefined;
      const connection = await opening?.catch(() => undefined);
      await connection?.end().catch(() => connection.destroy());
    },
  };
}

/** Connections of a data source's pool: open, free, and callers waiting for one. */
export function poolState(ds: DataSource): { open: number; free: number; waiting: number } | undefined {
  const pool = (
    ds.driver as unknown as { pool?: { _allConnections?: { length: number }; _freeConnections?: { length: number }; _connectionQueue?: { length: number } } }
  ).pool;
  if (!pool?._allConnections) return undefined;
  return { open: pool._allConnections.length, free: pool._freeConnections?.length ?? 0, waiting: pool._connectionQueue?.length ?? 0 };
}
