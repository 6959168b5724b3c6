import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { provinceRedisUser, redisAclRules } from './redis-users';
import { twoProvinces } from './provinces';

describe('redisAclRules: a Redis user confined to one key prefix', () => {
  const rules = redisAclRules('t-1:510000', 'secret-1');
  const at = (rule: string) => rules.indexOf(rule);

  it('starts from nothing and keeps only the one password given', () => {
    expect(rules.slice(0, 3)).toEqual(['reset', 'on', '>secret-1']);
    expect(rules.filter((r) => r.startsWith('>') || r.startsWith('#') || r === 'nopass')).toEqual(['>secret-1']);
  });

  it.each([
    ['t-1:510000', '~t-1:510000:*'],
    ['tongban:500000', '~tongban:500000:*'],
    ['odd*[ns]?\\:1', '~odd\\*\\[ns\\]\\?\\\\:1:*'],
  ])('lets %s touch only the keys under it (%s)', (prefix, pattern) => {
    const r = redisAclRules(prefix, 'pw');
    expect(r.filter((x) => x.startsWith('~') || x.startsWith('%') || x === 'allkeys')).toEqual([pattern]);
    expect(r).toContain('resetchannels');
    expect(r.filter((x) => x.startsWith('&') || x === 'allchannels')).toEqual([]);
  });

  it.each([
    ['keys and data types', '+@read'],
    ['keys and data types', '+@write'],
    ['MULTI/EXEC', '+@transaction'],
    ['BullMQ’s Lua scripts', '+evalsha'],
    ['BullMQ’s Lua scripts', '+eval'],
    ['the rate limiter’s clock', '+time'],
    ['BullMQ’s version check', '+info'],
  ])('allows %s (%s)', (_what, rule) => {
    expect(rules).toContain(rule);
  });

  it.each(['-@dangerous', '-@admin', '-@pubsub', '-function', '-scan', '-randomkey', '-client|tracking'])(
    'then denies %s, after everything it allows by category',
    (rule) => {
      for (const allowed of ['+@read', '+@write', '+@keyspace', '+@connection']) expect(at(rule)).toBeGreaterThan(at(allowed));
    },
  );

  it('allows INFO again only after the dangerous commands are denied, and nothing else', () => {
    expect(at('+info')).toBeGreaterThan(at('-@dangerous'));
    expect(rules.slice(at('-@dangerous') + 1).filter((r) => r.startsWith('+'))).toEqual(['+info']);
    expect(rules.some((r) => r === '+@all' || r === 'allcommands' || r === '+@dangerous' || r === '+@scripting')).toBe(false);
  });

  it.each([
    ['', 'pw', /key prefix/],
    ['t:1', '', /password/],
    ['t:1', 'two words', /password/],
  ])('refuses prefix "%s" with password "%s"', (prefix, password, error) => {
    expect(() => redisAclRules(prefix, password)).toThrow(error);
  });
});

describe('provinceRedisUser', () => {
  let dir: string;
  const saved = process.env.TONGBAN_SECRETS_DIR;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'redis-users-'));
    process.env.TONGBAN_SECRETS_DIR = dir;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.TONGBAN_SECRETS_DIR;
    else process.env.TONGBAN_SECRETS_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives each province of a namespace its own user, prefix and password, the same each time', () => {
    const [sc, cq] = twoProvinces({});
    const a = provinceRedisUser('t-abc', sc);
    const b = provinceRedisUser('t-abc', cq);
    expect(a).toMatchObject({ username: 't-abc-sc', keyPrefix: 't-abc:510000' });
    expect(b).toMatchObject({ username: 't-abc-cq', keyPrefix: 't-abc:500000' });
    expect(a.password).not.toBe(b.password);
    expect(provinceRedisUser('t-abc', sc)).toEqual(a);
    expect(provinceRedisUser('t-def', sc).password).not.toBe(a.password);
    expect(a.password).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a namespace that could not be a key prefix', () => {
    expect(() => provinceRedisUser('a b', twoProvinces({})[0])).toThrow(/namespace/);
  });
});
