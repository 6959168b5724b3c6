import type { EntityManager } from 'typeorm';
import { laneOf, OutboxMessage } from '@tongban/kafka';
import { enqueue, mysqlOutbox } from './mysql-outbox';

/** An EntityManager that keeps what was written instead of writing it. */
function recordingManager(): { manager: EntityManager; queries: Array<{ sql: string; params: unknown[] }> } {
  const queries: Array<{ sql: string; params: unknown[] }> = [];
  const manager = { query: async (sql: string, params: unknown[]) => void queries.push({ sql, params }) } as unknown as EntityManager;
  return { manager, queries };
}

const message = (eventId: string, topic: string, key: string): OutboxMessage => ({
  eventId,
  topic,
  key,
  value: Buffer.from(eventId),
  headers: { 'tb-event-type': 'X' },
});

describe('MySQL outbox', () => {
  it('writes one row per message in one statement, on the lane of its key', async () => {
    const { manager, queries } = recordingManager();
    const messages = [message('e1', 'tb.500000.inbox', 'SUB-510104-2026-000001'), message('e1', 'tb.510100.local', 'SUB-510104-2026-000001')];
    await mysqlOutbox.enqueue(manager, messages, 8);
    expect(queries).toHaveLength(1);
    expect(queries[0].sql).toMatch(/^INSERT IGNORE INTO outbox_events/);
    const rows = [0, 6].map((at) => queries[0].params.slice(at, at + 6));
    expect(rows).toEqual(messages.map((m) => [m.eventId, laneOf(m.key, 8), m.topic, m.key, m.value, JSON.stringify(m.headers)]));
  });

  it('writes nothing for no message', async () => {
    const { manager, queries } = recordingManager();
    await enqueue(manager, []);
    expect(queries).toEqual([]);
  });
});
