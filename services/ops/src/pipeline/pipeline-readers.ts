import type { Admin } from 'kafkajs';
import { createConnection } from 'mysql2/promise';
import { CommittedOffset, consumerLag, PartitionEnds } from '@tongban/kafka';
import { MysqlConfig, outboxBacklogAge } from '@tongban/persistence';
import type { GroupReading, OutboxReading } from './pipeline-status';

/**
 * The outboxes of this province's databases, counted as the relay's gauges count them (rows not yet sent, the age
 * of the oldest), read from the databases themselves: a relay that is down is when the backlog matters most.
 */
export class OutboxBacklogReader {
  constructor(
    private readonly mysql: MysqlConfig,
    private readonly databases: string[],
  ) {}

  async read(): Promise<OutboxReading[]> {
    let conn: Awaited<ReturnType<typeof createConnection>>;
    try {
      conn = await createConnection({ ...this.mysql, connectTimeout: 3000 });
    } catch (e) {
      return this.databases.map((database) => ({ database, error: (e as Error).message }));
    }
    try {
      const out: OutboxReading[] = [];
      for (const database of this.databases) {
        try {
          await conn.changeUser({ database });
          out.push({ database, ...(await outboxBacklogAge(conn)) });
        } catch (e) {
          out.push({ database, error: (e as Error).message });
        }
      }
      return out;
    } finally {
      await conn.end().catch(() => undefined);
    }
  }
}

/** The calls of a kafkajs admin client the lag reader makes (a fake in unit specs). */
export type LagAdmin = Pick<Admin, 'listGroups' | 'describeGroups' | 'fetchOffsets' | 'fetchTopicOffsets'>;

/**
 * The lag of every consumer group of this province (its name under the topic namespace) on the inbox topics, from
 * the broker: committed offsets against each partition's end. Read by ops with its own client, so a group whose
 * consumers are all down still shows what waits for it. Groups that committed nothing on these topics are left out.
 */
export class InboxLagReader {
  constructor(
    private readonly admin: LagAdmin,
    private readonly groupPrefix: string,
    private readonly topics: string[],
  ) {}

  async read(): Promise<GroupReading[]> {
    const ends: PartitionEnds[] = [];
    for (const topic of this.topics) {
      for (const p of await this.admin.fetchTopicOffsets(topic)) ends.push({ topic, partition: p.partition, low: Number(p.low), high: Number(p.high) });
    }
    const ids = (await this.admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((id) => id.startsWith(this.groupPrefix))
      .sort();
    const readings: GroupReading[] = [];
    for (const group of ids) {
      const committed: CommittedOffset[] = (await this.admin.fetchOffsets({ groupId: group, topics: this.topics })).flatMap((t) =>
        t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: Number(p.offset) })),
      );
      const read = new Set(committed.filter((c) => c.offset >= 0).map((c) => c.topic));
      if (read.size === 0) continue;
      readings.push({
        group,
        partitions: consumerLag(
          ends.filter((e) => read.has(e.topic)),
          committed,
        ),
      });
    }
    if (readings.length > 0) {
      const described = new Map((await this.admin.describeGroups(readings.map((r) => r.group))).groups.map((g) => [g.groupId, g]));
      for (const r of readings) {
        const g = described.get(r.group);
        if (g) Object.assign(r, { state: g.state, members: g.members.length });
      }
    }
    return readings;
  }
}
