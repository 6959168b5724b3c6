/**
 * The holds of every node as one operator view, and when ops passes an operator's release on to a node.
 * Pure: the answers of the nodes and of the ops database come in, a decision goes out.
 */

/** What one node answered to `GET /internal/holds`. */
export type NodeHoldsAnswer = { node: string; ok: true; holds: Array<Record<string, unknown>> } | { node: string; ok: false; error: string };

export interface MergedHolds {
  /** Every node's holds, each with its node, the most recently changed first, at most `limit`. */
  holds: Array<Record<string, unknown> & { node: string }>;
  /** Per node: how many holds it answered, or why it did not. */
  nodes: Array<{ node: string; ok: boolean; count?: number; error?: string }>;
}

export function mergeHolds(answers: NodeHoldsAnswer[], limit: number): MergedHolds {
  const holds = answers
    .flatMap((a) => (a.ok ? a.holds.map((h): Record<string, unknown> & { node: string } => ({ ...h, node: a.node })) : []))
    .sort((a, b) => String(b.updatedAt ?? '').localeCompare(String(a.updatedAt ?? '')) || String(a.caseKey ?? '').localeCompare(String(b.caseKey ?? '')))
    .slice(0, limit);
  const nodes = answers.map((a) => (a.ok ? { node: a.node, ok: true, count: a.holds.length } : { node: a.node, ok: false, error: a.error }));
  return { holds, nodes };
}

/** Where a hold of `key` is: the nodes that answered it holds it, those that did not answer at all. */
export interface HoldLookup {
  holding: string[];
  unreachable: string[];
}

export type ReleaseDecision =
  | { kind: 'release'; node: string }
  | { kind: 'not-found' }
  | { kind: 'ambiguous'; nodes: string[] }
  | { kind: 'unavailable'; nodes: string[] }
  /** Ops has the blocker as a parked dead letter: replaying or discarding that settles the hold and the letter together. */
  | { kind: 'use-dead-letter'; deadLetterId: number };

export function decideRelease(lookup: HoldLookup, parkedDeadLetterId: (node: string) => number | undefined): ReleaseDecision {
  if (lookup.holding.length > 1) return { kind: 'ambiguous', nodes: lookup.holding };
  if (lookup.holding.length === 0) return lookup.unreachable.length > 0 ? { kind: 'unavailable', nodes: lookup.unreachable } : { kind: 'not-found' };
  const node = lookup.holding[0];
  const deadLetterId = parkedDeadLetterId(node);
  return deadLetterId !== undefined ? { kind: 'use-dead-letter', deadLetterId } : { kind: 'release', node };
}
