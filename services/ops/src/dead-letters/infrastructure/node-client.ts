import { serviceHeaders } from '@tongban/auth';
import { JsonLogger } from '@tongban/observability';
import { AppliedAnswer } from '../domain/dead-letter';

export interface EventRef {
  eventId: string | null;
  caseId: string | null;
  sourceRegion: string | null;
  targetRegion: string | null;
}

/**
 * The region nodes' internal API as the ops service uses it: whether a node has applied an event
 * (asked before a replay, so the answer can say the replay is a no-op), and the release of events a
 * node holds behind a dead letter once an operator has replayed or discarded it.
 */
export class NodeClient {
  constructor(
    private readonly urls: Map<string, string>,
    private readonly logger: JsonLogger,
    /** TONGBAN_NODE_SERVICE_TOKEN: the nodes' internal API answers nobody without it. */
    private readonly serviceToken: string,
    private readonly timeoutMs = 3000,
  ) {}

  async wasApplied(node: string | null, event: EventRef): Promise<AppliedAnswer> {
    const base = node ? this.urls.get(node) : undefined;
    if (!base || !event.eventId) return 'unknown';
    try {
      const direct = await this.get(`${base}/internal/events/${encodeURIComponent(event.eventId)}`);
      if (direct.status === 200) return 'yes';
      // A 404 of the event itself (not of a route the node lacks) means it was not applied.
      if (direct.status === 404 && !/Cannot GET/i.test(direct.text)) return 'no';
      return await this.fromCaseHistory(base, event);
    } catch (e) {
      this.logger.event('warn', 'node did not answer whether an event was applied', { node, error: (e as Error).message });
      return 'unknown';
    }
  }

  /** Fallback for nodes without `/internal/events`: the event in the case's history means it was applied. */
  private async fromCaseHistory(base: string, event: EventRef): Promise<AppliedAnswer> {
    if (!event.caseId) return 'unknown';
    const viewers = [...new Set([event.targetRegion, event.sourceRegion].filter((v): v is string => !!v))];
    let notFound = 0;
    for (const viewer of viewers) {
      const res = await this.get(`${base}/internal/cases/${encodeURIComponent(event.caseId)}`, { division: viewer });
      if (res.status === 404) {
        notFound++;
        continue;
      }
      if (res.status !== 200) continue;
      const history = (JSON.parse(res.text) as { history?: Array<{ eventId?: string }> }).history;
      if (!Array.isArray(history)) continue;
      return history.some((h) => h.eventId === event.eventId) ? 'yes' : 'no';
    }
    return viewers.length > 0 && notFound === viewers.length ? 'no' : 'unknown';
  }

  /** Tells the node the dead letter of `key` is resolved; a node without the endpoint (404) is fine. */
  async releaseHold(
    node: string | null,
    key: string | null,
    resolution: 'replayed' | 'discarded',
    operator = 'unnamed',
  ): Promise<'released' | 'nothing-held' | 'failed'> {
    const base = node ? this.urls.get(node) : undefined;
    if (!base || !key) return 'nothing-held';
    try {
      const res = await fetch(`${base}/internal/holds/${encodeURIComponent(key)}/release`, {
        method: 'POST',
        // The node records who asked: the operator behind this ops service.
        headers: {
          'content-type': 'application/json',
          ...serviceHeaders(this.serviceToken, `ops:${operator.replace(/[^A-Za-z0-9._@-]/g, '_').slice(0, 100)}`),
        },
        body: JSON.stringify({ resolution }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (res.ok) return 'released';
      if (res.status === 404) return 'nothing-held';
      this.logger.event('warn', 'hold release refused', { node, status: res.status });
      return 'failed';
    } catch (e) {
      this.logger.event('warn', 'hold release failed', { node, error: (e as Error).message });
      return 'failed';
    }
  }

  /** The configured nodes, by division code. */
  nodeCodes(): string[] {
    return [...this.urls.keys()];
  }

  /**
   * Asks a node's internal holds API (`GET /internal/holds…`, `POST /internal/holds/:key/release`) and gives its
   * answer as it came: status and parsed body. Throws when the node is not configured or does not answer.
   */
  async holds(
    node: string,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    operator = 'unnamed',
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const base = this.urls.get(node);
    if (!base) throw new Error(`node ${node} is not configured (TONGBAN_NODE_URLS)`);
    const res = await fetch(`${base}/internal/holds${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...serviceHeaders(this.serviceToken, method === 'POST' ? `ops:${operator.replace(/[^A-Za-z0-9._@-]/g, '_').slice(0, 100)}` : 'ops'),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { detail: text.slice(0, 200) };
    }
    return { status: res.status, body: parsed };
  }

  private async get(url: string, viewer?: { division: string }): Promise<{ status: number; text: string }> {
    const res = await fetch(url, { headers: serviceHeaders(this.serviceToken, 'ops', viewer), signal: AbortSignal.timeout(this.timeoutMs) });
    return { status: res.status, text: await res.text() };
  }
}
