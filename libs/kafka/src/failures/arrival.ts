import { provinceOf, topics } from '@tongban/regions';
import { HEADERS } from '../kafka-client';
import { CLOUDEVENTS_HEADERS } from '../headers/event-headers';

/**
 * How a record reached the topic it failed on: written in this province (`local`), or written by the
 * other province and copied over the MirrorMaker 2 link (`link`). The link keeps topic names (identity
 * policy) and adds no header, but a province holds no credential of the other's brokers, so a record in
 * an inbox of one province written by the other can only have come over the link.
 */
export type RecordArrival =
  | { via: 'link'; province: string }
  | { via: 'local'; province?: string }
  /** Not an inbox, or the record names no writer: nothing to tell. */
  | { via: 'unknown' };

/** Headers a retry or dead-letter copy carries about its arrival. */
export const ARRIVAL_HEADERS = {
  /** `link`, `local` or `unknown`. */
  via: 'tongban-arrived-via',
  /** The province (`510000`, `500000`) whose services wrote the record, when known. */
  from: 'tongban-arrived-from',
} as const;

const DIVISION = /^\d{6}$/;
const SOURCE_URN = /^urn:tongban:division:(\d{6})$/;

/** The division that wrote a record: `tongban-source-region`, or else the CloudEvents `ce_source`. */
export function writerDivision(headers: Record<string, string>): string | undefined {
  const source = headers[HEADERS.sourceRegion];
  if (source && DIVISION.test(source)) return source;
  return SOURCE_URN.exec(headers[CLOUDEVENTS_HEADERS.source] ?? '')?.[1];
}

/** Where the record on `topic` (an inbox, `.local`, or one of their retry or dead-letter topics) came from. */
export function arrivalOf(topic: string, headers: Record<string, string>): RecordArrival {
  const read = topics.parse(topic);
  if (!read) return { via: 'unknown' };
  // A node's own copies: only its province writes them, and the link never carries them.
  if (read.kind === 'local') return { via: 'local', province: provinceOf(read.node) };
  const writer = writerDivision(headers);
  if (!writer) return { via: 'unknown' };
  const province = provinceOf(writer);
  return province === provinceOf(read.node) ? { via: 'local', province } : { via: 'link', province };
}

export function arrivalHeaders(a: RecordArrival): Record<string, string> {
  return 'province' in a && a.province ? { [ARRIVAL_HEADERS.via]: a.via, [ARRIVAL_HEADERS.from]: a.province } : { [ARRIVAL_HEADERS.via]: a.via };
}
