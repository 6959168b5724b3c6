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
    expect(readOpsConfig({ ...dev, TONGBAN_OPS_NODES: '510000', TONGBAN_OPS_WITNESS_INTERVAL_SECONDS: '60' }).witness).toEqual({
      province: '510000',
      partner: '500000',
      intervalMs: 60_000,
    });
    // Both nodes behind one ops (the one-cluster stack): no province, no witness; 0 turns it off.
    expect(readOpsConfig(dev).witness).toBeUndefined();
    expect(readOpsConfig({ ...dev, TONGBAN_OPS_NODES: '510000', TONGBAN_OPS_WITNESS_INTERVAL_SECONDS: '0' }).witness).toBeUndefined();
    expect(readOpsConfig({ ...dev, TONGBAN_OPS_PROVINCE: '510000' }).witness?.partner).toBe('500000');
    expect(() => readOpsConfig({ ...dev, TONGBAN_OPS_PROVINCE: '440000' })).toThrow(/TONGBAN_OPS_PROVINCE must be one of the linked provinces/);
  });

  it('sends transit receipts on the witness channel every second, 500 to a record, unless told otherwise', () => {
    const dev = { TONGBAN_PROFILE: 'development' };
    expect(readOpsConfig({ ...dev, TONGBAN_OPS_NODES: '500000' }).transit).toEqual({
      province: '500000',
      partner: '510000',
      intervalMs: 1000,
      batchSize: 500,
      overlapMs: 10_000,
    });
    expect(
      readOpsConfig({
        ...dev,
        TONGBAN_OPS_NODES: '510000',
        TONGBAN_OPS_RECEIPT_INTERVAL_MS: '250',
        TONGBAN_OPS_RECEIPT_BATCH: '50',
        TONGBAN_OPS_RECEIPT_OVERLAP_SECONDS: '30',
      }).transit,
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
    expect(() => readOpsConfig({ TONGBAN_PROFILE: 'development', TONGBAN_OPS_REPLAY_MAX_JOBS: '0' })).toThrow(
      /TONGBAN_OPS_REPLAY_MAX_JOBS must be a whole number from 1 to 100/,
    );
  });
});

describe('ops configuration: the delivery service and the pipeline view', () => {
  const dev = { TONGBAN_PROFILE: 'development' };
  const prod = {
    TONGBAN_OPERATORS: 'alice:alice-token-123:admin',
    TONGBAN_AUDIT_PERSON_KEY: 'k'.repeat(16),
    TONGBAN_MYSQL_PASSWORD: 'pw',
    TONGBAN_KAFKA_USERNAME: 'ops',
    TONGBAN_KAFKA_PASSWORD: 'pw',
    TONGBAN_NODE_SERVICE_TOKEN: 'n'.repeat(32),
    TONGBAN_SCHEMA_REGISTRY_PASSWORD: 'pw',
  };

  it('asks the local delivery service with the token the development delivery takes', () => {
    expect(readOpsConfig({ ...dev, TONGBAN_ADMIN_TOKEN: 'dev-admin-token-0123' }).delivery).toEqual({
      url: 'http://127.0.0.1:3400',
      token: 'dev-admin-token-0123',
    });
    expect(readOpsConfig({ ...dev, TONGBAN_OPS_DELIVERY_URL: 'http://127.0.0.1:3410/', TONGBAN_OPS_DELIVERY_TOKEN: 'cq-delivery-token-01' }).delivery).toEqual({
      url: 'http://127.0.0.1:3410',
      token: 'cq-delivery-token-01',
    });
    expect(readOpsConfig({ ...dev, TONGBAN_OPS_DELIVERY_URL: 'off' }).delivery).toBeUndefined();
  });

  it('outside development asks a delivery service only when told where, and then needs its token', () => {
    const errors = (env: Record<string, string>) => {
      try {
        return { delivery: readOpsConfig({ ...prod, ...env }).delivery, problems: [] as string[] };
      } catch (e) {
        return { delivery: undefined, problems: ((e as { problems?: string[] }).problems ?? [String(e)]).filter((p) => p.includes('DELIVERY')) };
      }
    };
    expect(errors({}).problems).toEqual([]);
    expect(errors({ TONGBAN_OPS_DELIVERY_URL: 'https://delivery.sc.internal' }).problems).toEqual([
      expect.stringContaining('TONGBAN_OPS_DELIVERY_TOKEN is required with TONGBAN_OPS_DELIVERY_URL'),
    ]);
    expect(errors({ TONGBAN_OPS_DELIVERY_URL: 'delivery:3400', TONGBAN_OPS_DELIVERY_TOKEN: 'short' }).problems).toEqual([
      'TONGBAN_OPS_DELIVERY_URL must be an http(s) URL, got "delivery:3400"',
      'TONGBAN_OPS_DELIVERY_TOKEN must be at least 16 characters',
    ]);
  });

  it('counts the outboxes of the gateway and its nodes, and marks what passes the thresholds it is given', () => {
    expect(readOpsConfig({ ...dev, TONGBAN_OPS_NODES: '500000' }).pipeline).toEqual({
      outboxDatabases: ['tongban_gateway', 'tongban_node_500000'],
      threshold: { outboxPending: 1000, outboxOldestSeconds: 60, consumerLag: 1000 },
    });
    expect(
      readOpsConfig({
        ...dev,
        TONGBAN_OPS_OUTBOX_DATABASES: 'a_gateway,a_node_510000',
        TONGBAN_OPS_OUTBOX_MAX_PENDING: '5',
        TONGBAN_OPS_OUTBOX_MAX_AGE_SECONDS: '10',
        TONGBAN_OPS_CONSUMER_LAG_MAX_MESSAGES: '0',
      }).pipeline,
    ).toEqual({ outboxDatabases: ['a_gateway', 'a_node_510000'], threshold: { outboxPending: 5, outboxOldestSeconds: 10, consumerLag: 0 } });
    expect(() => readOpsConfig({ ...dev, TONGBAN_OPS_OUTBOX_DATABASES: 'a;drop' })).toThrow(/TONGBAN_OPS_OUTBOX_DATABASES: "a;drop" is not a database name/);
  });
});
