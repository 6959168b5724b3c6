import * as avro from 'avsc';
import { RegistryError } from './wire-errors';
import { DecodeFailure, MessageOrigin } from './wire-errors';
import { SchemaRegistryClient } from './registry-client';
import { frame, unframe } from './wire-format';
import { SchemaCatalogue, EventSchema, ServiceRecordSchema } from '../schema/schema-catalogue';
import { avroOptions } from '../schema/logical-types';
import { withWriterNames } from '../schema/writer-names';

export interface DecodedEvent<T = Record<string, unknown>> {
  schemaId: number;
  eventType: string;
  /** The record as the reader's own schema sees it (writer's schema resolved to the reader's). */
  value: T;
}

/**
 * Encodes events with this process's schemas and decodes any registered version of them.
 * `autoRegister` registers the local schemas (development, tests); otherwise they are looked up and a
 * schema missing from the registry is an error at start-up, not at the first event.
 */
export class AvroCodec {
  private readonly writerIds = new Map<string, number>();
  private readonly readers = new Map<number, Promise<{ event: EventSchema; resolver: avro.Resolver | null; writer: avro.Type }>>();
  private readonly recordWriterIds = new Map<string, number>();
  private readonly recordReaders = new Map<string, Promise<avro.Resolver>>();

  constructor(
    readonly catalogue: SchemaCatalogue,
    readonly registry: SchemaRegistryClient,
    private readonly autoRegister = true,
  ) {}

  /** Registers or looks up every local event schema; call once at start-up. */
  async prepare(eventTypes = this.catalogue.eventTypes()): Promise<void> {
    for (const eventType of eventTypes) await this.writerId(eventType);
  }

  async writerId(eventType: string): Promise<number> {
    const known = this.writerIds.get(eventType);
    if (known !== undefined) return known;
    const event = this.require(eventType);
    const id = this.autoRegister ? await this.registry.register(event.fullName, event.schema) : await this.registry.lookup(event.fullName, event.schema);
    this.writerIds.set(eventType, id);
    return id;
  }

  async encode(eventType: string, value: unknown): Promise<Buffer> {
    const id = await this.writerId(eventType);
    return frame(id, this.require(eventType).type.toBuffer(value));
  }

  /** Synchronous encode for a type whose id is already known (after `prepare`). */
  encodePrepared(eventType: string, value: unknown): Buffer {
    const id = this.writerIds.get(eventType);
    if (id === undefined) throw new Error(`schema of ${eventType} is not prepared`);
    return frame(id, this.require(eventType).type.toBuffer(value));
  }

  async decode<T = Record<string, unknown>>(bytes: Buffer | null | undefined, origin: MessageOrigin = {}): Promise<DecodedEvent<T>> {
    try {
      const { schemaId, body } = unframe(bytes);
      const { event, resolver, writer } = await this.readerFor(schemaId);
      let value: T;
      try {
        value = (resolver ? event.type.fromBuffer(body, resolver, true) : writer.fromBuffer(body)) as T;
      } catch (e) {
        throw new DecodeFailure('AVRO_DECODE_FAILED', `body does not decode with schema ${schemaId}: ${(e as Error).message}`, origin, { cause: e });
      }
      return { schemaId, eventType: event.eventType, value };
    } catch (e) {
      if (e instanceof DecodeFailure) throw e.withOrigin(origin);
      throw e;
    }
  }

  /** Encodes a service record (see SERVICE_RECORD_AREAS) by its full name: never an event. */
  async encodeRecord(fullName: string, value: unknown): Promise<Buffer> {
    const record = this.requireRecord(fullName);
    let id = this.recordWriterIds.get(fullName);
    if (id === undefined) {
      id = this.autoRegister ? await this.registry.register(fullName, record.schema) : await this.registry.lookup(fullName, record.schema);
      this.recordWriterIds.set(fullName, id);
    }
    return frame(id, record.type.toBuffer(value));
  }

