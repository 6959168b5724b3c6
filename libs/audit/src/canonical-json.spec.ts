import { canonicalJson } from './canonical-json';
import { entryHash, GENESIS_HASH } from './audit-log';

describe('canonicalJson', () => {
  it.each([
    [{ b: 1, a: 2 }, '{"a":2,"b":1}'],
    [{ a: { d: [1, { z: 1, y: 2 }], c: undefined } }, '{"a":{"d":[1,{"y":2,"z":1}]}}'],
    [[undefined, null], '[null,null]'],
    [new Date('2026-01-02T03:04:05.678Z'), '"2026-01-02T03:04:05.678Z"'],
    ['李秀英', '"李秀英"'],
  ])('writes %j as %s', (value, text) => {
    expect(canonicalJson(value)).toBe(text);
  });
});

describe('entryHash', () => {
  const content = {
    chain: 'main',
    seq: 1,
    entryId: '00000000-0000-4000-8000-000000000000',
    at: '2026-01-02T03:04:05.678Z',
    actor: 'alice',
    actorKind: 'operator' as const,
    action: 'dlq.replay',
    subject: { messages: [], cases: [], persons: [], regions: [] },
    details: { a: 1 },
    before: null,
    after: null,
  };

  it('does not depend on key order', () => {
    expect(entryHash(GENESIS_HASH, content)).toBe(entryHash(GENESIS_HASH, { ...content, details: { a: 1 } }));
  });

  it('changes with the content and with the previous hash', () => {
    const base = entryHash(GENESIS_HASH, content);
    expect(entryHash(GENESIS_HASH, { ...content, actor: 'bob' })).not.toBe(base);
    expect(entryHash('1'.repeat(64), content)).not.toBe(base);
  });
});
