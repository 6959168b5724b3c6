import { randomUUID } from 'node:crypto';
import { authorisationProblems, type EventSchema, type RecordValidator, type SchemaCatalogue } from '@tongban/avro';
import type { Problem } from '@tongban/errors';
import { ageOn, DivisionCatalogue, parseIdNumber, SERVICE_OFFICES } from '@tongban/regions';

/** The body of `POST /v1/events`, as documented by contracts/examples. */
export interface EventRequest {
  eventType: string;
  caseId: string;
  sourceRegion: string;
  targetRegion: string;
  occurredAt: string;
  sourceOffice: string | null;
  /** The service office addressed, when the target is an office's case (e.g. an answer to CQ-HTZ). */
  targetOffice: string | null;
  correlationId: string | null;
  causationId: string | null;
  payload: Record<string, unknown>;
}

const ENVELOPE_FIELDS = new Set([
  'eventType',
  'caseId',
  'sourceRegion',
  'targetRegion',
  'occurredAt',
  'sourceOffice',
  'targetOffice',
  'correlationId',
  'causationId',
  'payload',
]);
const CASE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{2,99}$/;
const TRACE_ID = /^[A-Za-z0-9._:-]{1,100}$/;
/** How far in the future a clock may be and still be believed. */
const CLOCK_SKEW_MS = 5 * 60_000;

export type Validated = { ok: true; request: EventRequest; schema: EventSchema } | { ok: false; problems: Problem[] };

/**
 * Checks every part of a request and returns all problems at once: the envelope fields, the region
 * codes, then the payload against the event's Avro schema and the formats the schema marks.
 */