  /**
   * Decodes a service record written with any registered version of `fullName`; anything else (an event, another
   * record) is a DecodeFailure, so a stray message on a service topic is refused rather than misread.
   */
  async decodeRecord<T = Record<string, unknown>>(
    fullName: string,
    bytes: Buffer | null | undefined,
    origin: MessageOrigin = {},
  ): Promise<{ schemaId: number; value: T }> {
    const record = this.requireRecord(fullName);
    try {
      const { schemaId, body } = unframe(bytes);
      const key = `${schemaId}\u0000${fullName}`;
      let pending = this.recordReaders.get(key);
      if (!pending) {
        pending = this.recordResolver(schemaId, record);
        pending.catch(() => this.recordReaders.delete(key));
        this.recordReaders.set(key, pending);
      }
      const resolver = await pending;
      try {
        return { schemaId, value: record.type.fromBuffer(body, resolver, true) as T };
      } catch (e) {
        throw new DecodeFailure('AVRO_DECODE_FAILED', `body does not decode with schema ${schemaId}: ${(e as Error).message}`, origin, { cause: e });
      }
    } catch (e) {
      if (e instanceof DecodeFailure) throw e.withOrigin(origin);
      throw e;
    }
  }

  private async recordResolver(schemaId: number, record: ServiceRecordSchema): Promise<avro.Resolver> {
    const { type: writer } = await this.writerSchema(schemaId);
    if (writer.name !== record.fullName) {
      throw new DecodeFailure('EVENT_TYPE_UNKNOWN', `schema ${schemaId} writes ${writer.name || 'an unnamed type'}, not ${record.fullName}`);
    }
    try {
      return record.type.createResolver(writer);
    } catch (e) {
      throw new DecodeFailure(
        'AVRO_DECODE_FAILED',
        `writer schema ${schemaId} cannot be read as ${record.fullName}: ${(e as Error).message}`,
        {},
        { cause: e },
      );
    }
  }

  /** The writer's schema of a record, from the registry; an id it does not know is a decode failure. */
  private async writerSchema(schemaId: number): Promise<{ json: unknown; type: avro.Type }> {
    let text: string;
    try {
      text = await this.registry.schemaById(schemaId);
    } catch (e) {
      if (e instanceof RegistryError && e.status === 404) {
        throw new DecodeFailure('SCHEMA_ID_UNKNOWN', `schema id ${schemaId} is not in the registry`, {}, { cause: e });
      }
      throw e;
    }
    const json: unknown = JSON.parse(text);
    return { json, type: avro.Type.forSchema(json as avro.Schema, avroOptions()) };
  }

  private requireRecord(fullName: string): ServiceRecordSchema {
    const record = this.catalogue.serviceRecord(fullName);
    if (!record) throw new Error(`unknown service record ${fullName}`);
    return record;
  }

  private readerFor(schemaId: number) {
    let pending = this.readers.get(schemaId);
    if (!pending) {
      pending = this.buildReader(schemaId);
      pending.catch(() => this.readers.delete(schemaId));
      this.readers.set(schemaId, pending);
    }
    return pending;
  }

  private async buildReader(schemaId: number) {
    const { json: writerJson, type: writer } = await this.writerSchema(schemaId);
    const fullName = writer.name ?? '';
    const event = this.catalogue.eventByFullName(fullName);
    if (!event) {
      throw new DecodeFailure('EVENT_TYPE_UNKNOWN', `schema ${schemaId} writes ${fullName || 'an unnamed type'}, which this reader does not know`);
    }
    try {
      return { event, resolver: event.type.createResolver(writer), writer };
    } catch (e) {
      // A nested type the writer keeps in another namespace: read it through the writer's names.
      try {
        const reader = avro.Type.forSchema(withWriterNames(event.schema, writerJson) as avro.Schema, avroOptions());
        return { event: { ...event, type: reader }, resolver: reader.createResolver(writer), writer };
      } catch {
        throw new DecodeFailure('AVRO_DECODE_FAILED', `writer schema ${schemaId} cannot be read as ${fullName}: ${(e as Error).message}`, {}, { cause: e });
      }
    }
  }

  private require(eventType: string): EventSchema {
    const event = this.catalogue.event(eventType);
    if (!event) throw new Error(`unknown event type ${eventType}`);
    return event;
  }
}
