import { provinceOfDevelopmentKey, twoProvinces } from './provinces';

describe('provinceOfDevelopmentKey', () => {
  it.each([
    ['dev-chengdu', '510000'],
    ['dev-anyue', '510000'],
    ['dev-sichuan', '510000'],
    ['dev-dazu', '500000'],
    ['dev-cqhtz', '500000'],
    ['dev-chongqing', '500000'],
  ])('puts %s in province %s', (key, province) => {
    expect(provinceOfDevelopmentKey(key)).toBe(province);
  });

  it('knows no province for a key the development profile does not have', () => {
    expect(provinceOfDevelopmentKey('dev-nowhere')).toBeUndefined();
  });
});

describe('twoProvinces', () => {
  it('puts Sichuan on 9092 and Chongqing on 9094 unless the environment says otherwise', () => {
    expect(twoProvinces({}).map((p) => [p.code, p.brokers])).toEqual([
      ['510000', ['127.0.0.1:9092']],
      ['500000', ['127.0.0.1:9094']],
    ]);
    expect(twoProvinces({ TONGBAN_KAFKA_CQ_PORT: '29494' })[1].brokers).toEqual(['127.0.0.1:29494']);
  });

  it('lists every node of a province of three, each port 100 apart as infra.sh lays them out, local and link', () => {
    const [sc, cq] = twoProvinces({ TONGBAN_KAFKA_BROKERS_PER_CLUSTER: '3', TONGBAN_KAFKA_CQ_LINK_PORT: '29104' });
    expect(sc.brokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9192', '127.0.0.1:9292']);
    expect(sc.link).toBe('127.0.0.1:9093,127.0.0.1:9193,127.0.0.1:9293');
    expect(cq.brokers).toEqual(['127.0.0.1:9094', '127.0.0.1:9194', '127.0.0.1:9294']);
    expect(cq.link).toBe('127.0.0.1:29104,127.0.0.1:29204,127.0.0.1:29304');
  });

  it('refuses a node count infra.sh does not start', () => {
    expect(() => twoProvinces({ TONGBAN_KAFKA_BROKERS_PER_CLUSTER: '2' })).toThrow(/1, 3 or 5/);
  });
});
