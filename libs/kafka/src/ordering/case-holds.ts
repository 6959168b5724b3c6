import { TongbanError } from '@tongban/errors';
import type { JsonLogger } from '@tongban/observability';
import type { FailureSink } from '../failures/dead-letter';
import { errorCodeOf, NextStep, REPLAY_OF_HEADER, withoutFailureHeaders } from '../failures/failure-headers';
import type { CaseBlocking, FailureCopy } from '../failures/failure-router';
import type { RetryPacer } from '../failures/retry-pacer';
import { HEADERS } from '../kafka-client';
import { Delivery, Heartbeat, heldDelivery, NO_HEARTBEAT } from '../server/delivery';
import type { HoldAdministration, HoldDescription, ReleaseResult } from './hold-administration';
import { admit, checkReleasable, HoldNotReleasableError } from './hold-state';
import type { Hold, HoldResolution, HoldStatus, HoldStore } from './hold-store.port';

/** Where a message of a batch stands with its case: processed now, processed as the blocker, or held. */
export type CaseAdmission = 'process' | 'blocker' | 'held';

/** Processes a message released from a hold: `applied`, or `sent-on` when it failed (it then blocks its case). */
export type HeldMessageProcessor = (d: Delivery, heartbeat: Heartbeat) => Promise<'applied' | 'sent-on'>;

export interface CaseHoldsOptions {
  store: HoldStore;
  pacer: Pick<RetryPacer, 'untilDone'>;
  /** Re-publishes a dead-lettered blocker for a replay. */
  publisher: FailureSink;
  logger: Pick<JsonLogger, 'event'>;
  /** How long one instance may work on a hold before another may take it over. */
  leaseMs: number;
  process: HeldMessageProcessor;
}

/**
 * Order per case: while a message of a case is retried or parked on the dead-letter topic, later
 * messages of the case wait in its hold (in the `HoldStore`) and are processed in order once the
 * blocker is applied, replayed or discarded. Also what an operator does with holds.
 */
export class CaseHolds implements CaseBlocking, HoldAdministration {
  constructor(private readonly o: CaseHoldsOptions) {}

  /** The open holds among the keys of a batch; the batch keeps this map current as it goes. */
  openHolds(keys: string[]): Promise<Map<string, Hold>> {
    return this.o.pacer.untilDone('read the holds of a batch', () => this.o.store.openHolds(keys));
  }

  /**
   * Whether a message may be processed now: with no open hold on its case it may, the blocker (its
   * retry copy, a redelivery, a replay) goes through as such, anything else is appended to the hold.
   */
  async admit(open: Map<string, Hold>, d: Delivery): Promise<CaseAdmission> {
    if (!d.key) return 'process';
    const admission = admit(open.get(d.key), { ref: d.ref, replayOf: d.replayOf });
    if (admission !== 'hold') return admission;
    if (await this.append(d)) return 'held';
    // The hold closed meanwhile: the message goes through as any other.
    open.delete(d.key);
    return 'process';
  }

  /** The blocker of a case was applied (on a retry, or replayed): the messages held behind it follow, in order. */
  async blockerApplied(open: Map<string, Hold>, d: Delivery, heartbeat: Heartbeat): Promise<void> {
    await this.release(d.key, { from: ['forwarding', 'retrying', 'parked'], blockerRef: d.ref, resolution: d.replayOf ? 'replayed' : 'applied' }, heartbeat);
    open.delete(d.key);
  }

  /** After a message of the batch was sent on, its case's hold as it is now. */
  async reread(open: Map<string, Hold>, caseKey: string): Promise<void> {
    if (!caseKey) return;
    const hold = await this.o.store.get(caseKey);
    if (hold) open.set(caseKey, hold);
  }

  async block(d: Delivery, copy: FailureCopy): Promise<void> {
    if (!d.key) return;
    await this.o.pacer.untilDone('block the case', () =>
      this.o.store.block(
        d.key,
        {
          ref: d.ref,
          eventId: d.eventId,
          topic: d.origin.topic,
          partition: d.origin.partition,
          offset: d.origin.offset,
          key: d.key,
          value: d.value,
          headers: withoutFailureHeaders(d.headers),
          forwardTopic: copy.step.topic,
          forwardHeaders: copy.headers,
          errorCode: errorCodeOf(copy.error),
          errorMessage: (copy.error as Error)?.message ?? String(copy.error),
        },
        d.held?.id,
      ),
    );
  }

  async forwarded(d: Delivery, step: NextStep): Promise<void> {
    if (!d.key) return;
    await this.o.pacer.untilDone('mark the case blocked', () => this.o.store.forwarded(d.key, d.ref, step.kind === 'retry' ? 'retrying' : 'parked'));
  }

