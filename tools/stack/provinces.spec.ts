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
});
