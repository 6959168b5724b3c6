/**
 * The pipeline as operators see it: what the relay has not yet sent from each outbox, and how far each consumer
 * group is behind on each partition of the inbox topics, each figure marked when it passes its threshold.
 * Pure: readings come in, the view goes out.
 */

/** One database's outbox as read: rows not yet sent and the age of the oldest, or why it could not be read. */
export type OutboxReading = { database: string; pending: number; oldestSeconds: number } | { database: string; error: string };

/** A consumer group's lag per partition of the topics it has committed offsets on. */
export interface GroupReading {
  group: string;
  /** The group's state as the broker reports it (`Stable`, `Empty`, …), when it could be described. */
  state?: string;
  members?: number;
  partitions: Array<{ topic: string; partition: number; lag: number }>;
}

export interface PipelineThreshold {
  outboxPending: number;
  outboxOldestSeconds: number;
  /** Records waiting on one partition. */
  consumerLag: number;
}

export interface OutboxStatus {
  database: string;
  pending?: number;
  oldestSeconds?: number;
  /** Why the outbox counts as behind, or null. */
  behind: string | null;
  error?: string;
}

export interface ConsumerStatus {
  group: string;
  state: string | null;
  members: number | null;
  topic: string;
  /** Records waiting on all partitions of the topic together. */
  lag: number;
  partitions: Array<{ partition: number; lag: number; behind: boolean }>;
  /** Why the group counts as behind on this topic, or null. */
  behind: string | null;
}

export interface PipelineStatus {
  readAt: string;
  threshold: PipelineThreshold;
  outbox: OutboxStatus[];
  consumers: ConsumerStatus[];
  /** Why the consumer lag could not be read from the broker; `consumers` is then empty. */
  consumersError?: string;
  /** How many rows (outboxes and group topics) are behind or unreadable. */
  alerts: number;
}

function outboxStatus(r: OutboxReading, t: PipelineThreshold): OutboxStatus {
  if ('error' in r) return { database: r.database, behind: null, error: r.error };
  const reasons: string[] = [];
  if (r.pending > t.outboxPending) reasons.push(`${r.pending} rows not sent (limit ${t.outboxPending})`);
  if (r.oldestSeconds > t.outboxOldestSeconds) reasons.push(`oldest waiting ${Math.round(r.oldestSeconds)} s (limit ${t.outboxOldestSeconds} s)`);
  return { database: r.database, pending: r.pending, oldestSeconds: Math.round(r.oldestSeconds * 10) / 10, behind: reasons.length ? reasons.join(', ') : null };
}

function consumerStatuses(g: GroupReading, t: PipelineThreshold): ConsumerStatus[] {
  const byTopic = new Map<string, Array<{ partition: number; lag: number }>>();
  for (const p of g.partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), { partition: p.partition, lag: p.lag }]);
  return [...byTopic.entries()].map(([topic, parts]) => {
    const partitions = parts.sort((a, b) => a.partition - b.partition).map((p) => ({ ...p, behind: p.lag > t.consumerLag }));
    const lag = partitions.reduce((s, p) => s + p.lag, 0);
    const reasons = partitions.filter((p) => p.behind).map((p) => `partition ${p.partition}: ${p.lag} records waiting (limit ${t.consumerLag})`);
    // Records waiting and nobody in the group to read them: the consumer is down, whatever the threshold.
    if (g.members === 0 && lag > 0) reasons.unshift(`no consumer in the group and ${lag} records waiting`);
    return { group: g.group, state: g.state ?? null, members: g.members ?? null, topic, lag, partitions, behind: reasons.length ? reasons.join('; ') : null };
  });
}

export function pipelineStatus(
  outbox: OutboxReading[],
  consumers: GroupReading[] | { error: string },
  threshold: PipelineThreshold,
  now: Date,
): PipelineStatus {
  const o = outbox.map((r) => outboxStatus(r, threshold)).sort((a, b) => a.database.localeCompare(b.database));
  const c =
    'error' in consumers
      ? []
      : consumers.flatMap((g) => consumerStatuses(g, threshold)).sort((a, b) => a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic));
  return {
    readAt: now.toISOString(),
    threshold,
    outbox: o,
    consumers: c,
    ...('error' in consumers ? { consumersError: consumers.error } : {}),
    alerts: o.filter((s) => s.behind || s.error).length + c.filter((s) => s.behind).length + ('error' in consumers ? 1 : 0),
  };
}
