import { ownerOf, summarise } from './cpu-profile';

describe('CPU profile summary', () => {
  it('names who owns a script', () => {
    expect(ownerOf('file:///work/main/node_modules/mysql2/lib/packets/packet.js')).toBe('mysql2');
    expect(ownerOf('file:///work/main/node_modules/@opentelemetry/api/build/src/index.js')).toBe('@opentelemetry/api');
    expect(ownerOf('file:///work/main/dist/services/gateway/src/app.js')).toBe('tongban');
    expect(ownerOf('node:internal/streams/writable')).toBe('node');
    expect(ownerOf('')).toBe('(vm)');
  });

  it('adds self time per function and owner from the samples, idle left out of the shares', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', '') },
        { id: 2, callFrame: frame('(idle)', '') },
        { id: 3, callFrame: frame('parse', 'file:///r/node_modules/avsc/lib/types.js') },
        { id: 4, callFrame: frame('apply', 'file:///r/dist/services/region-node/src/apply.js') },
        { id: 5, callFrame: frame('(garbage collector)', '') },
      ],
      startTime: 0,
      endTime: 10_000_000,
      // 5 s idle, 3 s in avsc, 1 s in the project's code, 1 s collecting garbage (each sample lasts until the next one).
      samples: [2, 3, 4, 5, 1],
      timeDeltas: [0, 5_000_000, 3_000_000, 1_000_000, 1_000_000],
    };
    const s = summarise(profile);
    expect(s.seconds).toBe(10);
    expect(s.busyShare).toBe(0.5);
    expect(s.gcShare).toBe(0.2);
    expect(s.byOwner).toEqual([
      { owner: 'avsc', share: 0.6 },
      { owner: 'tongban', share: 0.2 },
      { owner: '(garbage collector)', share: 0.2 },
    ]);
    expect(s.top[0]).toEqual({ fn: 'parse', where: 'node_modules/avsc/lib/types.js:10', share: 0.6 });
  });
});
