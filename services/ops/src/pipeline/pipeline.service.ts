import { InboxLagReader, OutboxBacklogReader } from './pipeline-readers';
import { GroupReading, pipelineStatus, PipelineStatus, PipelineThreshold } from './pipeline-status';

/** The outboxes and the consumer lag of this province, read together; a part that does not answer in time says so. */
export class PipelineService {
  constructor(
    private readonly outbox: Pick<OutboxBacklogReader, 'read'>,
    private readonly lag: Pick<InboxLagReader, 'read'>,
    private readonly threshold: PipelineThreshold,
    private readonly timeoutMs = 5000,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async status(): Promise<PipelineStatus> {
    const [outbox, consumers] = await Promise.all([
      this.within(this.outbox.read(), 'the databases').catch((e: Error) => [{ database: '*', error: e.message }]),
      this.within(this.lag.read(), 'the broker').catch((e: Error): { error: string } => ({ error: e.message })),
    ]);
    return pipelineStatus(outbox, consumers as GroupReading[] | { error: string }, this.threshold, this.now());
  }

  private within<T>(work: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from ${what} in ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    work.catch(() => undefined);
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  }
}
