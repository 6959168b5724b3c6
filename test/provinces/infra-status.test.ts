import { components, ensureProvinces, infra, infraAsync, SIDE } from './province-stack';

/** `infra:status -- --json`: how scripts and operators find every broker and mirror the scripts started. */
describe('infra status of the two provinces', () => {
  let started = false;

  beforeAll(() => {
    started = ensureProvinces();
  }, 600_000);

  afterAll(() => {
    if (started && !process.env.TONGBAN_PROVINCES_TEST_KEEP) infra('kafka-down');
  }, 120_000);

  it('lists both brokers with their local, link and controller ports, and both mirrors, with pids', () => {
    const byName = new Map(components().map((c) => [c.name, c]));
    expect(byName.get('kafka-sichuan')).toMatchObject({ state: 'up', ports: [SIDE.sichuan.port, SIDE.sichuan.link, SIDE.sichuan.controller], pid: expect.any(Number) });
    expect(byName.get('kafka-chongqing')).toMatchObject({ state: 'up', ports: [SIDE.chongqing.port, SIDE.chongqing.link, SIDE.chongqing.controller], pid: expect.any(Number) });
    expect(byName.get('mirror-chongqing')).toMatchObject({ state: 'up', pid: expect.any(Number) });
    expect(byName.get('mirror-sichuan')).toMatchObject({ state: 'up', pid: expect.any(Number) });
    expect(byName.get('mariadb')).toMatchObject({ ports: [3306] });
  });

  it('shows a killed mirror as down, and up again with a new pid after it is started', async () => {
    const before = components().find((c) => c.name === 'mirror-sichuan')!;
    await infraAsync('mirror-kill', '510000');
    expect(components().find((c) => c.name === 'mirror-sichuan')).toMatchObject({ state: 'down', pid: null });
    await infraAsync('mirror-start', '510000');
    const after = components().find((c) => c.name === 'mirror-sichuan')!;
    expect(after).toMatchObject({ state: 'up', pid: expect.any(Number) });
    expect(after.pid).not.toBe(before.pid);
  }, 300_000);
});
