import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { startOpsWithDelivery, TestDelivery } from '../partners/partner-support';
import type { OpsTestStack } from '../ops/ops-support';
import { uniqueId } from '../support/unique';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

async function one<T = Record<string, unknown>>(ds: DataSource, sql: string, params: unknown[]): Promise<T | undefined> {
  const rows = await ds.query(sql, params);
  return rows[0] as T | undefined;
}

/** The value of a Prometheus sample, or undefined. */
async function metric(url: string, line: RegExp): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = text
    .split('\n')
    .map((l) => line.exec(l))
    .find(Boolean);
  return m ? Number(m[1]) : undefined;
}

describe('attack: personal data kept past its retention', () => {
  let t: OpsTestStack;
  let delivery: TestDelivery;
  // Defaults: case payloads and dead letters 180 days, held messages, delivery bodies and idempotency 30, outbox 7.
  beforeAll(async () => ({ t, delivery } = await startOpsWithDelivery()));
  afterAll(async () => {
    await delivery?.stop();
    await t?.stop();
  });

  it('a node nulls the payloads of cases idle past 180 days (keeping ids, states and dates), deletes old held and sent rows, keeps the rest', async () => {
    const node = t.stack.nodes.get('500000')!;
    const ds = node.dataSource;
    const old = `RET-OLD-${uniqueId()}`;
    const timed = `RET-TIMER-${uniqueId()}`;
    const recent = `RET-NEW-${uniqueId()}`;
    for (const [caseId, at] of [
      [old, ago(200)],
      [timed, ago(200)],
      [recent, ago(10)],
    ] as Array<[string, Date]>) {
      await ds.query(
        `INSERT INTO cases (case_id, workflow, state, accepting_region, responsible_region, version, last_event_id, data, created_at, updated_at)
         VALUES (?, 'disability-subsidy', 'submitted', '510104', '500111', 1, ?, ?, ?, ?)`,
        [caseId, randomUUID(), JSON.stringify({ data: { applicantName: '李秀英' } }), at, at],
      );
      await ds.query(
        `INSERT INTO case_events (event_id, case_id, seq, event_type, source_region, target_region, occurred_at, received_at, correlation_id, schema_id,
           outcome, state_after, payload, kafka_topic, kafka_partition, kafka_offset)
         VALUES (?, ?, 1, 'SubsidyApplicationSubmitted', '510104', '500111', ?, ?, 'c', 1, 'applied', 'submitted', ?, 't', 0, 1)`,
        [randomUUID(), caseId, at, at, JSON.stringify({ applicant: { idNumber: '500111196804170022' } })],
      );
    }
    await ds.query(
      `INSERT INTO case_timers (case_id, name, started_at, due_at, owner_division, must_act_division, escalate_to) VALUES (?, 'acknowledge', ?, ?, '500111', '500111', '500000')`,
      [timed, ago(200), new Date(Date.now() + DAY)],
    );
    const outbox = (eventId: string, created: Date, sent: Date | null) =>
      ds.query(
        `INSERT INTO outbox_events (event_id, lane, topic, message_key, value, headers, created_at, sent_at) VALUES (?, 0, 'retention.test', ?, ?, '{}', ?, ?)`,
        [eventId, eventId, Buffer.from('personal bytes'), created, sent],
      );
    const [sentOld, sentNew, unsentOld] = [randomUUID(), randomUUID(), randomUUID()];
    await outbox(sentOld, ago(20), ago(20));
    await outbox(sentNew, ago(1), ago(1));
    await outbox(unsentOld, ago(20), null);
    const held = (status: string, offset: number, at: Date) =>
      ds.query(
        `INSERT INTO held_messages (case_key, topic, partition_no, offset_no, message_value, headers, waits_for_ref, status, held_at, done_at)
         VALUES (?, 'retention.test', 0, ?, ?, '{}', 'x', ?, ?, ?)`,
        [old, offset, Buffer.from('personal bytes'), status, at, status === 'held' ? null : at],
      );
    const base = Math.floor(Math.random() * 1e9);
    await held('applied', base, ago(40));
    await held('discarded', base + 1, ago(5));
    await held('held', base + 2, ago(40));

    const purged = await node.retention.runOnce();
    expect(purged).toMatchObject({ casePayloads: 1, heldMessages: 1, outbox: 1 });

    const skeleton = await one<Record<string, unknown>>(ds, 'SELECT state, data, created_at, last_event_id FROM cases WHERE case_id = ?', [old]);
    expect(skeleton).toMatchObject({ state: 'submitted', data: null });
    expect(skeleton!.created_at).toBeTruthy();
    expect(await one(ds, 'SELECT event_type, outcome, payload FROM case_events WHERE case_id = ?', [old])).toEqual({
      event_type: 'SubsidyApplicationSubmitted',
      outcome: 'applied',
      payload: null,
    });
    for (const kept of [timed, recent]) {
      expect((await one<{ data: string }>(ds, 'SELECT data FROM cases WHERE case_id = ?', [kept]))!.data).toContain('李秀英');
      expect((await one<{ payload: string }>(ds, 'SELECT payload FROM case_events WHERE case_id = ?', [kept]))!.payload).toContain('500111196804170022');
    }
    const outboxLeft = (await ds.query("SELECT event_id FROM outbox_events WHERE topic = 'retention.test'"))
      .map((r: { event_id: string }) => r.event_id)
      .sort();
    expect(outboxLeft).toEqual([sentNew, unsentOld].sort());
    const heldLeft = (await ds.query("SELECT status FROM held_messages WHERE topic = 'retention.test'")).map((r: { status: string }) => r.status).sort();
    expect(heldLeft).toEqual(['discarded', 'held']);

    const url = `http://127.0.0.1:${node.app.getHttpServer().address().port}`;
    expect(await metric(url, /^tongban_retention_purged_rows_total\{[^}]*kind="casePayloads"[^}]*\} (\d+)/)).toBeGreaterThanOrEqual(1);
    expect(await metric(url, /^tongban_retention_last_run_timestamp_seconds(?:\{[^}]*\})? (\d+(?:\.\d+)?)/)).toBeGreaterThan(Date.now() / 1000 - 60);
  });

  it('the gateway deletes idempotency records past 30 days and sent outbox rows past 7, and a second replica holding the lock skips the run', async () => {
    const ds = t.stack.gateway.dataSource;
    const [oldKey, newKey] = [`old-${uniqueId()}`, `new-${uniqueId()}`];
    await ds.query('INSERT INTO idempotency_keys (key_id, idempotency_key, request_hash, event_id, created_at) VALUES (?, ?, ?, ?, ?)', [
      'k1',
      oldKey,
      'h',
      randomUUID(),
      ago(31),
    ]);
    await ds.query('INSERT INTO idempotency_keys (key_id, idempotency_key, request_hash, event_id, created_at) VALUES (?, ?, ?, ?, ?)', [
      'k1',
      newKey,
      'h',
      randomUUID(),
      ago(29),
    ]);
    await ds.query(
      `INSERT INTO outbox_events (event_id, lane, topic, message_key, value, headers, created_at, sent_at) VALUES (?, 0, 'retention.test', 'k', ?, '{}', ?, ?)`,
      [randomUUID(), Buffer.from('x'), ago(8), ago(8)],
    );

    // Another replica's run holds the named lock: this one does nothing and says so.
    const other = ds.createQueryRunner();
    await other.connect();
    const lock = `tongban-retention:${t.stack.databases.gateway}`;
    expect((await other.query('SELECT GET_LOCK(?, 0) AS got', [lock]))[0].got).toBe(1);
    expect(await t.stack.gateway.retention.runOnce()).toBeNull();
    expect(await one(ds, 'SELECT 1 AS present FROM idempotency_keys WHERE idempotency_key = ?', [oldKey])).toEqual({ present: 1 });
    await other.query('SELECT RELEASE_LOCK(?)', [lock]);
    await other.release();

    expect(await t.stack.gateway.retention.runOnce()).toMatchObject({ idempotency: 1, outbox: 1 });
    expect(await one(ds, 'SELECT 1 AS present FROM idempotency_keys WHERE idempotency_key = ?', [oldKey])).toBeUndefined();
    expect(await one(ds, 'SELECT 1 AS present FROM idempotency_keys WHERE idempotency_key = ?', [newKey])).toEqual({ present: 1 });
    expect(await one(ds, "SELECT COUNT(*) AS n FROM outbox_events WHERE topic = 'retention.test'", [])).toEqual({ n: '0' });
  });

  it('ops empties dead letters resolved more than 180 days ago and keeps parked and recent ones whole', async () => {
    const ds = t.ops.dataSource;
    const insert = (state: string, resolvedAt: Date | null) =>
      ds.query(
        `INSERT INTO dead_letters (dlq_topic, dlq_partition, dlq_offset, original_topic, error_class, error_code, error_message, attempts, parked_at, stored_at,
           decoded, raw_value, headers, state, resolved_at, resolved_by, case_id)
         VALUES ('retention.test.dlq', 0, ?, 'retention.test', 'E', 'E', 'e', 1, ?, ?, ?, ?, '{"h":"v"}', ?, ?, ?, ?)`,
        [
          Math.floor(Math.random() * 1e12),
          ago(300),
          ago(300),
          JSON.stringify({ applicant: { name: '李秀英' } }),
          Buffer.from('bytes'),
          state,
          resolvedAt,
          resolvedAt ? 'olga' : null,
          `RET-${state}-${resolvedAt ? 'old' : 'none'}`,
        ],
      );
    await insert('replayed', ago(181));
    await insert('discarded', ago(100));
    await insert('parked', null);
    expect(await t.ops.retention.runOnce()).toEqual({ deadLetters: 1 });
    const rows = await ds.query(
      "SELECT state, resolved_by, decoded IS NULL AS emptied, raw_value IS NULL AS no_bytes FROM dead_letters WHERE dlq_topic = 'retention.test.dlq' ORDER BY state",
    );
    expect(rows.map((r: Record<string, unknown>) => ({ ...r, emptied: Number(r.emptied), no_bytes: Number(r.no_bytes) }))).toEqual([
      { state: 'discarded', resolved_by: 'olga', emptied: 0, no_bytes: 0 },
      { state: 'parked', resolved_by: null, emptied: 0, no_bytes: 0 },
      { state: 'replayed', resolved_by: 'olga', emptied: 1, no_bytes: 1 },
    ]);
  });

  it('delivery nulls the bodies of deliveries parked more than 30 days ago, and keeps recent and unparked ones', async () => {
    const ds = delivery.app.dataSource;
    const insert = (state: string, parkedAt: Date | null) =>
      ds.query(
        `INSERT INTO deliveries (subscription_id, event_id, event_type, case_id, target_region, state, body, created_at, parked_at)
         VALUES (?, ?, 'DeathRegistered', 'RET-CASE', '500111', ?, '{"deceased":{"name":"赵桂兰"}}', ?, ?)`,
        [randomUUID(), randomUUID(), state, ago(40), parkedAt],
      );
    await insert('parked', ago(31));
    await insert('parked', ago(3));
    await insert('waiting', null);
    expect(await delivery.app.retention.runOnce()).toEqual({ deliveryBodies: 1 });
    const rows = await ds.query("SELECT state, body IS NULL AS emptied, parked_at FROM deliveries WHERE case_id = 'RET-CASE' ORDER BY delivery_id");
    expect(rows.map((r: Record<string, unknown>) => [r.state, Number(r.emptied)])).toEqual([
      ['parked', 1],
      ['parked', 0],
      ['waiting', 0],
    ]);
  });
});
