import { ConfigError } from '@tongban/config';
import { readOpsConfig } from './ops.config';

describe('ops configuration', () => {
  it('takes the documented operator tokens only in the development profile', () => {
    expect(readOpsConfig({ TONGBAN_PROFILE: 'development' }).operators.map((o) => o.name)).toEqual(['admin', 'operator', 'viewer']);
    try {
      readOpsConfig({});
      throw new Error('started without secrets');
    } catch (e) {
      const missing = (e as ConfigError).problems.filter((p) => p.includes('is required')).map((p) => p.split(' ')[0]);
      expect(missing).toEqual(expect.arrayContaining(['TONGBAN_OPERATORS', 'TONGBAN_AUDIT_PERSON_KEY', 'TONGBAN_MYSQL_PASSWORD', 'TONGBAN_KAFKA_USERNAME']));
    }
  });
});
