import type { TransitOutcome, TransitReceipt } from '@tongban/avro';

/** One outcome the receiving province recorded, before it becomes a receipt. */
export interface Arrival {
  eventId: string;
  caseId: string;
  node: string;
  outcome: TransitOutcome;
  /** ISO-8601: when it was recorded (by the node; for a dead letter, when ops stored it). */
  at: string;
}

/**
 * The node's outcome as a receipt says it: `noted` (kept as the region's part of a case held elsewhere)
 * counts as applied; anything else (a `duplicate` is never recorded) has no receipt.
 */
export function outcomeOf(nodeOutcome: string): TransitOutcome | undefined {
  if (nodeOutcome === 'applied' || nodeOutcome === 'noted') return 'APPLIED';
  if (nodeOutcome === 'rejected') return 'REJECTED';
  return undefined;
}

/** `items` in chunks of at most `size`, in order. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new Error(`batch size must be a positive whole number, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export const toReceipt = (a: Arrival): TransitReceipt => ({ eventId: a.eventId, caseId: a.caseId, node: a.node, outcome: a.outcome, at: a.at });

/**
 * What one source of outcomes (a node's history, the dead letters) has had sent as receipts. The source is
 * read by the time each outcome was recorded; a transaction that recorded an outcome a moment before another
 * may commit after it, so every read starts `overlapMs` before the newest time sent (the watermark), and
 * what was sent inside that overlap is remembered so it is not sent twice. Only the watermark is stored:
 * after a restart the overlap is sent once more, which the owner's store takes as the same receipts.
 */
export class ReceiptWindow {
  /** eventId → the time (ms) of the outcome sent, for the outcomes inside the overlap. */
  private readonly recent = new Map<string, number>();

  constructor(
    private readonly overlapMs: number,
    private mark = 0,
  ) {}

  /** The newest outcome time sent (ms since the epoch); 0 before the first. */
  get watermark(): number {
    return this.mark;
  }

  /** Where the next read starts. */
  get readFrom(): Date {
    return new Date(Math.max(0, this.mark - this.overlapMs));
  }

  /** The arrivals not sent yet, in the order given. */
  fresh(arrivals: readonly Arrival[]): Arrival[] {
    const seen = new Set<string>();
    return arrivals.filter((a) => {
      if (this.recent.has(a.eventId) || seen.has(a.eventId)) return false;
      seen.add(a.eventId);
      return true;
    });
  }

  /** Records arrivals as sent: the watermark moves to the newest, and what fell out of the overlap is forgotten. */
  sent(arrivals: readonly Arrival[]): void {
    for (const a of arrivals) {
      const at = Date.parse(a.at);
      this.recent.set(a.eventId, at);
      if (at > this.mark) this.mark = at;
    }
    const floor = this.mark - this.overlapMs;
    for (const [id, at] of this.recent) if (at < floor) this.recent.delete(id);
  }

  /** How many outcomes are remembered (the overlap's), for the specs. */
  get remembered(): number {
    return this.recent.size;
  }
}
