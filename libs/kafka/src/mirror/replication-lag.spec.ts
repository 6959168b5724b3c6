import { directionLag, nextToCopy, parseMirrorOffset, partitionLag, timestampOfOffset } from './replication-lag';

const at = (p: Partial<Parameters<typeof partitionLag>[0]>) => ({ topic: 'tongban.500000.inbox', partition: 0, sourceStart: 0, sourceEnd: 0, ...p });

describe('replication lag', () => {
  it.each([
    // sourceStart, sourceEnd, mirroredNext -> next to copy
    [0, 0, undefined, 0],
    [0, 10, undefined, 0],
    [0, 10, 4, 4],
    [0, 10, 10, 10],
    [5, 10, 2, 5], // records 2..4 were deleted by retention before they were copied
    [0, 10, 12, 10], // a stored offset past the end (topic re-created) waits for nothing
  ])('copies next from start %i, end %i, mirrored %p: %i', (sourceStart, sourceEnd, mirroredNext, expected) => {
    expect(nextToCopy({ sourceStart, sourceEnd, mirroredNext })).toBe(expected);
  });

  it('counts waiting records and the age of the oldest one per partition', () => {
    expect(partitionLag(at({ sourceEnd: 10, mirroredNext: 7, oldestWaitingAt: 1_000 }), 5_000)).toEqual({
      topic: 'tongban.500000.inbox',
      partition: 0,
      messages: 3,
      oldestAgeMs: 4_000,
    });
    expect(partitionLag(at({ sourceEnd: 10, mirroredNext: 10, oldestWaitingAt: 1_000 }), 5_000)).toMatchObject({ messages: 0, oldestAgeMs: 0 });
  });

  it('sums the messages and takes the oldest age over a direction', () => {
    const lag = directionLag(
      'sichuan',
      'chongqing',
      [
        at({ sourceEnd: 10, mirroredNext: 7, oldestWaitingAt: 3_000 }),
        at({ partition: 1, sourceEnd: 4, mirroredNext: 2, oldestWaitingAt: 1_000 }),
        at({ partition: 2, sourceEnd: 9, mirroredNext: 9 }),
      ],
      6_000,
    );
    expect(lag).toMatchObject({ source: 'sichuan', target: 'chongqing', messages: 5, oldestAgeMs: 5_000 });
    expect(lag.partitions).toHaveLength(3);
  });

  it('finds the time of a record by binary search over offsets by time', async () => {
    const times = [100, 100, 250, 400, 400, 400, 900];
    const offsetAt = async (t: number) => {
      const i = times.findIndex((ts) => ts >= t);
      return i < 0 ? times.length : i;
    };
    for (const [offset, expected] of [
      [0, 100],
      [2, 250],
      [3, 400],
      [5, 400],
      [6, 900],
    ] as const) {
      await expect(timestampOfOffset(offset, offsetAt, 0, 1_000)).resolves.toBe(expected);
    }
  });

  it('reads MirrorMaker 2 progress from its Connect offsets records and ignores other connectors', () => {
    const key = (o: unknown) => Buffer.from(JSON.stringify(o));
    const k = key(['MirrorSourceConnector', { cluster: 'sichuan', partition: 2, topic: 'tongban.500000.inbox' }]);
    expect(parseMirrorOffset(k, Buffer.from('{"offset":41}'))).toEqual({ topic: 'tongban.500000.inbox', partition: 2, next: 42 });
    expect(parseMirrorOffset(k, null)).toEqual({ topic: 'tongban.500000.inbox', partition: 2, next: undefined });
    expect(parseMirrorOffset(key(['MirrorHeartbeatConnector', { sourceClusterAlias: 'sichuan' }]), Buffer.from('{"offset":1}'))).toBeUndefined();
    expect(parseMirrorOffset(Buffer.from('not json'), Buffer.from('{}'))).toBeUndefined();
  });
});
