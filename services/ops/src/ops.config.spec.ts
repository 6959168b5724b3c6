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

  it('witnesses the other province when it serves one province, every 300 s unless told otherwise', () => {
    const dev = { TONGBAN_PROFILE: 'development' };
    expect(readOpsConfig({ ...dev, TONGBAN_OPS_NODES: '500000' }).witness).toEqual({ province: '500000', partner: '510000', intervalMs: 300_000 });
    expect(readOpsConfig({ ...dev, TONGBAN_OPS_NODES: '510000', TONGBAN_OPS_WITNESS_INTERVAL_SECONDS: '60' }).witness).toEqual({ province: '510000', partner: '500000', intervalMs: 60_000 });
    // Both nodes behind one ops (the one-cluster stack): no province, no witness; 0 turns it off.
    expect(readOpsConfig(dev).witness).toBeUndefined();
    expect(readOpsConfig({ ...dev, TONGBAN_OPS_NODES: '510000', TONGBAN_OPS_WITNESS_INTERVAL_SECONDS: '0' }).witness).toBeUndefined();
    expect(readOpsConfig({ ...dev, TONGBAN_OPS_PROVINCE: '510000' }).witness?.partner).toBe('500000');
    expect(() => readOpsConfig({ ...dev, TONGBAN_OPS_PROVINCE: '440000' })).toThrow(/TONGBAN_OPS_PROVINCE must be one of the linked provinces/);
  });

  it('sends transit receipts on the witness channel every second, 500 to a record, unless told otherwise', () => {
    const dev = { TONGBAN_PROFILE: 'development' };
    expect(readOpsConfig({ ...dev, TONGBAN_OPS_NODES: '500000' }).transit).toEqual({ province: '500000', partner: '510000', intervalMs: 1000, batchSize: 500, overlapMs: 10_000 });
    expect(
      readOpsConfig({ ...dev, TONGBAN_OPS_NODES: '510000', TONGBAN_OPS_RECEIPT_INTERVAL_MS: '250', TONGBAN_OPS_RECEIPT_BATCH: '50', TONGBAN_OPS_RECEIPT_OVERLAP_SECONDS: '30' }).transit,
    ).toEqual({ province: '510000', partner: '500000', intervalMs: 250, batchSize: 50, overlapMs: 30_000 });
    // No witness channel (both nodes behind one ops, or the witness off), or 0: no receipts.
    expect(readOpsConfig(dev).transit).toBeUndefined();
    expect(readOpsConfig({ ...dev, TONGBAN_OPS_NODES: '500000', TONGBAN_OPS_WITNESS_INTERVAL_SECONDS: '0' }).transit).toBeUndefined();
    expect(readOpsConfig({ ...dev, TONGBAN_OPS_NODES: '500000', TONGBAN_OPS_RECEIPT_INTERVAL_MS: '0' }).transit).toBeUndefined();
    expect(() => readOpsConfig({ ...dev, TONGBAN_OPS_RECEIPT_BATCH: '0' })).toThrow(/TONGBAN_OPS_RECEIPT_BATCH must be a whole number from 1 to 5000/);
  });
});

describe('ops configuration: bulk replay bounds', () => {
  it('takes 10000 letters per job and 2 jobs at once unless TONGBAN_OPS_REPLAY_MAX_ITEMS / _MAX_JOBS say otherwise', () => {
    expect(readOpsConfig({ TONGBAN_PROFILE: 'development' })).toMatchObject({ replayMaxItems: 10000, replayMaxJobs: 2 });
    expect(readOpsConfig({ TONGBAN_PROFILE: 'development', TONGBAN_OPS_REPLAY_MAX_ITEMS: '500', TONGBAN_OPS_REPLAY_MAX_JOBS: '1' })).toMatchObject({
      replayMaxItems: 500,
      replayMaxJobs: 1,
    });
    expect(() => readOpsConfig({ TONGBAN_PROFILE: 'development', TONGBAN_OPS_REPLAY_MAX_JOBS: '0' })).toThrow(/TONGBAN_OPS_REPLAY_MAX_JOBS must be a whole number from 1 to 100/);
  });
});
