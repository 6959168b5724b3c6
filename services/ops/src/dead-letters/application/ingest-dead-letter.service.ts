import { AvroCodec, Envelope } from '@tongban/avro';
import { isDependencyFailure } from '@tongban/errors';
import { FAILURE_HEADERS, HEADERS, headerText } from '@tongban/kafka';
import type { IHeaders } from 'kafkajs';
import { collectPii } from '@tongban/masking';
import { JsonLogger } from '@tongban/observability';
import { copyHash } from '../domain/dead-letter-copy';
import { regionOfTopic, REPLAY_HEADERS, WORKFLOW_OF_NAMESPACE, workflowOfEventType } from '../domain/dead-letter';
import { DeadLetterRepository, NewDeadLetter } from '../infrastructure/dead-letter.repository';

export interface DlqMessage {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}

/** A decoded value as plain JSON: bytes (never in tongban's contracts outside logical types) as base64. */
export function toJson(value: unknown): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(value, (_k, v) => (v && typeof v === 'object' && v.type === 'Buffer' && Array.isArray(v.data) ? Buffer.from(v.data).toString('base64') : v)),
  );
}

function date(text: string | undefined): Date | null {
  if (!text) return null;
  const d = new Date(/^\d+$/.test(text) ? Number(text) : text);
  return Number.isNaN(d.getTime()) ? null : d;
}

function clip(text: string | undefined | null, max: number): string | null {
  return text ? text.slice(0, max) : null;
}

/**
 * Turns a message of a dead-letter topic into a stored dead letter: the original bytes and headers,
 * the failure facts the transport put in headers, and the event decoded when it decodes, with its
 * envelope fields indexed. The headers stand in for an envelope that does not decode.
 */
export class IngestDeadLetterService {
  constructor(
    private readonly repository: DeadLetterRepository,
    private readonly codec: AvroCodec,
    private readonly logger: JsonLogger,
    private readonly onStored: (topic: string) => void = () => undefined,
    /** The keyed hash persons are indexed under (the audit log's): without it, letters are not indexed by person. */
    private readonly personHash?: (idNumber: string) => string,
  ) {}

  async ingest(message: DlqMessage): Promise<boolean> {
    const headers: Record<string, string> = {};
    for (const name of Object.keys(message.headers ?? {})) headers[name] = headerText(message.headers, name) ?? '';
    const h = (name: string) => (headers[name] === '' ? undefined : headers[name]);
    let decoded: Record<string, unknown> | null = null;
    let schemaId: number | null = null;
    let decodeError: string | null = null;
    let eventType = h(HEADERS.eventType);
    try {
      const result = await this.codec.decode(message.value);
      decoded = toJson(result.value);
      schemaId = result.schemaId;
      eventType = result.eventType;
    } catch (e) {
      decodeError = `${(e as { code?: string }).code ?? 'DECODE_FAILED'}: ${(e as Error).message}`;
    }
    // What of the envelope decoded: a dead letter may be a record of another shape, or bytes that never decoded.
    const envelope: Partial<Envelope> = (decoded?.envelope as Partial<Envelope> | undefined) ?? {};
    const originalTopic = h(FAILURE_HEADERS.originalTopic) ?? message.topic.replace(/\.dlq$/, '');
    const row: NewDeadLetter = {
      dlqTopic: message.topic,
      dlqPartition: message.partition,
      dlqOffset: message.offset,
      region: regionOfTopic(originalTopic) ?? null,
      originalTopic,
      originalPartition: h(FAILURE_HEADERS.originalPartition) !== undefined ? Number(h(FAILURE_HEADERS.originalPartition)) : null,
      originalOffset: h(FAILURE_HEADERS.originalOffset) ?? null,
      messageKey: clip(h(FAILURE_HEADERS.originalKey) ?? message.key?.toString('utf8'), 200),
      eventId: clip(envelope.eventId ?? h(HEADERS.eventId), 64),
      eventType: clip(envelope.eventType ?? eventType, 100),
      workflow: workflowOf(schemaId !== null ? this.codec.catalogue.event(eventType ?? '')?.workflow : undefined, envelope.eventType ?? eventType),
      caseId: clip(envelope.caseId ?? h(FAILURE_HEADERS.originalKey) ?? message.key?.toString('utf8'), 100),
      correlationId: clip(envelope.correlationId ?? h(HEADERS.correlationId), 100),
      sourceRegion: clip(envelope.sourceRegion ?? h(HEADERS.sourceRegion), 12),
      targetRegion: clip(envelope.targetRegion ?? h(HEADERS.targetRegion), 12),
      errorClass: clip(h(FAILURE_HEADERS.errorClass), 100) ?? 'Unknown',
      errorCode: clip(h(FAILURE_HEADERS.errorCode), 100) ?? 'UNKNOWN',
      errorMessage: h(FAILURE_HEADERS.errorMessage) ?? '',
      attempts: Number(h(FAILURE_HEADERS.attempts) ?? 0) || 0,
      consumerGroup: clip(h(FAILURE_HEADERS.consumerGroup), 200),
      firstFailureAt: date(h(FAILURE_HEADERS.firstFailureAt)),
      lastFailureAt: date(h(FAILURE_HEADERS.lastFailureAt)),
      parkedAt: date(message.timestamp) ?? new Date(),
      replayOf: clip(h(REPLAY_HEADERS.replayOf), 300),
      schemaId,
      decoded,
      decodeError,
      rawValue: message.value,
      headers,
    };
    // A second copy of a letter (a producer that resent it) is not stored again.
    const stored = await this.storeOrPark(row, copyHash({ topic: message.topic, key: message.key, value: message.value, headers }));
    // Also when the letter was there already: a redelivery after a failed indexing completes it (INSERT IGNORE).
    await this.indexPersons(row);
    if (stored) {
      this.onStored(message.topic);
      this.logger.event('info', 'dead letter stored', {
        dlqTopic: message.topic,
        partition: message.partition,
        offset: message.offset,
        eventId: row.eventId,
        eventType: row.eventType,
        errorCode: row.errorCode,
      });
    }
    return stored;
  }