  /**
   * Processes the messages held behind a settled blocker, in order, then closes the hold. A held message
   * that fails becomes the new blocker and the rest keep waiting behind it.
   */
  async release(
    caseKey: string,
    o: { from: HoldStatus[]; blockerRef?: string; resolution: HoldResolution },
    // Inside a batch the group must keep hearing from this member while a long hold drains.
    heartbeat: Heartbeat = NO_HEARTBEAT,
  ): Promise<ReleaseResult> {
    const { store, pacer, leaseMs } = this.o;
    const claimed = await pacer.untilDone('claim a hold', () =>
      store.claimRelease(caseKey, { from: o.from, blockerRef: o.blockerRef, resolution: o.resolution, leaseMs }),
    );
    if (!claimed) return { caseKey, resolution: o.resolution, outcome: 'busy', applied: 0 };
    let applied = 0;
    for (;;) {
      await pacer.untilDone('renew a hold lease', () => store.renewLease(caseKey, leaseMs));
      await heartbeat().catch(() => undefined);
      const next = await pacer.untilDone('read a held message', () => store.nextHeld(caseKey));
      if (!next) {
        if (await pacer.untilDone('close a hold', () => store.closeIfEmpty(caseKey))) {
          this.o.logger.event('info', 'hold released', { caseKey, resolution: o.resolution, applied });
          return { caseKey, resolution: o.resolution, outcome: 'released', applied };
        }
        continue;
      }
      if ((await this.o.process(heldDelivery(caseKey, next), heartbeat)) === 'sent-on') {
        return { caseKey, resolution: o.resolution, outcome: 'reblocked', applied, blockerRef: next.ref };
      }
      await pacer.untilDone('mark a held message applied', () => store.markHeld(next.id, 'applied'));
      applied++;
    }
  }

  async listHolds(o: { includeClosed?: boolean; limit?: number } = {}): Promise<Hold[]> {
    return this.o.store.list(o);
  }

  async describeHold(caseKey: string): Promise<HoldDescription | undefined> {
    const hold = await this.o.store.get(caseKey);
    if (!hold) return undefined;
    const messages = await this.o.store.messages(caseKey);
    return {
      hold,
      messages: messages.map((m) => ({
        id: m.id,
        ref: m.ref,
        eventId: m.eventId,
        eventType: m.headers[HEADERS.eventType] ?? null,
        status: m.status,
        waitsForRef: m.waitsForRef,
        waitsForEventId: m.waitsForEventId,
        heldAt: m.heldAt,
      })),
    };
  }

  /**
   * An operator settles a dead-lettered blocker. `discarded`: the held messages are processed now, in
   * order. `replayed`: the blocker's original bytes go back to its topic with `tongban-replay-of`
   * (unless the caller published the replay itself, `republish: false`); the transport lets the
   * replay through the hold and releases the rest once it is applied.
   */
  async releaseHold(caseKey: string, resolution: 'replayed' | 'discarded', o: { republish?: boolean } = {}): Promise<ReleaseResult> {
    const { store } = this.o;
    const hold = await store.get(caseKey);
    checkReleasable(caseKey, hold);
    if (resolution === 'discarded') {
      const result = await this.release(caseKey, { from: ['parked'], blockerRef: hold!.blockerRef, resolution: 'discarded' });
      if (result.outcome === 'busy') throw new HoldNotReleasableError(`the hold of ${caseKey} is being released already`);
      return result;
    }
    if (o.republish !== false) {
      const b = await store.blocker(caseKey);
      if (!b) throw new HoldNotReleasableError(`the hold of ${caseKey} has no stored blocker to replay`);
      await this.o.publisher.send(b.topic, b.key, b.value, { ...withoutFailureHeaders(b.headers), [REPLAY_OF_HEADER]: b.ref });
      this.o.logger.event('info', 'dead-lettered event replayed', { caseKey, ref: b.ref, eventId: b.eventId });
    }
    return { caseKey, resolution, outcome: 'replay-published', applied: 0, blockerRef: hold!.blockerRef };
  }

  private async append(d: Delivery): Promise<boolean> {
    const held = await this.o.pacer.untilDone('hold a message', () =>
      this.o.store.append(d.key, {
        ref: d.ref,
        eventId: d.eventId,
        topic: d.origin.topic,
        partition: d.origin.partition,
        offset: d.origin.offset,
        value: d.value,
        headers: withoutFailureHeaders(d.headers),
        waitsForRef: '',
        waitsForEventId: null,
      }),
    );
    if (held) {
      this.o.logger.event('info', 'event held behind an earlier event of its case', {
        caseKey: d.key,
        eventId: d.eventId,
        topic: d.origin.topic,
        partition: d.origin.partition,
        offset: d.origin.offset,
      });
    }
    return held;
  }
}

/** For a consumer without a hold store: every administration call is refused. */
export const NO_HOLDS: HoldAdministration = {
  listHolds: () => Promise.reject(holdsDisabled()),
  describeHold: () => Promise.reject(holdsDisabled()),
  releaseHold: () => Promise.reject(holdsDisabled()),
};

function holdsDisabled(): TongbanError {
  return new TongbanError('HOLD.DISABLED', 'this consumer keeps no holds');
}
