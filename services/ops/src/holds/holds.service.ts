import { AuditLog } from '@tongban/audit';
import { TongbanError, ValidationError } from '@tongban/errors';
import { NotFoundError } from '@tongban/http';
import { JsonLogger } from '@tongban/observability';
import type { Operator } from '../operators/operator-registry';
import { DeadLetterRepository } from '../dead-letters/infrastructure/dead-letter.repository';
import { NodeClient } from '../dead-letters/infrastructure/node-client';
import { dependencyRefusal } from '../dependency-refusal';
import { decideRelease, mergeHolds, MergedHolds, NodeHoldsAnswer } from './hold-decisions';

/**
 * The per-case holds of this province's nodes, for operators: listed from every configured node's internal
 * API, and released there when no parked dead letter in ops stands for the blocker (one that does is settled
 * with `dlq replay` or `dlq discard`, which release its hold too).
 */
export class HoldsService {
  constructor(
    private readonly nodes: NodeClient,
    private readonly deadLetters: DeadLetterRepository,
    private readonly audit: AuditLog,
    private readonly logger: JsonLogger,
  ) {}

  async list(o: { all: boolean; limit: number; node?: string }): Promise<MergedHolds> {
    const asked = o.node ? [this.configured(o.node)] : this.nodes.nodeCodes();
    const answers = await Promise.all(
      asked.map(async (node): Promise<NodeHoldsAnswer> => {
        try {
          const r = await this.nodes.holds(node, 'GET', `?${new URLSearchParams({ all: String(o.all), limit: String(o.limit) })}`);
          if (r.status === 200 && Array.isArray(r.body.holds)) return { node, ok: true, holds: r.body.holds as Array<Record<string, unknown>> };
          return { node, ok: false, error: `HTTP ${r.status}${typeof r.body.code === 'string' ? ` ${r.body.code}` : ''}` };
        } catch (e) {
          return { node, ok: false, error: (e as Error).message };
        }
      }),
    );
    return mergeHolds(answers, o.limit);
  }

  async release(
    key: string,
    operator: Operator,
    o: { node?: string; resolution: 'replayed' | 'discarded'; reason?: string },
  ): Promise<Record<string, unknown>> {
    const holding: string[] = [];
    const unreachable: string[] = [];
    await Promise.all(
      (o.node ? [this.configured(o.node)] : this.nodes.nodeCodes()).map(async (node) => {
        try {
          const r = await this.nodes.holds(node, 'GET', `/${encodeURIComponent(key)}`);
          if (r.status === 200) holding.push(node);
          else if (r.status !== 404) unreachable.push(node);
        } catch {
          unreachable.push(node);
        }
      }),
    );
    const parked = holding.length === 1 ? (await this.deadLetters.ids({ state: 'parked', region: holding[0], caseId: key }, 1))[0] : undefined;
    const decision = decideRelease({ holding, unreachable }, () => parked);
    switch (decision.kind) {
      case 'not-found':
        throw new NotFoundError(`no node holds messages of ${key}`, 'HOLD.NOT_FOUND');
      case 'unavailable':
        throw new TongbanError('DEPENDENCY.UNAVAILABLE', `no node that answered holds ${key}; node(s) ${decision.nodes.join(', ')} did not answer`, true);
      case 'ambiguous':
        throw new ValidationError([{ path: 'node', problem: `nodes ${decision.nodes.join(' and ')} both hold ${key}: name one` }]);
      case 'use-dead-letter':
        throw new TongbanError(
          'HOLD.NOT_RELEASABLE',
          `dead letter ${decision.deadLetterId} is the parked blocker of ${key}: replay or discard it (tongban dlq replay|discard ${decision.deadLetterId}), which releases the hold too`,
        );
    }
    const node = decision.node;
    let answer: { status: number; body: Record<string, unknown> };
    try {
      answer = await this.nodes.holds(node, 'POST', `/${encodeURIComponent(key)}/release`, { resolution: o.resolution }, operator.name);
    } catch (e) {
      throw new TongbanError('DEPENDENCY.UNAVAILABLE', `node ${node} did not answer the release of ${key}: ${(e as Error).message}`, true);
    }
    if (answer.status !== 200) throw dependencyRefusal(`node ${node}`, answer, 'TONGBAN_NODE_SERVICE_TOKEN');
    const result = { node, ...answer.body };
    await this.audit.record({
      actor: operator.name,
      action: 'hold.release',
      subject: { cases: [key], regions: [node] },
      details: { node, caseKey: key, resolution: o.resolution, ...(o.reason ? { reason: o.reason } : {}), outcome: answer.body.outcome ?? null },
    });
    this.logger.event('info', 'hold released by an operator', {
      node,
      caseKey: key,
      resolution: o.resolution,
      operator: operator.name,
      outcome: answer.body.outcome,
    });
    return result;
  }

  private configured(node: string): string {
    if (!this.nodes.nodeCodes().includes(node))
      throw new ValidationError([{ path: 'node', problem: `must be one of the configured nodes: ${this.nodes.nodeCodes().join(', ')}` }]);
    return node;
  }
}
