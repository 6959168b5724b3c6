import { createHmac } from 'node:crypto';
import Redis from 'ioredis';
import { localSecret } from '@tongban/config';
import type { ProvinceLayout } from './provinces';

/**
 * The Redis identity of one province's services (gateway, region node, delivery): an ACL user that may touch
 * only keys under the province's prefix. In production each province runs a Redis of its own; on one machine
 * the two provinces share one, and these users keep each to its own keys.
 */
export interface ProvinceRedisUser {
  username: string;
  password: string;
  /** TONGBAN_REDIS_PREFIX of the province's services: every key they write starts with `<keyPrefix>:`. */
  keyPrefix: string;
}

/**
 * One user per province and namespace (`<namespace>-<tag>`), so that runs sharing a Redis never re-key each
 * other's users. The password is derived from a per-checkout generated secret and the namespace: a new
 * namespace gets a new password, a restarted service of the same run gets the same one.
 */
export function provinceRedisUser(namespace: string, p: ProvinceLayout): ProvinceRedisUser {
  if (!/^[a-z0-9][a-z0-9_-]*$/i.test(namespace)) throw new Error(`namespace "${namespace}" must be letters, digits, - or _`);
  const password = createHmac('sha256', localSecret(`redis-${p.alias}-password`))
    .update(namespace)
    .digest('base64url');
  return { username: `${namespace}-${p.tag}`, password, keyPrefix: `${namespace}:${p.code}` };
}

/** A glob's special characters taken literally (Redis key patterns are globs). */
function literalGlob(text: string): string {
  return text.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

/**
 * The rules of `ACL SETUSER <user> ...` for a user confined to the keys `<keyPrefix>:*`, as BullMQ and the
 * services need: reads and writes of keys, MULTI/EXEC, Lua scripts (EVAL/EVALSHA: each key a script touches is
 * checked too), blocking pops, INFO (BullMQ reads the server's version), CLIENT SETNAME, PING. No pub/sub channel
 * (BullMQ 5 uses none); nothing that reaches beyond one's own keys or changes the server: no FLUSHALL/FLUSHDB,
 * CONFIG, ACL, KEYS, SCAN, RANDOMKEY, CLIENT LIST/KILL/TRACKING, FUNCTION, SCRIPT FLUSH, MONITOR, DEBUG, SHUTDOWN.
 * `reset` first: the user has exactly these rules and this one password, whatever it had before.
 */
export function redisAclRules(keyPrefix: string, password: string): string[] {
  if (!keyPrefix) throw new Error('a Redis user needs a key prefix');
  if (!password || /\s/.test(password)) throw new Error('a Redis user needs a password without spaces');
  return [
    'reset',
    'on',
    `>${password}`,
    `~${literalGlob(keyPrefix)}:*`,
    'resetchannels',
    '-@all',
    '+@read',
    '+@write',
    '+@keyspace',
    '+@transaction',
    '+@connection',
    '+eval',
    '+evalsha',
    '+eval_ro',
    '+evalsha_ro',
    '+script|load',
    '+script|exists',
    '+time',
    '-@dangerous',
    '-@admin',
    '-@pubsub',
    '-function',
    '-scan',
    '-randomkey',
    '-client|tracking',
    '-client|caching',
    '+info',
  ];
}

/** A connection as the local Redis's `default` user (no password, as `npm run infra:up` runs it). */
function adminRedis(env: NodeJS.ProcessEnv): Redis {
  return new Redis({
    host: env.TONGBAN_REDIS_HOST ?? '127.0.0.1',
    port: Number(env.TONGBAN_REDIS_PORT ?? 6379),
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
}

/** Creates (or re-keys) a province's Redis user with rights on its own keys only. */
export async function ensureProvinceRedisUser(u: ProvinceRedisUser, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const redis = adminRedis(env);
  try {
    await redis.connect();
    await redis.call('ACL', 'SETUSER', u.username, ...redisAclRules(u.keyPrefix, u.password));
  } finally {
    redis.disconnect();
  }
}

/** Removes a province's Redis user (a demo's or a test's, when its run ends); its connections are closed. */
export async function dropProvinceRedisUser(username: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const redis = adminRedis(env);
  try {
    await redis.connect();
    await redis.call('ACL', 'DELUSER', username);
  } finally {
    redis.disconnect();
  }
}
