import { inGroups, provinceStackServices, stackServices, stackSpecs } from './stack';
import { twoProvinces } from './provinces';

describe('inGroups', () => {
  it('keeps each group in the order of its items, groups in the order they first appear', () => {
    const items = [
      { n: 1, g: 'b' },
      { n: 2, g: 'a' },
      { n: 3, g: 'b' },
      { n: 4, g: 'a' },
    ];
    expect(inGroups(items, (i) => i.g).map((g) => g.map((i) => i.n))).toEqual([
      [1, 3],
      [2, 4],
    ]);
  });

  it('puts everything without a key in one group', () => {
    expect(inGroups([1, 2, 3], () => undefined)).toEqual([[1, 2, 3]]);
  });
});

describe('the province of each service', () => {
  it('is set for both provinces’ copies, each province in start order, and absent on one cluster', () => {
    const specs = provinceStackServices(twoProvinces({}), { databasePrefix: 'tbspec' });
    const groups = inGroups(specs, (s) => s.province);
    expect(groups.map((g) => [g[0].province, g.map((s) => s.name)])).toEqual([
      ['510000', ['schema-registry-sichuan', 'region-node-510000', 'gateway-sichuan', 'relay-sichuan', 'ops-sichuan', 'delivery-sichuan']],
      ['500000', ['schema-registry-chongqing', 'region-node-500000', 'gateway-chongqing', 'relay-chongqing', 'ops-chongqing', 'delivery-chongqing']],
    ]);
    expect(stackServices().every((s) => s.province === undefined)).toBe(true);
  });
});

describe('the topic settings of a province', () => {
  const replication = (specs: ReturnType<typeof provinceStackServices>) =>
    specs.map((s) => [s.env.TONGBAN_KAFKA_BROKERS?.split(',').length, s.env.TONGBAN_TOPIC_REPLICATION_FACTOR, s.env.TONGBAN_TOPIC_MIN_INSYNC_REPLICAS]);

  it('are three copies, two in sync, on a province of three nodes, and every service has every node', () => {
    const specs = provinceStackServices(twoProvinces({ TONGBAN_KAFKA_BROKERS_PER_CLUSTER: '3' }), { databasePrefix: 'tbspec' });
    expect(new Set(replication(specs).map((r) => r.join('/')))).toEqual(new Set(['3/3/2']));
  });

  it('are the services’ defaults on a one-broker province, and a caller’s setting wins', () => {
    expect(new Set(replication(provinceStackServices(twoProvinces({}), { databasePrefix: 'tbspec' })).map((r) => r.join('/')))).toEqual(new Set(['1//']));
    const overridden = provinceStackServices(twoProvinces({ TONGBAN_KAFKA_BROKERS_PER_CLUSTER: '3' }), {
      databasePrefix: 'tbspec',
      extraEnv: { TONGBAN_TOPIC_MIN_INSYNC_REPLICAS: '3' },
    });
    expect(new Set(replication(overridden).map((r) => r.join('/')))).toEqual(new Set(['3/3/3']));
  });
});

describe('the node options of each service', () => {
  const heap = (specs: ReturnType<typeof stackSpecs>) => Object.fromEntries(specs.map((s) => [s.name, (s.nodeArgs ?? []).join(' ')]));

  it('bound the old generation of the gateway and the region nodes, on one cluster and in both provinces', () => {
    expect(heap(stackSpecs({}))).toEqual({
      'schema-registry': '',
      'region-node-500000': '--max-old-space-size=128',
      'region-node-510000': '--max-old-space-size=128',
      gateway: '--max-old-space-size=128',
      relay: '',
      ops: '',
      delivery: '',
    });
    const provinces = heap(stackSpecs({ provinces: twoProvinces({}), databasePrefix: 'tbspec' }));
    expect(
      Object.entries(provinces)
        .filter(([, args]) => args !== '')
        .map(([name]) => name),
    ).toEqual(['region-node-510000', 'gateway-sichuan', 'region-node-500000', 'gateway-chongqing']);
  });

  it('put the caller’s options after the service’s own', () => {
    const specs = heap(stackSpecs({ nodeArgs: ['--cpu-prof'] }));
    expect(specs.gateway).toBe('--max-old-space-size=128 --cpu-prof');
    expect(specs.relay).toBe('--cpu-prof');
  });
});
