import { compareIndex } from './index-coverage';

describe('compareIndex', () => {
  const a = ['h1', 'CASE-1'] as const;
  const b = ['h2', 'CASE-1'] as const;
  const c = ['h1', 'CASE-2'] as const;

  it.each([
    ['the same rows', [a, b], [b, a], [], []],
    ['a row recorded twice', [a, a, b], [a, b], [], []],
    ['a deleted row', [a, b, c], [a, c], [b], []],
    ['a row added behind the chain', [a], [a, c], [], [c]],
    ['nothing at all', [], [], [], []],
  ] as const)('%s', (_name, recorded, present, missing, unrecorded) => {
    const result = compareIndex(recorded, present);
    expect(result).toEqual({ ok: missing.length === 0 && unrecorded.length === 0, missing, unrecorded });
  });
});
