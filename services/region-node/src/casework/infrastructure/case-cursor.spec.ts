import { decodeCursor, encodeCursor } from './case-cursor';

describe('case search cursor', () => {
  it('comes back as the cursor it was made from', () => {
    const c = { updatedAt: new Date('2026-11-30T04:01:02.345Z'), caseId: 'SUB-510104-2026-000123' };
    const token = encodeCursor(c);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(token)).toEqual(c);
  });

  it.each([
    ['not base64url', 'a b'],
    ['no separator', Buffer.from('2026-11-30T04:01:02.345Z').toString('base64url')],
    ['a date that is not one', Buffer.from('2026-13-45T99:01:02.345Z|SUB-1-2-3').toString('base64url')],
    ['a case id with characters no case id has', Buffer.from("2026-11-30T04:01:02.345Z|x' OR 1=1").toString('base64url')],
    ['empty', ''],
  ])('refuses %s', (_name, token) => {
    expect(decodeCursor(token)).toBeUndefined();
  });
});
