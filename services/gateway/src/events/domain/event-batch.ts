import type { Problem } from '@tongban/errors';

/** Most events one `POST /v1/events:batch` carries. */
export const MAX_BATCH_EVENTS = 500;

/** One item of a batch: the event request as `POST /v1/events` takes it, and its own Idempotency-Key. */
export interface SplitItem {
  body: unknown;
  /** The item's `idempotencyKey` member (checked like the Idempotency-Key header), when it has one. */
  idempotencyKey?: unknown;
}

export type BatchSplit =
  | { ok: true; items: SplitItem[] }
  /** `tooMany`: answered 413, as a body over the limit; else 400. */
  | { ok: false; tooMany: boolean; problem: Problem };

/**
 * The items of a batch body: a JSON array of 1 to `max` event requests, each with an optional
 * `idempotencyKey` member that is taken out of the request (the rest is the body `POST /v1/events`
 * would take). An item that is not an object is kept as it is: it is refused as `POST /v1/events`
 * refuses such a body.
 */
export function splitBatch(body: unknown, max = MAX_BATCH_EVENTS): BatchSplit {
  if (!Array.isArray(body)) return { ok: false, tooMany: false, problem: { path: '', problem: `body must be a JSON array of 1–${max} event requests` } };
  if (body.length === 0) return { ok: false, tooMany: false, problem: { path: '', problem: `holds no event; a batch holds 1–${max}` } };
  if (body.length > max) return { ok: false, tooMany: true, problem: { path: '', problem: `holds ${body.length} events; a batch holds at most ${max}` } };
  return {
    ok: true,
    items: body.map((item: unknown): SplitItem => {
      if (!item || typeof item !== 'object' || Array.isArray(item) || !Object.prototype.hasOwnProperty.call(item, 'idempotencyKey')) return { body: item };
      const { idempotencyKey, ...request } = item as Record<string, unknown>;
      return { body: request, idempotencyKey };
    }),
  };
}

/** An accepted event, as `POST /v1/events` answers it (202). */
export interface AcceptedAnswer {
  eventId: string;
  caseId: string;
  correlationId: string;
  replayed: boolean;
}

/** How `POST /v1/events` would answer an error: its status and problem (RFC 9457) body. */
export interface ErrorAnswer {
  status: number;
  body: {
    type: string;
    title: string;
    status: number;
    detail: string;
    code: string;
    problems?: Problem[];
    /** @deprecated the body of before, kept in the problem for older clients. */
    error: { code: string; message: string; details: Problem[] };
  };
}

/** One entry of the 207 answer. */
export interface BatchResult {
  /** The item's position in the request, from 0. */
  index: number;
  /** The status `POST /v1/events` would have answered for this item alone. */
  status: number;
  eventId?: string;
  caseId?: string;
  correlationId?: string;
  /** True when an earlier request (or an earlier item) with the same key created the event (`Idempotent-Replayed`). */
  replayed?: true;
  /** The problem `POST /v1/events` would have answered (`type`, `title`, `status`, `detail`, `code`, `problems`). */
  problem?: Omit<ErrorAnswer['body'], 'error'>;
  /** @deprecated the problem's `error` member, as the single call's body carries it. */
  error?: ErrorAnswer['body']['error'];
}

/**
 * The 207 answer's results, in the items' order: an accepted item as 202 with its event id (and
 * `replayed` when its key was used before), a refused one with the status and error body of the
 * single call.
 */
export function batchResults(outcomes: Array<PromiseSettledResult<AcceptedAnswer>>, errorAnswer: (error: unknown) => ErrorAnswer): BatchResult[] {
  return outcomes.map((o, index): BatchResult => {
    if (o.status === 'fulfilled') {
      const { eventId, caseId, correlationId, replayed } = o.value;
      return { index, status: 202, eventId, caseId, correlationId, ...(replayed ? { replayed: true as const } : {}) };
    }
    const { error, ...problem } = errorAnswer(o.reason).body;
    return { index, status: problem.status, problem, error };
  });
}
