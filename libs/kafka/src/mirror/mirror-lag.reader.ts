import { Admin, Consumer, Kafka } from 'kafkajs';
import { DirectionLag, directionLag, mirrorOffsetsTopic, parseMirrorOffset, PartitionProgress, timestampOfOffset } from './replication-lag';

export interface MirrorLagReaderOptions {
  /** The source province's link listener, as the mirror's own principal (it may describe and read only the mirrored topics). */
  source: Kafka;
  /** The target province's cluster, as a principal that may read the mirror's offsets topic (the mirror's own). */
  target: Kafka;
  sourceAlias: string;
  targetAlias: string;
  /** The topics the mirror copies (its `topics` pattern); only those the principal may describe are seen. */
  topics: RegExp;
  /** Group for following the offsets topic; with the mirror's ACLs it must start with `<source alias>-mm2`. */
  groupId?: string;
  /** How far back to look for the time of a waiting record (default 7 days, the inbox retention). */
  lookBackMs?: number;
  now?: () => number;
}

/**
 * Replication lag of one MirrorMaker 2 flow: follows the mirror's progress in its Connect offsets topic on the
 * target, compares it with the source's end offsets, and dates the oldest waiting record. Runs where the
 * mirror runs (the target province), with the mirror's read-only principal on the source.
 */
export class MirrorLagReader {
  private readonly progress = new Map<string, number | undefined>();
  private readonly position = new Map<number, number>();
  private consumer?: Consumer;
  private sourceAdmin?: Admin;
  private targetAdmin?: Admin;

  constructor(private readonly options: MirrorLagReaderOptions) {}

  get source(): string {
    return this.options.sourceAlias;
  }

  get target(): string {
    return this.options.targetAlias;
  }

  async start(): Promise<void> {
    const { target, source, sourceAlias } = this.options;
    this.sourceAdmin = source.admin();
    this.targetAdmin = target.admin();
    await Promise.all([this.sourceAdmin.connect(), this.targetAdmin.connect()]);
    // Never commits: every start reads the compacted offsets topic from its beginning.
    this.consumer = target.consumer({ groupId: this.options.groupId ?? `${sourceAlias}-mm2-lag`, allowAutoTopicCreation: false });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: mirrorOffsetsTopic(sourceAlias), fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const parsed = parseMirrorOffset(message.key, message.value);
        if (parsed) this.progress.set(`${parsed.topic}\u0000${parsed.partition}`, parsed.next);
        this.position.set(partition, Number(message.offset) + 1);
      },
    });
  }

  async stop(): Promise<void> {
    await Promise.all([this.consumer?.disconnect(), this.sourceAdmin?.disconnect(), this.targetAdmin?.disconnect()]);
  }

  /** The lag now; first waits (up to `catchUpMs`) until the mirror's progress written so far has been read. */
  async read(catchUpMs = 10_000): Promise<DirectionLag> {
    const { sourceAlias, targetAlias, topics, lookBackMs = 7 * 24 * 3600_000, now = Date.now } = this.options;
    const sourceAdmin = this.sourceAdmin;
    if (!sourceAdmin || !this.targetAdmin) throw new Error('MirrorLagReader.read() before start()');
    await this.catchUp(catchUpMs);
    const progress: PartitionProgress[] = [];
    const mirrored = (await sourceAdmin.listTopics()).filter((t) => topics.test(t)).sort();
    const at = now();
    for (const topic of mirrored) {
      for (const p of await sourceAdmin.fetchTopicOffsets(topic)) {
        const entry: PartitionProgress = {
          topic,
          partition: p.partition,
          sourceStart: Number(p.low),
          sourceEnd: Number(p.high),
          mirroredNext: this.progress.get(`${topic}\u0000${p.partition}`),
        };
        const next = Math.max(entry.mirroredNext ?? entry.sourceStart, entry.sourceStart);
        if (next < entry.sourceEnd) {
          const offsetAt = async (t: number) => {
            const found = (await sourceAdmin.fetchTopicOffsetsByTimestamp(topic, t)).find((o) => o.partition === p.partition);
            return found ? Number(found.offset) : entry.sourceEnd;
          };
          entry.oldestWaitingAt = await timestampOfOffset(next, offsetAt, at - lookBackMs, at);
        }
        progress.push(entry);
      }
    }
    return directionLag(sourceAlias, targetAlias, progress, at);
  }

  private async catchUp(withinMs: number): Promise<void> {
    const ends = await this.targetAdmin!.fetchTopicOffsets(mirrorOffsetsTopic(this.options.sourceAlias));
    const deadline = Date.now() + withinMs;
    while (ends.some((e) => Number(e.high) > (this.position.get(e.partition) ?? Number(e.low)))) {
      if (Date.now() > deadline) throw new Error(`mirror progress of ${this.options.sourceAlias} not read within ${withinMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
