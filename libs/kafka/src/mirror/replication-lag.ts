/**
 * Replication lag of one MirrorMaker 2 flow, computed from numbers alone (no I/O), so that ops can expose it
 * and the rules are tested in milliseconds. The reader that gathers the numbers is mirror-lag.reader.ts.
 */

/** One source partition: how far it is written, and how far the mirror has copied it. */
export interface PartitionProgress {
  topic: string;
  partition: number;
  /** First offset still in the source partition (older records are deleted by retention). */
  sourceStart: number;
  /** Next offset the source will write (high watermark). */
  sourceEnd: number;
  /** Next source offset the mirror will copy; undefined if it has copied nothing of this partition yet. */
  mirroredNext?: number;
  /** Time of the record at mirroredNext, when there is one (ms since the epoch). */
  oldestWaitingAt?: number;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  messages: number;
  /** Age of the oldest record not yet copied, 0 when nothing waits. */
  oldestAgeMs: number;
}

export interface DirectionLag {
  /** The province the records come from (MirrorMaker's cluster alias, e.g. sichuan). */
  source: string;
  /** The province they go to. */
  target: string;
  messages: number;
  oldestAgeMs: number;
  partitions: PartitionLag[];
}

/** The first offset the mirror has not copied yet: what it stored, or the partition's start when it stored nothing. */
export function nextToCopy(p: Pick<PartitionProgress, 'sourceStart' | 'sourceEnd' | 'mirroredNext'>): number {
  // Records deleted by retention before they were copied are lost to the mirror; they no longer wait.
  const next = Math.max(p.mirroredNext ?? p.sourceStart, p.sourceStart);
  return Math.min(next, p.sourceEnd);
}

export function partitionLag(p: PartitionProgress, now: number): PartitionLag {
  const messages = p.sourceEnd - nextToCopy(p);
  const oldestAgeMs = messages > 0 && p.oldestWaitingAt !== undefined ? Math.max(0, now - p.oldestWaitingAt) : 0;
  return { topic: p.topic, partition: p.partition, messages, oldestAgeMs };
}

export function directionLag(source: string, target: string, progress: PartitionProgress[], now: number): DirectionLag {
  const partitions = progress.map((p) => partitionLag(p, now));
  return {
    source,
    target,
    messages: partitions.reduce((sum, p) => sum + p.messages, 0),
    oldestAgeMs: partitions.reduce((max, p) => Math.max(max, p.oldestAgeMs), 0),
    partitions,
  };
}

/**
 * The time of the record at `offset`, found with ListOffsets by timestamp only (the mirror's principal may
 * not join a consumer group in the source province): the latest time whose first offset is still <= offset.
 * `offsetAt(t)` is the first offset with a timestamp >= t (the end offset when there is none).
 */
export async function timestampOfOffset(offset: number, offsetAt: (t: number) => Promise<number>, from: number, to: number): Promise<number | undefined> {
  if ((await offsetAt(from)) > offset) return undefined;
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if ((await offsetAt(mid)) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Where MirrorMaker 2 stores a source partition's progress: its Connect offsets topic on the target. */
export const mirrorOffsetsTopic = (sourceAlias: string) => `mm2-offsets.${sourceAlias}.internal`;

/**
 * One record of the Connect offsets topic as the next source offset to copy, or undefined for records of
 * other connectors. Key `["MirrorSourceConnector",{"cluster","partition","topic"}]`, value `{"offset":n}`
 * with n the last copied offset; a null value (tombstone) forgets the partition.
 */
export function parseMirrorOffset(key: Buffer | null, value: Buffer | null): { topic: string; partition: number; next: number | undefined } | undefined {
  if (!key) return undefined;
  let parsedKey: unknown;
  try {
    parsedKey = JSON.parse(key.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsedKey) || parsedKey[0] !== 'MirrorSourceConnector') return undefined;
  const where = parsedKey[1] as { topic?: unknown; partition?: unknown };
  if (typeof where?.topic !== 'string' || typeof where.partition !== 'number') return undefined;
  if (!value) return { topic: where.topic, partition: where.partition, next: undefined };
  try {
    const offset = (JSON.parse(value.toString('utf8')) as { offset?: unknown }).offset;
    return typeof offset === 'number' ? { topic: where.topic, partition: where.partition, next: offset + 1 } : undefined;
  } catch {
    return undefined;
  }
}
