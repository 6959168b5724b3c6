import type { AddressInfo } from 'node:net';
import { createConnection } from 'mysql2/promise';
import { DecodeFailure } from '@tongban/avro';
import { ConfigError } from '@tongban/config';
import { readRegionNodeConfig } from '../../services/region-node/src/region-node.config';
import { api, OpsTestStack, startOpsStack, TOKENS } from '../ops/ops-support';
import { internalHeaders } from '../support/internal-api';
import { MYSQL } from '../support/test-stack';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';
import { call, nodeUrl } from './security-support';

/** The region node's internal port: loopback by default, the service token on every route, every action attributed. */
describe('attack: calling a region node’s internal API directly', () => {
  let t: OpsTestStack;
  let node: string;

  async function actions(): Promise<Array<{ actor: string; method: string; path: string; status: number }>> {
    const conn = await createConnection({ ...MYSQL, database: t.stack.databases.nodes['510000'] });
    try {
      const [rows] = await conn.query('SELECT actor, method, path, status FROM internal_actions ORDER BY id');
      return rows as Array<{ actor: string; method: string; path: string; status: number }>;
    } finally {
      await conn.end();
    }
  }

  beforeAll(async () => {
    t = await startOpsStack();
    node = nodeUrl(t.stack, '510000');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('listens on 127.0.0.1 unless TONGBAN_NODE_HOST says otherwise', () => {
    expect(readRegionNodeConfig({ TONGBAN_PROFILE: 'development' }).host).toBe('127.0.0.1');
    expect((t.stack.nodes.get('510000')!.app.getHttpServer().address() as AddressInfo).address).toBe('127.0.0.1');
  });

  it('answers 401 to every internal route without the service token or with a wrong one; health and metrics stay open', async () => {
    const routes: Array<[string, string]> = [
      ['GET', '/internal/holds'],
      ['GET', '/internal/holds/SUB-510104-2026-000123'],
      ['POST', '/internal/holds/SUB-510104-2026-000123/release'],
      ['GET', '/internal/events/7f1c3c2e-3d5b-4c1e-9a51-0c7e8d6b5a40'],
      ['GET', '/internal/cases/SUB-510104-2026-000123'],
      ['POST', '/internal/cases/search'],
    ];
    for (const [method, path] of routes) {
      const body = method === 'POST' ? JSON.stringify({ resolution: 'discarded' }) : undefined;
      const none = await call(`${node}${path}`, { method, body, headers: { 'content-type': 'application/json' } });
      expect([path, none.status, none.body.error?.code]).toEqual([path, 401, 'UNAUTHENTICATED']);
      const wrong = await call(`${node}${path}`, {
        method,
        body,
        headers: { 'content-type': 'application/json', 'x-tongban-service-token': 'x'.repeat(48), 'x-tongban-actor': 'mallory' },
      });
      expect([path, wrong.status]).toEqual([path, 401]);
    }
    for (const path of ['/health', '/health/live', '/health/ready', '/metrics']) {
      expect([path, (await call(`${node}${path}`)).status]).toEqual([path, 200]);
    }
    expect(JSON.stringify(await actions())).not.toContain('mallory');
  });

  it('refuses a hold release that does not say who asks (400), and records the one that does', async () => {
    const key = `SUB-510104-2026-${uniqueId()}`;
    const anonymous = await call(`${node}/internal/holds/${key}/release`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tongban-service-token': t.stack.env.TONGBAN_NODE_SERVICE_TOKEN },
      body: JSON.stringify({ resolution: 'discarded' }),
    });
    expect(anonymous.status).toBe(400);
    const named = await call(`${node}/internal/holds/${key}/release`, {
      method: 'POST',
      headers: internalHeaders(t.stack, 'ops:test-operator', { 'content-type': 'application/json' }),
      body: JSON.stringify({ resolution: 'discarded' }),
    });
    expect(named.status).toBe(404);
    const recorded = await waitFor(async () => (await actions()).find((a) => a.path.includes(key)), 'the action recorded');
    expect(recorded).toEqual({ actor: 'ops:test-operator', method: 'POST', path: `/internal/holds/${key}/release`, status: 404 });
  });

  it('an operator’s discard in ops reaches the node with the service token, recorded under the operator’s name', async () => {
    const caseId = `CASE-SEC-${uniqueId()}`;
    await t.park('510000', Buffer.from([0, 0, 0, 0, 99, 1]), new DecodeFailure('SCHEMA_ID_UNKNOWN', 'schema id 99 is not in the registry'), {}, caseId);
    const item = await waitFor(async () => {
      const r = await api(t, 'GET', `/v1/dlq?caseId=${caseId}`, TOKENS.viewer);
      return r.body.items?.[0];
    }, 'the dead letter in ops');
    const discarded = await api(t, 'POST', `/v1/dlq/${item.id}/discard`, TOKENS.operator, { reason: 'sent by a test' });
    expect(discarded.body).toMatchObject({ state: 'discarded', hold: 'nothing-held' });
    const recorded = await waitFor(async () => (await actions()).find((a) => a.path.includes(caseId)), 'the release recorded at the node');
    expect(recorded).toMatchObject({ actor: 'ops:olga', method: 'POST', status: 404 });
  });

  it('outside the development profile a node without TONGBAN_NODE_SERVICE_TOKEN refuses to start', () => {
    expect(() => readRegionNodeConfig({ TONGBAN_PROFILE: 'production' })).toThrow(ConfigError);
    expect(() => readRegionNodeConfig({ TONGBAN_PROFILE: 'production' })).toThrow(/TONGBAN_NODE_SERVICE_TOKEN is required/);
  });
});
