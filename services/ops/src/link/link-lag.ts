import { DirectionLag, LagSource, lagAlert, LagThreshold, MirrorLagReader } from '@tongban/kafka';

/** What the console and `GET /v1/link` show of one incoming replication flow. */
export interface LinkStatus {
  source: string;
  target: string;
  /** When the lag was last read (by a scrape of /metrics or by this endpoint). */
  readAt?: string;
  messages?: number;
  oldestAgeMs?: number;
  /** Why the flow counts as behind (records waiting or age over the threshold), or null. */
  behind: string | null;
  /** Why the lag could not be read (the link listener refused, the mirror's offsets are unreadable...). */
  error?: string;
}

/** The part of MirrorLagReader this needs (a fake in unit specs). */
export type LagReader = Pick<MirrorLagReader, 'source' | 'target' | 'start' | 'stop' | 'read'>;

/**
 * One incoming flow's lag for the metrics and the console. The reader connects to the other province's link
 * listener, which may be down when ops starts or later: it is started on first use and started again after
 * a failure, so ops itself never waits for the link.
 */
export class LinkLag implements LagSource {
  private started?: Promise<void>;
  private last: LinkStatus;

  constructor(
    private readonly reader: LagReader,
    private readonly threshold: LagThreshold,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.last = { source: reader.source, target: reader.target, behind: null };
  }

  get source(): string {
    return this.reader.source;
  }

  get target(): string {
    return this.reader.target;
  }

  async read(): Promise<DirectionLag> {
    const readAt = this.now().toISOString();
    try {
      this.started ??= this.reader.start();
      await this.started;
      const lag = await this.reader.read(5000);
      this.last = {
        source: lag.source,
        target: lag.target,
        readAt,
        messages: lag.messages,
        oldestAgeMs: lag.oldestAgeMs,
        behind: lagAlert(lag, this.threshold) ?? null,
      };
      return lag;
    } catch (e) {
      this.started = undefined;
      await this.reader.stop().catch(() => undefined);
      this.last = { ...this.last, readAt, error: (e as Error).message };
      throw e;
    }
  }

  /** The status now: reads the lag, and on failure answers the last known figures with the error. */
  async status(): Promise<LinkStatus> {
    await this.read().catch(() => undefined);
    return this.last;
  }

  async close(): Promise<void> {
    if (this.started) await this.reader.stop().catch(() => undefined);
  }
}
