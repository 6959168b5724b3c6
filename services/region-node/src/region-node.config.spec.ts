import { ConfigError } from '@tongban/config';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_PERSON_INDEX_KEY, readRegionNodeConfig } from './region-node.config';

describe('region node configuration', () => {
  it('defaults to the Chongqing node on its documented port and database', () => {
    const c = readRegionNodeConfig({ TONGBAN_PROFILE: 'development' });
    expect(c).toMatchObject({ region: '500000', port: 3202, database: 'tongban_node_500000', groupId: 'tongban.region-node.500000' });
    expect(c.retry.delaysMs).toEqual([5000, 60000, 600000]);
  });

  it('stops with the names of the bad variables', () => {
    expect(() =>
      readRegionNodeConfig({ TONGBAN_NODE_REGION: '5000', TONGBAN_DEADLINES: 'subsidyAcknowledge=soon', TONGBAN_CALENDAR: 'holidays=2026-13-01' }),
    ).toThrow(ConfigError);
    try {
      readRegionNodeConfig({ TONGBAN_NODE_REGION: '5000', TONGBAN_DEADLINES: 'subsidyAcknowledge=soon' });
    } catch (e) {
      const text = (e as ConfigError).message;
      expect(text).toContain('TONGBAN_NODE_REGION must be a 6-digit division code, got "5000"');
      expect(text).toContain('TONGBAN_DEADLINES');
    }
  });

  it('refuses to start outside development without its secrets, naming each', () => {
    expect(() => readRegionNodeConfig({})).toThrow(ConfigError);
    try {
      readRegionNodeConfig({ TONGBAN_PERSON_INDEX_KEY: '' });
    } catch (e) {
      const text = (e as ConfigError).message;
      for (const name of [
        'TONGBAN_MYSQL_PASSWORD',
        'TONGBAN_KAFKA_USERNAME',
        'TONGBAN_KAFKA_PASSWORD',
        'TONGBAN_SCHEMA_REGISTRY_USERNAME',
        'TONGBAN_SCHEMA_REGISTRY_PASSWORD',
      ]) {
        expect(text).toContain(`${name} is required`);
      }
      // Set but empty is not "use the development key".
      expect(text).toContain('TONGBAN_PERSON_INDEX_KEY is set but empty');
    }
  });

  it('takes the documented person index key only in the development profile', () => {
    expect(readRegionNodeConfig({ TONGBAN_PROFILE: 'development' }).personIndexKey).toBe(DEV_PERSON_INDEX_KEY);
    expect(() => readRegionNodeConfig({ TONGBAN_PROFILE: 'production' })).toThrow(/TONGBAN_PERSON_INDEX_KEY is required/);
  });

  describe('working-day calendar', () => {
    it('reads the published schedules of libs/calendar/data by default', () => {
      const { calendar } = readRegionNodeConfig({ TONGBAN_PROFILE: 'development' });
      expect(calendar.hasSchedule(2026)).toBe(true);
      expect(calendar.isWorkingDay('2026-10-08')).toBe(true);
      expect(calendar.isWorkingDay('2026-10-07')).toBe(false);
    });

    it('reads another directory from TONGBAN_CALENDAR_DIR, and names a broken file', () => {
      const dir = mkdtempSync(join(tmpdir(), 'tongban-node-calendar-'));
      writeFileSync(join(dir, '2027.json'), JSON.stringify({ year: 2027, holidays: ['2027-01-01'], workdays: [] }));
      const { calendar } = readRegionNodeConfig({ TONGBAN_PROFILE: 'development', TONGBAN_CALENDAR_DIR: dir });
      expect(calendar.missingYears(2026, 2027)).toEqual([2026]);
      writeFileSync(join(dir, '2028.json'), '{ "year": 2028, "holidays": ["2028-02-30"] }');
      expect(() => readRegionNodeConfig({ TONGBAN_PROFILE: 'development', TONGBAN_CALENDAR_DIR: dir })).toThrow(ConfigError);
    });
  });
});
