import { copyHash } from './dead-letter-copy';

describe('copyHash', () => {
  const letter = {
    topic: 't.500000.inbox.dlq',
    key: Buffer.from('CASE-1'),
    value: Buffer.from([0, 0, 0, 0, 7, 1, 2]),
    headers: { 'tongban-error-code': 'STORE_UNAVAILABLE', 'tongban-last-failure-at': '2026-11-30T10:00:00.000Z' },
  };

  it('is the same for two copies of a letter, whatever the order of their headers', () => {
    const copy = {
      ...letter,
      key: Buffer.from('CASE-1'),
      headers: { 'tongban-last-failure-at': '2026-11-30T10:00:00.000Z', 'tongban-error-code': 'STORE_UNAVAILABLE' },
    };
    expect(copyHash(copy)).toBe(copyHash(letter));
    expect(copyHash(letter)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs for a later failure of the same message, another topic, key or value', () => {
    const seen = new Set([
      copyHash(letter),
      copyHash({ ...letter, headers: { ...letter.headers, 'tongban-last-failure-at': '2026-11-30T10:05:00.000Z' } }),
      copyHash({ ...letter, topic: 't.510000.inbox.dlq' }),
      copyHash({ ...letter, key: Buffer.from('CASE-2') }),
      copyHash({ ...letter, value: Buffer.from([0, 0, 0, 0, 7, 1, 3]) }),
    ]);
    expect(seen.size).toBe(5);
  });

  it('tells a missing key or value from an empty one, and a header boundary from a value', () => {
    expect(copyHash({ ...letter, key: null })).not.toBe(copyHash({ ...letter, key: Buffer.alloc(0) }));
    expect(copyHash({ ...letter, value: null })).not.toBe(copyHash({ ...letter, value: Buffer.alloc(0) }));
    expect(copyHash({ ...letter, headers: { ab: 'c' } })).not.toBe(copyHash({ ...letter, headers: { a: 'bc' } }));
  });
});
