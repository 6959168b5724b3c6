import { ConfigError } from '@tongban/config';
import { readRegionNodeConfig } from './region-node.config';

describe('region node configuration', () => {
  it('defaults to the Chongqing node on its documented port and database', () => {
    const c = readRegionNodeConfig({});
    expect(c).toMatchObject({ region: '500000', port: 3202, database: 'tongban_node_500000', groupId: 'tongban.region-node.500000' });
    expect(c.retry.delaysMs).toEqual([5000, 60000, 600000]);
  });

  it('stops with the names of the bad variables', () => {
    expect(() => readRegionNodeConfig({ TONGBAN_NODE_REGION: '5000', TONGBAN_DEADLINES: 'subsidyAcknowledge=soon', TONGBAN_CALENDAR: 'holidays=2026-13-01' })).toThrow(ConfigError);
    try {
      readRegionNodeConfig({ TONGBAN_NODE_REGION: '5000', TONGBAN_DEADLINES: 'subsidyAcknowledge=soon' });
    } catch (e) {
      const text = (e as ConfigError).message;
      expect(text).toContain('TONGBAN_NODE_REGION must be a 6-digit division code, got "5000"');
      expect(text).toContain('TONGBAN_DEADLINES');
    }
  });
});
