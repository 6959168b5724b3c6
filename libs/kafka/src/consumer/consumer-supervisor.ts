import type { Consumer } from 'kafkajs';

/** What the supervisor tells: a consumer that kafkajs stopped for good, each try to start it again, and success. */
export interface SupervisorLog {
  event(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
}

export interface SupervisorOptions {
  /** First wait before starting again, doubled after each failed try up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Called with true while the consumer runs, false while it is stopped and being started again (for health). */
  onState?: (running: boolean) => void;
}

/**
 * Keeps a kafkajs consumer consuming. kafkajs restarts a consumer after a crash only when the error is
 * retriable; after a non-retriable one ("The coordinator is not aware of this member" on an offset commit
 * after a broker restart, a coordinator that moved) it disconnects and stops for good, while the process
 * goes on answering its health checks. The supervisor notices that crash and connects and runs the consumer
 * again (its subscriptions are kept), waiting longer after each failed try, until `stop()`.
 */
export class ConsumerSupervisor {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private tries = 0;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly consumer: Pick<Consumer, 'on' | 'events' | 'connect'>,
    /** Starts consuming: `consumer.run(…)` with the same handlers as the first time. */
    private readonly run: () => Promise<void>,
    private readonly name: string,
    private readonly log: SupervisorLog,
    options: SupervisorOptions = {},
  ) {
    this.initialDelayMs = options.initialDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.onState = options.onState ?? (() => undefined);
    consumer.on(consumer.events.CRASH, (event: { payload: { error: Error; restart: boolean } }) => {
      if (this.stopped || event.payload.restart) return;
      this.onState(false);
      this.log.event('error', `${this.name}: the Kafka consumer stopped after an error kafkajs does not retry; starting it again`, {
        error: event.payload.error?.message,
      });
      this.schedule();
    });
  }

  private readonly onState: (running: boolean) => void;

  /** The next try's wait: the initial delay doubled per failed try, at most `maxDelayMs`. */
  delayFor(tries: number): number {
    return Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** Math.max(0, tries));
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    const delay = this.delayFor(this.tries);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.restart();
    }, delay);
    this.timer.unref();
  }

  private async restart(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.consumer.connect();
      await this.run();
      this.tries = 0;
      this.onState(true);
      this.log.event('info', `${this.name}: the Kafka consumer runs again`);
    } catch (e) {
      this.tries++;
      this.log.event('warn', `${this.name}: starting the Kafka consumer again failed; will try again`, {
        error: (e as Error).message,
        inMs: this.delayFor(this.tries),
      });
      this.schedule();
    }
  }

  /** No more restarts (the service is stopping). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
