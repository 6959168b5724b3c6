import type { Caller } from '@tongban/auth';
import { serviceHeaders } from '@tongban/auth';

/**
 * What a node of the gateway's own province did with its copy of an event: `applied`, `rejected` (with the case's
 * reason) or `noted` (kept as this region's part of a case held elsewhere); `pending` while the node has not
 * handled it yet; `unknown` when the node did not answer (the answer never fails for it).
 */
export interface NodeOutcome {
  node: string;
  outcome: 'applied' | 'rejected' | 'noted' | 'pending' | 'unknown';
  reason: string | null;
  at: string | null;
}

export interface NodeOutcomeLookup {
  /** The nodes whose answer can be asked (the gateway's own province). */
  reaches(node: string): boolean;
  find(caller: Caller, eventId: string, node: string): Promise<NodeOutcome>;
}

/** A node's answer to `GET /internal/events/:eventId` as an outcome. */
export function outcomeFromAnswer(node: string, status: number, body: unknown): NodeOutcome {
  if (status === 404) return { node, outcome: 'pending', reason: null, at: null };
  if (status !== 200 || !body || typeof body !== 'object') return { node, outcome: 'unknown', reason: `the node answered ${status}`, at: null };
  const b = body as { outcome?: unknown; reason?: unknown; appliedAt?: unknown };
  // An applied event whose history row retention has purged still counts as applied.
  const outcome = b.outcome === 'rejected' || b.outcome === 'noted' ? b.outcome : 'applied';
  return {
    node,
    outcome,
    reason: typeof b.reason === 'string' && outcome === 'rejected' ? b.reason : null,
    at: typeof b.appliedAt === 'string' ? b.appliedAt : null,
  };
}

/** Asks the province's own nodes over their internal API, with the service token. */
export class NodeEvents implements NodeOutcomeLookup {
  constructor(
    private readonly nodeUrls: Map<string, string>,
    private readonly serviceToken: string,
    private readonly timeoutMs = 3000,
  ) {}

  reaches(node: string): boolean {
    return this.nodeUrls.has(node);
  }

  async find(caller: Caller, eventId: string, node: string): Promise<NodeOutcome> {
    const base = this.nodeUrls.get(node);
    if (!base) return { node, outcome: 'unknown', reason: 'no URL for this node', at: null };
    try {
      const res = await fetch(`${base}/internal/events/${encodeURIComponent(eventId)}`, {
        headers: serviceHeaders(this.serviceToken, `gateway:${caller.keyId}`),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return outcomeFromAnswer(node, res.status, body);
    } catch (e) {
      return { node, outcome: 'unknown', reason: `the node did not answer: ${(e as Error).message}`, at: null };
    }
  }
}
