import { inGroups, provinceStackServices, stackServices } from './stack';
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
