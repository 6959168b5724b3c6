import { DataSource, EntityManager } from 'typeorm';
import { claimEvent } from '@tongban/persistence';

export interface IncomingEvent {
  envelope: {
    eventId: string;
    eventType: string;
    caseId: string;
    sourceRegion: string;
    targetRegion: string;
    sourceOffice: string | null;
    occurredAt: string;
    correlationId: string;
  };
  [field: string]: unknown;
}

export interface Delivery {
  topic: string;
  partition: number;
  offset: string;
  schemaId: number;
}

export type ApplyOutcome = 'applied' | 'duplicate';

const WORKFLOW_OF: Array<[RegExp, string]> = [
  [/^Subsidy/, 'subsidy'],
  [/^(Marriage|Marital|Divorce)/, 'marriage'],
  [/^(Death|Remains|Cremation|Ashes|Funeral)/, 'funeral'],
  [/^EconomicCheck/, 'economiccheck'],
];

export function workflowOf(eventType: string): string {
  return WORKFLOW_OF.find(([re]) => re.test(eventType))?.[1] ?? 'common';
}

/**
 * Stores an event in its case: the case row, its history, and the event id as applied, all in one
 * transaction, so the consumer may commit its offset once this returns and a redelivery is a no-op.
 */
export class ApplyEventService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly consumer: string,
  ) {}

  async apply(event: IncomingEvent, delivery: Delivery): Promise<ApplyOutcome> {
    return this.dataSource.transaction('READ COMMITTED', async (manager) => {
      const { envelope } = event;
      if (!(await claimEvent(manager, this.consumer, envelope.eventId))) return 'duplicate';
      const [current] = await manager.query('SELECT version, state FROM cases WHERE case_id = ? FOR UPDATE', [envelope.caseId]);
      const { envelope: _e, ...payload } = event;
      const state = envelope.eventType;
      if (!current) {
        await manager.query(
          `INSERT INTO cases (case_id, workflow, state, accepting_region, responsible_region, accepting_office, version, last_event_id, data, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))`,
          [envelope.caseId, workflowOf(envelope.eventType), state, envelope.sourceRegion, envelope.targetRegion, envelope.sourceOffice, envelope.eventId, '{}'],
        );
      } else {
        await manager.query('UPDATE cases SET state = ?, version = version + 1, last_event_id = ?, updated_at = UTC_TIMESTAMP(3) WHERE case_id = ?', [
          state,
          envelope.eventId,
          envelope.caseId,
        ]);
      }
      await this.recordHistory(manager, event, delivery, (current ? Number(current.version) : 0) + 1, 'applied', null, state, payload);
      return 'applied';
    });
  }

  private async recordHistory(
    manager: EntityManager,
    event: IncomingEvent,
    delivery: Delivery,
    seq: number,
    outcome: string,
    reason: string | null,
    stateAfter: string,
    payload: Record<string, unknown>,
  ): Promise<void> {
    const e = event.envelope;
    await manager.query(
      `INSERT INTO case_events (event_id, case_id, seq, event_type, source_region, target_region, source_office, occurred_at, received_at,
         correlation_id, schema_id, outcome, outcome_reason, state_after, payload, kafka_topic, kafka_partition, kafka_offset)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3), ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        e.eventId, e.caseId, seq, e.eventType, e.sourceRegion, e.targetRegion, e.sourceOffice, new Date(e.occurredAt),
        e.correlationId, delivery.schemaId, outcome, reason, stateAfter, JSON.stringify(payload), delivery.topic, delivery.partition, delivery.offset,
      ],
    );
  }
}
