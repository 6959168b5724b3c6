import { batchPath, BatchPathInput } from './batch-path';

describe('batchPath', () => {
  const two = [{}, {}];
  const base: BatchPathInput = { handler: true, level: 0, openHolds: 0, messages: two };

  it.each<[string, Partial<BatchPathInput>, string]>([
    ['inbox messages, no holds, a handler', {}, 'batch'],
    ['no batch handler', { handler: false }, 'one-by-one'],
    ['a retry topic', { level: 1 }, 'one-by-one'],
    ['a case of the partition batch held', { openHolds: 1 }, 'one-by-one'],
    ['a single message', { messages: [{}] }, 'one-by-one'],
    ['no message', { messages: [] }, 'one-by-one'],
    ["an operator's replay among them", { messages: [{}, { replayOf: 'inbox/0/12' }] }, 'one-by-one'],
  ])('%s', (_what, change, expected) => {
    expect(batchPath({ ...base, ...change })).toBe(expected);
  });
});
