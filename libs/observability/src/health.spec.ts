import { runHealthChecks } from './health';

const up = (name: string) => ({ name, check: async () => undefined });
const down = (name: string, tolerated = false) => ({ name, tolerated, check: async () => Promise.reject(new Error(`${name} refused the connection`)) });

describe('readiness from the dependency checks', () => {
  it.each([
    ['every dependency up', [up('mysql'), up('kafka'), up('redis')], 'ok'],
    ['a tolerated dependency down', [up('mysql'), up('kafka'), down('redis', true)], 'degraded'],
    ['a required dependency down', [down('mysql'), up('kafka'), down('redis', true)], 'error'],
  ] as const)('%s → %s', async (_case, checks, status) => {
    const report = await runHealthChecks([...checks]);
    expect(report.status).toBe(status);
    expect(Object.keys(report.checks)).toEqual(checks.map((c) => c.name));
  });

  it('names each dependency that is down and why', async () => {
    const report = await runHealthChecks([up('mysql'), down('redis', true)]);
    expect(report.checks.redis).toMatchObject({ status: 'down', error: 'redis refused the connection' });
    expect(report.checks.mysql).toMatchObject({ status: 'up' });
  });
});
