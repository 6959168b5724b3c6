import { Job, Queue, Worker } from 'bullmq';
import Redis from 'ioredis';
import { TokenBucketLimiter } from '@tongban/auth';
import { uniqueId } from '../support/unique';
import { twoProvinces } from '../../tools/stack/provinces';
import { dropProvinceRedisUser, ensureProvinceRedisUser, provinceRedisUser, ProvinceRedisUser } from '../../tools/stack/redis-users';

/**
 * attack: with one province's Redis credential (Sichuan's, as its gateway, node and delivery hold it), reach the
 * other province's keys on the Redis both provinces share on one machine, or the server itself. The users are
 * this run's own (namespace `t-<id>`); the default user and every other key are left as they are.
 */
const REDIS = { host: process.env.TONGBAN_REDIS_HOST ?? '127.0.0.1', port: Number(process.env.TONGBAN_REDIS_PORT ?? 6379) };
const namespace = `t-${uniqueId()}`;
const [scLayout, cqLayout] = twoProvinces({});
const sc = provinceRedisUser(namespace, scLayout);
const cq = provinceRedisUser(namespace, cqLayout);
const NOPERM = /NOPERM/;

const clients: Redis[] = [];
function as(u: ProvinceRedisUser | undefined, password = u?.password): Redis {
  const c = new Redis({ ...REDIS, ...(u ? { username: u.username, password } : {}), maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
  c.on('error', () => undefined);
  clients.push(c);
  return c;
}

/** The error a connection as `u` with `password` meets (ioredis emits it, then closes the connection). */
async function authFailure(u: ProvinceRedisUser, password = u.password): Promise<string> {
  const c = new Redis({ ...REDIS, username: u.username, password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 1 });
  const errors: string[] = [];
  c.on('error', (e: Error) => errors.push(e.message));
  clients.push(c);
  const connected = await c.connect().then(
    () => true,
    () => false,
  );
  return connected ? 'connected' : errors.join('; ');
}

/** Queue names as the services use them: the region node's deadlines, the delivery's queue. */
const deadlines = (u: ProvinceRedisUser, region: string) => ({ name: `deadlines-${region}`, prefix: `${u.keyPrefix}:${namespace}_node_${region}` });

/** What no service needs and a stolen credential would use to reach beyond its keys or change the server. */
const SERVER_COMMANDS: string[][] = [
  ['FLUSHALL'],
  ['FLUSHDB'],
  ['CONFIG', 'GET', 'requirepass'],
  ['CONFIG', 'SET', 'maxmemory', '1'],
  ['ACL', 'LIST'],
  ['ACL', 'SETUSER', 'intruder', 'on', '>x', '~*', '+@all'],
  ['ACL', 'DELUSER', 'default'],
  ['KEYS', '*'],
  ['SCAN', '0'],
  ['RANDOMKEY'],
  ['CLIENT', 'LIST'],
  ['CLIENT', 'KILL', 'USER', 'default'],
  ['CLIENT', 'TRACKING', 'ON', 'BCAST'],
  ['FUNCTION', 'FLUSH'],
  ['SCRIPT', 'FLUSH'],
  ['PUBLISH', 'some-channel', 'hello'],
  ['SWAPDB', '0', '1'],
  ['DEBUG', 'SLEEP', '0'],
  ['SHUTDOWN', 'NOSAVE'],
  ['MONITOR'],
];

describe("attack: one province's Redis credential against the other province's keys", () => {
  const admin = as(undefined);
  let cqJobKey: string;
  const cqBucket = `${cq.keyPrefix}:ratelimit:key-1`;

  beforeAll(async () => {
    await admin.connect();
    await ensureProvinceRedisUser(sc);
    await ensureProvinceRedisUser(cq);
    // Chongqing's node schedules a deadline, as Chongqing's own user.
    const q = deadlines(cq, cqLayout.code);
    const queue = new Queue(q.name, { connection: { ...REDIS, username: cq.username, password: cq.password }, prefix: q.prefix });
    const job = await queue.add(
      'deadline',
      { caseId: 'SUB-500111-2026-000001', name: 'acknowledge', dueAt: new Date(Date.now() + 3_600_000).toISOString() },
      { jobId: 'job-1', delay: 3_600_000 },
    );
    await queue.close();
    cqJobKey = `${q.prefix}:${q.name}:${job.id}`;
    await new TokenBucketLimiter(as(cq), cq.keyPrefix).take('key-1', { ratePerSecond: 1, burst: 5 });
  }, 30_000);

  afterAll(async () => {
    for (const u of [sc, cq]) await dropProvinceRedisUser(u.username).catch(() => undefined);
    // This run's keys only: all of them start with its namespace.
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 500);
      if (keys.length) await admin.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    for (const c of clients) c.disconnect();
  }, 30_000);

  it("Chongqing's deadline job and rate-limit bucket are there, under Chongqing's prefix", async () => {
    expect(cqJobKey.startsWith(`${cq.keyPrefix}:`)).toBe(true);
    expect(await admin.hget(cqJobKey, 'name')).toBe('deadline');
    expect(await admin.exists(cqBucket)).toBe(1);
  });

  it("refuses Sichuan's user reading, writing or deleting them, directly, in a script or in a transaction", async () => {
    const r = as(sc);
    await r.connect();
    await expect(r.hgetall(cqJobKey)).rejects.toThrow(NOPERM);
    await expect(r.hset(cqJobKey, 'data', '{}')).rejects.toThrow(NOPERM);
    await expect(r.del(cqJobKey)).rejects.toThrow(NOPERM);
    await expect(r.unlink(cqBucket)).rejects.toThrow(NOPERM);
    await expect(r.rename(`${sc.keyPrefix}:x`, cqBucket)).rejects.toThrow(NOPERM);
    await expect(r.copy(`${sc.keyPrefix}:x`, cqBucket)).rejects.toThrow(NOPERM);
    // A script is checked key by key, declared or not.
    await expect(r.eval("return redis.call('DEL', KEYS[1])", 1, cqJobKey)).rejects.toThrow(NOPERM);
    await expect(r.eval(`return redis.call('DEL', '${cqJobKey}')`, 0)).rejects.toThrow(/NOPERM|can't access/);
    await expect(r.multi().del(cqJobKey).exec()).rejects.toThrow(/EXECABORT|NOPERM/);
    expect(await admin.hget(cqJobKey, 'name')).toBe('deadline');
    expect(await admin.exists(cqBucket)).toBe(1);
  });

  it("refuses Sichuan's user Chongqing's queue through BullMQ, and its rate limiter Chongqing's buckets", async () => {
    const q = deadlines(cq, cqLayout.code);
    const queue = new Queue(q.name, { connection: { ...REDIS, username: sc.username, password: sc.password, maxRetriesPerRequest: 1 }, prefix: q.prefix });
    queue.on('error', () => undefined);
    try {
      await expect(queue.getJob('job-1')).rejects.toThrow(NOPERM);
      await expect(queue.remove('job-1')).rejects.toThrow(NOPERM);
      await expect(queue.add('deadline', { caseId: 'forged' }, { jobId: 'forged', delay: 1000 })).rejects.toThrow(NOPERM);
    } finally {
      await queue.close();
    }
    const failures: unknown[] = [];
    await new TokenBucketLimiter(as(sc), cq.keyPrefix, (e) => failures.push(e)).take('key-1', { ratePerSecond: 1, burst: 5 });
    expect(String(failures[0])).toMatch(NOPERM);
    expect(await admin.exists('forged')).toBe(0);
    expect(await admin.exists(`${q.prefix}:${q.name}:forged`)).toBe(0);
  });

  it.each(SERVER_COMMANDS.map((command) => [command.join(' '), command] as const))("refuses Sichuan's user %s", async (_name, command) => {
    // What the server would do is asked first: a command that would run is never sent to the shared Redis.
    expect(String(await admin.call('ACL', 'DRYRUN', sc.username, ...command))).toMatch(/no permissions/);
    if (['SHUTDOWN', 'MONITOR', 'DEBUG'].includes(command[0])) return;
    const r = as(sc);
    await r.connect();
    await expect(r.call(command[0], ...command.slice(1))).rejects.toThrow(NOPERM);
  });

  it("lets Sichuan's user work its own keys as the services do: BullMQ jobs added and processed, the rate limit shared", async () => {
    const q = deadlines(sc, scLayout.code);
    const connection = { ...REDIS, username: sc.username, password: sc.password };
    const queue = new Queue(q.name, { connection, prefix: q.prefix });
    const seen: string[] = [];
    const worker = new Worker(q.name, async (job: Job) => void seen.push(job.data.caseId), {
      connection: { ...connection, maxRetriesPerRequest: null },
      prefix: q.prefix,
    });
    try {
      await queue.add('deadline', { caseId: 'SUB-510104-2026-000001' }, { jobId: 'own-1', delay: 50 });
      await queue.addBulk([{ name: 'deadline', data: { caseId: 'SUB-510104-2026-000002' }, opts: { jobId: 'own-2' } }]);
      const deadline = Date.now() + 15_000;
      while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(seen.sort()).toEqual(['SUB-510104-2026-000001', 'SUB-510104-2026-000002']);
      expect(await queue.getJobCounts('completed')).toEqual({ completed: 2 });
    } finally {
      await worker.close();
      await queue.close();
    }
    const r = as(sc);
    const failures: unknown[] = [];
    const limiter = new TokenBucketLimiter(r, sc.keyPrefix, (e) => failures.push(e));
    await limiter.take('key-1', { ratePerSecond: 1, burst: 1 });
    await expect(limiter.take('key-1', { ratePerSecond: 1, burst: 1 })).rejects.toThrow(/rate limit/);
    expect(failures).toEqual([]);
    expect(await r.ping()).toBe('PONG');
    expect(await admin.exists(`${sc.keyPrefix}:ratelimit:key-1`)).toBe(1);
  }, 30_000);

  it("refuses a wrong password, and Chongqing's password for Sichuan's user", async () => {
    expect(await authFailure(sc, 'not-the-password')).toMatch(/WRONGPASS/);
    expect(await authFailure(sc, cq.password)).toMatch(/WRONGPASS/);
    expect(await authFailure(sc)).toBe('connected');
  });

  it('removes a user, and its credential stops working', async () => {
    const gone = provinceRedisUser(`${namespace}-gone`, scLayout);
    await ensureProvinceRedisUser(gone);
    const before = as(gone);
    await before.connect();
    expect(await before.ping()).toBe('PONG');
    await dropProvinceRedisUser(gone.username);
    expect(await authFailure(gone)).toMatch(/WRONGPASS/);
  });
});
