import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';
import { admin, components, ensureProvinces, infra, infraAsync, SIDE } from './province-stack';

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
    expect(byName.get('kafka-sichuan')).toMatchObject({
      state: 'up',
      ports: [SIDE.sichuan.port, SIDE.sichuan.link, SIDE.sichuan.controller],
      pid: expect.any(Number),
    });
    expect(byName.get('kafka-chongqing')).toMatchObject({
      state: 'up',
      ports: [SIDE.chongqing.port, SIDE.chongqing.link, SIDE.chongqing.controller],
      pid: expect.any(Number),
    });
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

  it('shows a mirror whose principal lacks an ACL as error, with the reason, and up again once the ACL is there', async () => {
    // An inbox the mirror may see and read, but whose configuration it may not describe: it cannot create the
    // topic on its own side, so it logs an authorisation error at every topic refresh.
    const topic = `t-${uniqueId()}.500000.inbox`;
    const a = admin(SIDE.sichuan).admin();
    await a.connect();
    const acl = (operation: AclOperationTypes) => ({
      resourceType: AclResourceTypes.TOPIC,
      resourceName: topic,
      resourcePatternType: ResourcePatternTypes.LITERAL,
      principal: 'User:mirror-500000',
      host: '*',
      operation,
      permissionType: AclPermissionTypes.ALLOW,
    });
    // A fault counts for 15 s after its last line (60 by default), so that "up again" comes sooner.
    const status = () => components({ TONGBAN_MIRROR_FAULT_SECONDS: '15' });
    try {
      await a.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
      await a.createAcls({ acl: [acl(AclOperationTypes.DESCRIBE), acl(AclOperationTypes.READ)] });
      const broken = await waitFor(
        async () => status().find((c) => c.name === 'mirror-chongqing' && c.state === 'error'),
        'mirror-chongqing in error',
        120_000,
        2_000,
      );
      expect(broken.note).toMatch(/AuthorizationException/);
      expect(broken.pid).toEqual(expect.any(Number));
      await a.createAcls({ acl: [acl(AclOperationTypes.DESCRIBE_CONFIGS)] });
      await waitFor(async () => status().find((c) => c.name === 'mirror-chongqing' && c.state === 'up'), 'mirror-chongqing up again', 150_000, 2_000);
    } finally {
      await a.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await a.disconnect();
    }
  }, 300_000);
});
