import type { JsonLogger } from '@tongban/observability';
import { Delivery, Heartbeat, NO_HEARTBEAT } from '../server/delivery';
import { WorkInterruptedError } from '../server/transport.errors';
import type { FailureSink } from './dead-letter';
import { errorKindOf, isWorthRetrying } from './error-kind';
import { errorCodeOf, FAILURE_HEADERS, failureHeaders, NextStep, nextStep } from './failure-headers';
import type { RetryPacer } from './retry-pacer';
import type { RetryPolicy } from './retry-policy';

/** What follows a failed try: wait for the dependency and try again, try again in place, or send the message on. */
export type FailureDecision = 'wait-for-dependency' | 'retry-in-place' | 'send-on';

export type TryResult = { ok: true } | { ok: false; error: unknown; tries: number };

/** A failed message's copy, bound for a retry or the dead-letter topic. */
export interface FailureCopy {
  step: NextStep;
  headers: Record<string, string>;
  error: unknown;
}

/**
 * Per-case order on the failure path (`CaseHolds`): the case is blocked before the copy is written,
 * so nothing of it overtakes the failed message, and marked once the copy is stored.
 */
export interface CaseBlocking {
  block(d: Delivery, copy: FailureCopy): Promise<void>;
  forwarded(d: Delivery, step: NextStep): Promise<void>;
}

export interface FailureRouterOptions {
  policy: RetryPolicy;
  pacer: Pick<RetryPacer, 'backOffInPlace' | 'waitForDependency' | 'untilDone'>;
  publisher: FailureSink;
  /** Without it, no case is blocked. */
  holds?: CaseBlocking;
  groupId: string;
  logger: Pick<JsonLogger, 'event'>;
  /** Aborted when the transport closes: no further try in place, no waiting for a dependency. */
  closing: AbortSignal;
  now?: () => Date;
}

/**
 * Where a failed message goes: tried again in place (a dependency that cannot be reached is waited
 * for without spending the message's tries), then to the next `<topic>.retry.<n>`, then to `<topic>.dlq`.
 * A permanent failure, a programming error among them, goes to the dead-letter topic at once.
 */
export class FailureRouter {
  private readonly now: () => Date;

  constructor(private readonly o: FailureRouterOptions) {
    this.now = o.now ?? (() => new Date());
  }

  decide(error: unknown, attempt: number): FailureDecision {
    const kind = errorKindOf(error);
    if (kind === 'dependency') return 'wait-for-dependency';
    if (kind === 'retriable' && attempt < Math.max(1, this.o.policy.inPlaceAttempts) && !this.o.closing.aborted) return 'retry-in-place';
    return 'send-on';
  }

  /**
   * Runs the work of a delivery (`work` gets the number of this try over every retry topic), trying
   * again in place as `decide` says. A dependency that cannot be reached (the database, the registry)
   * is not the message's fault: the work waits for it, heartbeating, so an outage of any length sends
   * nothing to the retry or dead-letter topics and the partition resumes by itself when it is back.
   */
  async tryInPlace(d: Delivery, work: (attempt: number) => Promise<void>, heartbeat: Heartbeat = NO_HEARTBEAT): Promise<TryResult> {
    const before = d.prior?.attempts ?? 0;
    let waits = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        await work(before + attempt);
        return { ok: true };
      } catch (error) {
        const decision = this.decide(error, attempt);
        if (decision === 'wait-for-dependency') {
          if (this.o.closing.aborted) throw new WorkInterruptedError();
          waits++;
          if (waits === 1 || waits % 20 === 0) {
            this.o.logger.event('warn', 'a dependency is unavailable; the event waits for it', {
              from: d.from,
              waits,
              errorCode: errorCodeOf(error),
              error: (error as Error)?.message,
            });
          }
          await this.o.pacer.waitForDependency(waits);
          await heartbeat().catch(() => undefined);
          attempt--;
          continue;
        }
        if (decision === 'retry-in-place') {
          this.o.logger.event('warn', 'event failed, retrying in place', {
            from: d.from,
            attempt: before + attempt,
            errorCode: errorCodeOf(error),
            error: (error as Error)?.message,
          });
          await this.o.pacer.backOffInPlace(attempt);
          continue;
        }
        return { ok: false, error, tries: attempt };
      }
    }
  }

  /**
   * Sends a failed message on: to the next retry topic, or to the dead-letter topic. With holds, the
   * case is blocked first (so nothing of it overtakes), then the copy is written, then the offset moves.
   */
  async sendOn(d: Delivery, error: unknown, tries: number): Promise<NextStep> {
    const now = this.now();
    const kind = errorKindOf(error);
    // A replay arrives on the inbox (level 0), so it starts the failure path again from the first retry topic.
    const step = nextStep(this.o.policy, d.mainTopic, d.level, isWorthRetrying(kind), now);
    const attempts = (d.prior?.attempts ?? 0) + tries;
    const headers = failureHeaders(d.headers, {
      origin: d.origin,
      key: d.key,
      error,
      retriable: isWorthRetrying(kind),
      attempts,
      firstFailureAt: d.prior?.firstFailureAt ?? now,
      lastFailureAt: now,
      consumerGroup: this.o.groupId,
      failedTopic: d.fromTopic,
      step,
    });
    await this.o.holds?.block(d, { step, headers, error });
    await this.o.pacer.untilDone(`write to ${step.topic}`, () => this.o.publisher.send(step.topic, d.rawKey, d.value, headers));
    await this.o.holds?.forwarded(d, step);
    const fields = {
      from: d.from,
      to: step.topic,
      caseKey: d.key,
      eventId: d.eventId,
      attempts,
      errorCode: errorCodeOf(error),
      error: (error as Error)?.message,
      arrivedVia: headers[FAILURE_HEADERS.arrivedVia],
      arrivedFrom: headers[FAILURE_HEADERS.arrivedFrom],
    };
    if (step.kind === 'retry') {
      this.o.logger.event('warn', 'event failed, sent to a retry topic', { ...fields, dueAt: step.dueAt.toISOString() });
    } else {
      this.o.logger.event('error', 'event dead-lettered', { ...fields, errorKind: kind });
    }
    return step;
  }
}
