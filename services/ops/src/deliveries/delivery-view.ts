import type { Problem } from '@tongban/errors';

/** The states of a webhook delivery, as the delivery service names them. */
export const DELIVERY_STATES = ['waiting', 'queued', 'delivered', 'parked'] as const;

/** What the console shows of a webhook delivery: never its body. */
export interface DeliveryRow {
  deliveryId: string;
  /** The partner system the webhook belongs to (null once its subscription is gone). */
  partner: string | null;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  caseId: string;
  targetRegion: string;
  state: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  parkedAt: string | null;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const textOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const numberOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** One row of the delivery service's list, taken field by field (what it adds later does not leak through). */
export function deliveryRow(d: Record<string, unknown>): DeliveryRow {
  return {
    deliveryId: text(d.deliveryId),
    partner: textOrNull(d.systemName),
    subscriptionId: text(d.subscriptionId),
    eventId: text(d.eventId),
    eventType: text(d.eventType),
    caseId: text(d.caseId),
    targetRegion: text(d.targetRegion),
    state: text(d.state),
    attempts: numberOrNull(d.attempts) ?? 0,
    lastStatus: numberOrNull(d.lastStatus),
    lastError: textOrNull(d.lastError),
    createdAt: text(d.createdAt),
    parkedAt: textOrNull(d.parkedAt),
  };
}

export interface DeliveryQuery {
  state?: (typeof DELIVERY_STATES)[number];
  caseId?: string;
  limit: number;
}

/** The list's query (`state`, `caseId`, `limit`), every bad value named. */
export function parseDeliveryQuery(input: { state?: string; caseId?: string; limit?: string }, problems: Problem[]): DeliveryQuery {
  const query: DeliveryQuery = { limit: 100 };
  if (input.state !== undefined && input.state !== '') {
    if ((DELIVERY_STATES as readonly string[]).includes(input.state)) query.state = input.state as DeliveryQuery['state'];
    else problems.push({ path: 'state', problem: `must be one of ${DELIVERY_STATES.join(', ')}` });
  }
  const caseId = input.caseId?.trim();
  if (caseId) {
    if (caseId.length > 100) problems.push({ path: 'caseId', problem: 'must be at most 100 characters' });
    else query.caseId = caseId;
  }
  if (input.limit !== undefined && input.limit !== '') {
    const n = Number(input.limit);
    if (!/^\d{1,4}$/.test(input.limit) || n < 1 || n > 1000) problems.push({ path: 'limit', problem: 'must be a whole number from 1 to 1000' });
    else query.limit = n;
  }
  return query;
}

/** A delivery id as the delivery service numbers them. */
export const DELIVERY_ID = /^\d{1,18}$/;
