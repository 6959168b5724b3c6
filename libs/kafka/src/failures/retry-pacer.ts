import type { KafkaMessage } from 'kafkajs';
import { isDependencyFailure } from '@tongban/errors';
import type { JsonLogger } from '@tongban/observability';
import { headerText } from '../kafka-client';
import { WorkInterruptedError } from '../server/transport.errors';
import { FAILURE_HEADERS } from './failure-headers';
import type { RetryPolicy } from './retry-policy';

export type Sleep = (ms: number) => Promise<void>;

const sleep: Sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export interface RetryPacerOptions {
  policy: Pick<RetryPolicy, 'inPlaceBackoffMs' | 'delaysMs'>;
  logger: Pick<JsonLogger, 'event'>;
  /** Aborted when the transport closes: the resume timers are cleared, storage work gives up after a few tries. */
  closing: AbortSignal;
  sleep?: Sleep;
  now?: () => number;
}

/**
 * When failed work is tried again. A try in place waits `inPlaceBackoffMs`, doubled for each further
 * try; work waiting for an unreachable dependency backs off from 200 ms to 5 s; a copy on a retry topic
 * is read once it is due, its partition paused until then (the pacer owns the timers that resume
 * them); a write to the hold store or the broker is repeated until it works.
 */
export class RetryPacer {
  private readonly resumeTimers = new Map<string, NodeJS.Timeout>();
  private readonly sleep: Sleep;
  private readonly now: () => number;

  constructor(private readonly o: RetryPacerOptions) {
    this.sleep = o.sleep ?? sleep;
    this.now = o.now ?? Date.now;
    o.closing.addEventListener('abort', () => this.clearTimers(), { once: true });
  }

  /** The pause after in-place try `attempt` (1 for the first) failed. */
  inPlaceDelayMs(attempt: number): number {
    return this.o.policy.inPlaceBackoffMs * 2 ** (attempt - 1);
  }

  /** The pause before trying again for the `waits`-th time work that waits for a dependency. */
  dependencyDelayMs(waits: number): number {
    return Math.min(5000, 100 * 2 ** Math.min(waits, 6));
  }

  /** The pause after a write to storage or the broker failed for the `tries`-th time. */
  storageDelayMs(tries: number): number {
    return Math.min(5000, 200 * tries);
  }

  backOffInPlace(attempt: number): Promise<void> {
    return this.sleep(this.inPlaceDelayMs(attempt));
  }

  waitForDependency(waits: number): Promise<void> {
    return this.sleep(this.dependencyDelayMs(waits));
  }

  /** When a copy on `.retry.<level>` is due: the time its header names, else its timestamp plus the level's delay. */
  dueAt(level: number, message: Pick<KafkaMessage, 'headers' | 'timestamp'>): number {
    const due = Date.parse(headerText(message.headers, FAILURE_HEADERS.retryDueAt) ?? '');
    if (!Number.isNaN(due)) return due;
    return Number(message.timestamp) + (this.o.policy.delaysMs[level - 1] ?? 0);
  }

  /**
   * For a copy on a retry topic that is not due yet: pauses its partition (and nothing else) and resumes
   * it when the copy is due. True when it paused; the caller then stops reading the batch.
   */
  deferUntilDue(topic: string, partition: number, level: number, message: Pick<KafkaMessage, 'headers' | 'timestamp'>, pause: () => () => void): boolean {
    if (level === 0) return false;
    const due = this.dueAt(level, message);
    if (due <= this.now()) return false;
    const resume = pause();
    const id = `${topic}:${partition}`;
    clearTimeout(this.resumeTimers.get(id));
    const timer = setTimeout(
      () => {
        this.resumeTimers.delete(id);
        if (!this.o.closing.aborted) resume();
      },
      Math.max(0, due - this.now()),
    );
    timer.unref();
    this.resumeTimers.set(id, timer);
    return true;
  }

  /** Partitions paused until a copy is due. */
  get pausedPartitions(): number {
    return this.resumeTimers.size;
  }

  /**
   * Storage and broker hiccups must not skip a message: keep trying until it works. Once the transport
   * closes, gives up after the fourth try (a dependency still down ends the work with `WorkInterruptedError`).
   */
  async untilDone<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let tries = 1; ; tries++) {
      try {
        return await fn();
      } catch (e) {
        if (this.o.closing.aborted && tries > 3) throw isDependencyFailure(e) ? new WorkInterruptedError() : e;
        this.o.logger.event('error', `could not ${what}, trying again`, { error: (e as Error).message, tries });
        await this.sleep(this.storageDelayMs(tries));
      }
    }
  }

  private clearTimers(): void {
    for (const t of this.resumeTimers.values()) clearTimeout(t);
    this.resumeTimers.clear();
  }
}