export function validateEventRequest(
  body: unknown,
  deps: { catalogue: SchemaCatalogue; divisions: DivisionCatalogue; validator: RecordValidator; now?: Date },
): Validated {
  const problems: Problem[] = [];
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, problems: [{ path: '', problem: 'body must be a JSON object' }] };
  }
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (!ENVELOPE_FIELDS.has(k)) problems.push({ path: k, problem: 'is not a field of an event request' });

  let schema: EventSchema | undefined;
  if (typeof b.eventType !== 'string' || !b.eventType) problems.push({ path: 'eventType', problem: 'is required' });
  else {
    schema = deps.catalogue.event(b.eventType);
    if (!schema) problems.push({ path: 'eventType', problem: `unknown event type "${b.eventType}"` });
  }
  if (typeof b.caseId !== 'string' || !CASE_ID.test(b.caseId)) {
    problems.push({ path: 'caseId', problem: b.caseId === undefined ? 'is required' : 'must be 3–100 letters, digits, . _ : or -' });
  }
  for (const field of ['sourceRegion', 'targetRegion'] as const) {
    if (b[field] === undefined) problems.push({ path: field, problem: 'is required' });
    else {
      const problem = deps.divisions.problemWith(b[field]);
      if (problem) problems.push({ path: field, problem });
    }
  }
  const now = (deps.now ?? new Date()).getTime();
  if (typeof b.occurredAt !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(b.occurredAt) || Number.isNaN(Date.parse(b.occurredAt))) {
    problems.push({ path: 'occurredAt', problem: b.occurredAt === undefined ? 'is required' : 'must be an ISO-8601 timestamp' });
  } else if (Date.parse(b.occurredAt) > now + CLOCK_SKEW_MS) {
    problems.push({ path: 'occurredAt', problem: 'is in the future' });
  }
  if (b.sourceOffice !== undefined && b.sourceOffice !== null) {
    const office = SERVICE_OFFICES.find((o) => o.id === b.sourceOffice);
    if (!office) problems.push({ path: 'sourceOffice', problem: `unknown service office "${String(b.sourceOffice)}"` });
    else if (typeof b.sourceRegion === 'string' && !office.districts.includes(b.sourceRegion)) {
      problems.push({ path: 'sourceRegion', problem: `office ${office.id} serves ${office.districts.join(', ')}, not ${b.sourceRegion}` });
    }
  }
  if (b.targetOffice !== undefined && b.targetOffice !== null) {
    const office = SERVICE_OFFICES.find((o) => o.id === b.targetOffice);
    if (!office) problems.push({ path: 'targetOffice', problem: `unknown service office "${String(b.targetOffice)}"` });
    else if (typeof b.targetRegion === 'string' && !office.districts.includes(b.targetRegion)) {
      problems.push({ path: 'targetRegion', problem: `office ${office.id} serves ${office.districts.join(', ')}, not ${b.targetRegion}` });
    }
  }
  for (const field of ['correlationId', 'causationId'] as const) {
    const v = b[field];
    if (v !== undefined && v !== null && (typeof v !== 'string' || !TRACE_ID.test(v))) {
      problems.push({ path: field, problem: 'must be 1–100 letters, digits, . _ : or -' });
    }
  }
  if (!b.payload || typeof b.payload !== 'object' || Array.isArray(b.payload)) {
    problems.push({ path: 'payload', problem: b.payload === undefined ? 'is required' : 'must be an object' });
  } else if (schema) {
    const payloadSchema = { ...schema.schema, fields: (schema.schema.fields as Array<{ name: string }>).slice(1) };
    problems.push(...deps.validator.validate(payloadSchema, b.payload, 'payload'));
  }
  if (schema && b.payload && typeof b.payload === 'object') {
    // One clear problem for a missing authorisation, in place of the schema's generic one.
    const requestedOn = typeof b.occurredAt === 'string' && !Number.isNaN(Date.parse(b.occurredAt)) ? new Date(Date.parse(b.occurredAt)) : new Date(now);
    for (const p of [
      ...authorisationProblems(schema.eventType, b.payload as Record<string, unknown>),
      ...memberAuthorisationProblems(schema.eventType, b.payload as Record<string, unknown>, requestedOn),
    ]) {
      const at = problems.findIndex((q) => q.path === p.path);
      if (at >= 0) problems.splice(at, 1);
      problems.push(p);
    }
  }
  if (problems.length > 0 || !schema) return { ok: false, problems };
  return {
    ok: true,
    schema,
    request: {
      eventType: b.eventType as string,
      caseId: b.caseId as string,
      sourceRegion: b.sourceRegion as string,
      targetRegion: b.targetRegion as string,
      occurredAt: new Date(Date.parse(b.occurredAt as string)).toISOString(),
      sourceOffice: (b.sourceOffice as string | undefined) ?? null,
      targetOffice: (b.targetOffice as string | undefined) ?? null,
      correlationId: (b.correlationId as string | undefined) ?? null,
      causationId: (b.causationId as string | undefined) ?? null,
      payload: b.payload as Record<string, unknown>,
    },
  };
}

const REFERENCE = /^[\x21-\x7e]{3,100}$/;

/** Every adult member of an economic check signs an authorisation of their own (the household's covers minors). */
function memberAuthorisationProblems(eventType: string, payload: Record<string, unknown>, requestedAt: Date): Problem[] {
  if (eventType !== 'EconomicCheckRequested' || !Array.isArray(payload.members)) return [];
  const on = new Date(requestedAt.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
  const problems: Problem[] = [];
  payload.members.forEach((m, i) => {
    if (!m || typeof m !== 'object') return;
    const member = m as { person?: { idNumber?: unknown }; authorisationRef?: unknown };
    const id = parseIdNumber(member.person?.idNumber);
    if (typeof id === 'string') return; // the format check names it
    const ref = member.authorisationRef;
    if (ageOn(id.birthDate, on) >= 18 && !(typeof ref === 'string' && REFERENCE.test(ref.trim()))) {
      problems.push({
        path: `payload.members[${i}].authorisationRef`,
        problem: "is required for a member aged 18 or more: the reference of the member's own signed authorisation (授权书)",
      });
    }
  });
  return problems;
}

export function newEventId(): string {
  return randomUUID();
}