  /** The keyed hashes of the ID numbers the event's schema marks as personal; undefined when there is no telling. */
  private personHashes(eventType: string | null, decoded: Record<string, unknown> | null): string[] | undefined {
    const schema = decoded && eventType ? this.codec.catalogue.event(eventType)?.schema : undefined;
    if (!this.personHash || !schema || !decoded) return undefined;
    return collectPii(schema, decoded)
      .filter((p) => p.kind === 'id-number' && typeof p.value === 'string' && p.value.trim() !== '')
      .map((p) => this.personHash!(p.value as string));
  }

  /** Indexes a stored letter by the persons it names, for a person search. */
  private async indexPersons(row: NewDeadLetter): Promise<void> {
    const hashes = this.personHashes(row.eventType, row.decoded);
    if (hashes) await this.repository.indexPersons(row, hashes);
  }

  /**
   * Indexes the decoded letters stored before the person index existed (or decoded later), in pages, until none is
   * left or `stopped()` says so. Returns how many were indexed.
   */
  async indexBacklog(stopped: () => boolean = () => false, pageSize = 200): Promise<number> {
    if (!this.personHash) return 0;
    let after = 0;
    let done = 0;
    while (!stopped()) {
      const page = await this.repository.unindexed(after, pageSize);
      if (page.length === 0) break;
      for (const letter of page) {
        if (stopped()) break;
        // A letter of no known event type has no marked fields: done with none.
        await this.repository.indexPersons({ id: letter.id }, this.personHashes(letter.eventType, letter.decoded) ?? []);
        after = letter.id;
        done++;
      }
    }
    if (done > 0) this.logger.event('info', 'dead letters indexed by person', { letters: done });
    return done;
  }

  /**
   * Stores the row; a row the database refuses for its content (a header that is not a number, a
   * message too long) is stored again with only what is sure to fit, its reason saying why, so it shows
   * in the console and the partition moves on. A database that does not answer is waited for (thrown).
   */
  private async storeOrPark(row: NewDeadLetter, copy: string): Promise<boolean> {
    try {
      return await this.repository.insert(row, copy);
    } catch (e) {
      if (isDependencyFailure(e)) throw e;
      this.logger.event('error', 'dead letter not stored as it came; stored with its reason instead', {
        dlqTopic: row.dlqTopic,
        partition: row.dlqPartition,
        offset: row.dlqOffset,
        error: (e as Error).message,
      });
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(row.headers)) headers[name.slice(0, 200)] = value.slice(0, 2000);
      const parked: NewDeadLetter = {
        ...row,
        originalPartition: Number.isInteger(row.originalPartition) ? row.originalPartition : null,
        originalOffset: row.originalOffset && /^\d{1,18}$/.test(row.originalOffset) ? row.originalOffset : null,
        errorClass: 'IngestFailure',
        errorCode: 'OPS.INGEST_FAILED',
        errorMessage: `could not be stored as it came (${(e as Error).message.slice(0, 500)}); reason given: ${row.errorMessage.slice(0, 2000)}`,
        attempts: Number.isSafeInteger(row.attempts) && Math.abs(row.attempts) < 2 ** 31 ? row.attempts : 0,
        schemaId: row.schemaId !== null && Number.isSafeInteger(row.schemaId) && row.schemaId < 2 ** 31 ? row.schemaId : null,
        decodeError: row.decodeError?.slice(0, 2000) ?? null,
        headers,
      };
      try {
        return await this.repository.insert(parked, copy);
      } catch (again) {
        if (isDependencyFailure(again)) throw again;
        // Nothing of it can be stored: the log keeps its position, and the partition must not stop here.
        this.logger.event('error', 'dead letter could not be stored at all; passed over', {
          dlqTopic: row.dlqTopic,
          partition: row.dlqPartition,
          offset: row.dlqOffset,
          error: (again as Error).message,
        });
        return false;
      }
    }
  }
}

/** The workflow as the nodes name it: from the schema's namespace when the event decoded, else from its type. */
function workflowOf(namespace: string | undefined, eventType: string | undefined): string | null {
  if (namespace !== undefined) return WORKFLOW_OF_NAMESPACE[namespace] ?? null;
  return workflowOfEventType(eventType) ?? null;
}
