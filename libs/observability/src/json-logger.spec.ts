import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { blankPersonal, JsonLogger, LOGGED_PERSONAL_FIELDS, withLogContext } from './json-logger';

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'debug') {
  const lines: Array<Record<string, unknown>> = [];
  const logger = new JsonLogger('gateway', '510000', level, (line) => lines.push(JSON.parse(line)));
  return { logger, lines };
}

describe('JsonLogger', () => {
  it('writes one JSON line with level, time, service, region, the context ids, the message and the facts', () => {
    const { logger, lines } = capture();
    withLogContext({ correlationId: 'c-1', eventId: 'e-1' }, () => logger.event('info', 'event accepted', { eventType: 'SubsidyApplicationSubmitted' }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      service: 'gateway',
      region: '510000',
      correlationId: 'c-1',
      eventId: 'e-1',
      msg: 'event accepted',
      eventType: 'SubsidyApplicationSubmitted',
    });
    expect(new Date(String(lines[0].time)).toISOString()).toBe(lines[0].time);
  });

  it('leaves out lines below its level', () => {
    const { logger, lines } = capture('warn');
    logger.event('info', 'quiet');
    logger.event('debug', 'quieter');
    logger.event('warn', 'loud');
    expect(lines.map((l) => l.msg)).toEqual(['loud']);
    expect(logger.enabled('info')).toBe(false);
  });

  it('blanks personal fields by path, wherever a careless caller put them, and keeps what is not personal', () => {
    const { logger, lines } = capture();
    logger.event('warn', 'refused', {
      idNumber: '510104194001010012',
      payload: { applicant: { idNumber: '510104194001010012', name: '李秀英' }, name: '王芳', monthlyIncome: 1200 },
      person: { name: '张伟', birthDate: '1940-01-01' },
      error: { name: 'TypeError', message: 'x is undefined' },
      eventType: 'SubsidyApplicationSubmitted',
    });
    const text = JSON.stringify(lines[0]);
    for (const secret of ['510104194001010012', '李秀英', '王芳', '张伟', '1940-01-01', '1200']) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ error: { name: 'TypeError' }, eventType: 'SubsidyApplicationSubmitted', idNumber: '[redacted]' });
  });

  it('blanks distinct fields at any level (arrays too), generic ones only inside a person', () => {
    const facts = {
      people: [{ idNumber: '510104194001010012', name: '李秀英' }],
      outer: { inner: { phone: '13800000000', deeper: { phone: '13900000000' } } },
      report: { deceased: { name: '张伟' }, name: 'daily export', rows: [{ payload: { member: { name: '王芳' } } }] },
      error: { name: 'TypeError' },
      name: 'gateway',
    };
    expect(blankPersonal(facts)).toEqual({
      people: [{ idNumber: '[redacted]', name: '李秀英' }],
      outer: { inner: { phone: '[redacted]', deeper: { phone: '[redacted]' } } },
      report: { deceased: { name: '[redacted]' }, name: 'daily export', rows: [{ payload: { member: { name: '[redacted]' } } }] },
      error: { name: 'TypeError' },
      name: 'gateway',
    });
  });

  it("leaves the caller's objects as they were and copies nothing when there is nothing to blank", () => {
    const person = { idNumber: '510104194001010012', grade: 2 };
    const facts = { payload: { person }, route: '/v1/events' };
    const blanked = blankPersonal(facts);
    expect(blanked.payload.person.idNumber).toBe('[redacted]');
    expect(person.idNumber).toBe('510104194001010012');
    expect(facts.payload.person).toBe(person);
    const clean = { method: 'POST', route: '/v1/events', status: 202, nested: { count: 1 } };
    expect(blankPersonal(clean)).toBe(clean);
  });

  it('takes Nest’s calls: an Error, an object, a context name', () => {
    const { logger, lines } = capture();
    logger.error(new Error('boom'), 'AppModule');
    logger.log({ msg: 'mapped', route: '/v1/events' }, 'RouterExplorer');
    expect(lines[0]).toMatchObject({ level: 'error', msg: 'boom', error: { name: 'Error', message: 'boom' }, context: 'AppModule' });
    expect(lines[1]).toMatchObject({ level: 'info', msg: 'mapped', route: '/v1/events', context: 'RouterExplorer' });
  });

  it('covers every field the contracts mark as personal', () => {
    const marked = new Set<string>();
    const walk = (t: unknown): void => {
      if (Array.isArray(t)) return t.forEach(walk);
      if (!t || typeof t !== 'object') return;
      const o = t as { type?: unknown; fields?: Array<{ name: string; pii?: string; type: unknown }>; items?: unknown; values?: unknown };
      for (const f of o.fields ?? []) {
        if (f.pii) marked.add(f.name);
        walk(f.type);
      }
      walk(o.items);
      walk(o.values);
      if (typeof o.type === 'object') walk(o.type);
    };
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : n.endsWith('.avsc') ? [join(dir, n)] : []));
    for (const f of files(join(__dirname, '../../../contracts/avro'))) walk(JSON.parse(readFileSync(f, 'utf8')));
    expect(marked.size).toBeGreaterThan(10);
    expect([...marked].filter((name) => !LOGGED_PERSONAL_FIELDS.includes(name))).toEqual([]);
  });
});
