import type { JsonLogger } from '@tongban/observability';
import type { FailureSink } from '../failures/dead-letter';
import type { CaseHolds } from './case-holds';
import type { HoldStore } from './hold-store.port';

export interface HoldSweeperOptions {
  store: Pick<HoldStore, 'stalled' | 'claimStalledForward' | 'blocker' | 'forwarded'>;
  holds: Pick<CaseHolds, 'release'>;
  publisher: FailureSink;
  logger: Pick<JsonLogger, 'event'>;
  /** A hold `forwarding` this long, or `releasing` past its lease, was left by a crash. */
  leaseMs: number;
  intervalMs: number;
  /** Aborted when the transport closes: the sweeps stop. */
  closing: AbortSignal;
}

/**
 * Finishes holds that a crashed instance left half-way: a blocker whose copy may not have been written
 * (`forwarding`) has it written again; a hold whose release stopped (`releasing`, lease run out) is
 * released on. Several instances may sweep: each hold is taken by one of them.
 */
export class HoldSweeper {
  private timer?: NodeJS.Timeout;
  private sweeping = false;

  constructor(private readonly o: HoldSweeperOptions) {}

  start(): void {
    if (this.o.closing.aborted) return;
    this.timer = setInterval(() => void this.sweep(), this.o.intervalMs);
    this.timer.unref();
    this.o.closing.addEventListener('abort', () => this.stop(), { once: true });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One sweep; a sweep still running, or a closing transport, makes it a no-op. Failures are logged, never thrown. */
  async sweep(): Promise<void> {
    const { store, closing, leaseMs } = this.o;
    if (this.sweeping || closing.aborted) return;
    this.sweeping = true;
    try {
      for (const hold of await store.stalled(leaseMs)) {
        if (closing.aborted) break;
        if (hold.status === 'forwarding') {
          if (!(await store.claimStalledForward(hold.caseKey, leaseMs))) continue;
          const b = await store.blocker(hold.caseKey);
          if (!b) continue;
          await this.o.publisher.send(b.forwardTopic, b.key, b.value, b.forwardHeaders);
          await store.forwarded(hold.caseKey, b.ref, b.forwardTopic.endsWith('.dlq') ? 'parked' : 'retrying');
          this.o.logger.event('warn', 'blocked event sent on after a crash', { caseKey: hold.caseKey, to: b.forwardTopic });
        } else if (hold.status === 'releasing') {
          await this.o.holds.release(hold.caseKey, { from: [], resolution: hold.resolution ?? 'applied' });
        }
      }
    } catch (e) {
      this.o.logger.event('warn', 'hold sweep failed', { error: (e as Error).message });
    } finally {
      this.sweeping = false;
    }
  }
}
