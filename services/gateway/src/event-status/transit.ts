import type { Caller } from '@tongban/auth';
import { serviceHeaders } from '@tongban/auth';
import { provinceOf } from '@tongban/regions';

/**
 * Where an event addressed to the other province is, as the accepting side sees it:
 * - `in-transit`: sent into the link (on the inbox topic in this province's cluster), no receipt yet; `since`
 *   is when it reached Kafka here.
 * - `arrived`: the other province received it but parked it as a dead letter, waiting for an operator there.
 * - `applied` / `rejected`: the other province's node applied it to the case, or recorded it as not fitting
 *   the case (its CaseEventRejected answer follows); `at` is when.
 * - `unknown`: this province's ops service, which keeps the receipts, did not answer.
 */
export type TransitStatus = 'in-transit' | 'arrived' | 'applied' | 'rejected' | 'unknown';

export interface Transit {
  /** The province the event crosses to. */
  province: string;
  status: TransitStatus;
  /** When the event was sent into the link (its copies reached Kafka here); null once retention purged them. */
  since: string | null;
  /** When the other province recorded the outcome; null without a receipt. */
  at: string | null;
  /** The receiving node; null without a receipt. */
  node: string | null;
  /** Why the status is unknown. */
  error?: string;
}

/** A receipt as this province's ops keeps it (POST /internal/transit/receipts of ops). */
export interface Receipt {
  eventId: string;
  province: string;
  node: string;
  outcome: 'APPLIED' | 'REJECTED' | 'ARRIVED';
  at: string;
}

/** The province an event crosses to, or undefined when it stays in `own` (or the gateway serves every province). */
export function crossesTo(own: string | undefined, targetRegion: string): string | undefined {
  if (!own) return undefined;
  const to = provinceOf(targetRegion);
  return to && to !== own ? to : undefined;
}

/**
 * The transit of one crossing event: null while it is still in the outbox (the event's `status` says
 * `accepted`); a receipt decides once there is one; without one it is in transit, or unknown when the
 * receipts could not be read.
 */
export function transitOf(p: { to: string; sent: boolean; sentAt: string | null; receipt?: Receipt; receiptsError?: string }): Transit | null {
  if (p.receipt) return { province: p.to, status: p.receipt.outcome.toLowerCase() as TransitStatus, since: p.sentAt, at: p.receipt.at, node: p.receipt.node };
  if (!p.sent) return null;
  if (p.receiptsError !== undefined) return { province: p.to, status: 'unknown', since: p.sentAt, at: null, node: null, error: p.receiptsError };
  return { province: p.to, status: 'in-transit', since: p.sentAt, at: null, node: null };
}

/** Looks receipts up by event id. */
export interface ReceiptLookup {
  find(caller: Caller, eventIds: readonly string[]): Promise<Map<string, Receipt>>;
}

/** This province's ops service, asked over its internal API with the service token. */
export class OpsReceipts implements ReceiptLookup {
  constructor(
    private readonly opsUrl: string,
    private readonly serviceToken: string,
    private readonly timeoutMs = 3000,
  ) {}

  async find(caller: Caller, eventIds: readonly string[]): Promise<Map<string, Receipt>> {
    const out = new Map<string, Receipt>();
    if (eventIds.length === 0) return out;
    const res = await fetch(`${this.opsUrl}/internal/transit/receipts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...serviceHeaders(this.serviceToken, `gateway:${caller.keyId}`) },
      body: JSON.stringify({ eventIds }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new Error(`ops answered ${res.status}`);
    for (const r of ((await res.json()) as { receipts: Receipt[] }).receipts) out.set(r.eventId, r);
    return out;
  }
}
