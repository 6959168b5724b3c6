import { caseSearchFrom, searchQueryFrom } from './case-query';

describe('case queries at the gateway', () => {
  it('passes on a cursor and updatedSince for paging', () => {
    expect(searchQueryFrom({ limit: '2', cursor: 'MjAyNi0xMS0zMFQwNDowMTowMi4zNDVafFNVQi0x', updatedSince: '2026-11-30T00:00:00Z' })).toEqual({
      ok: true,
      value: { limit: '2', cursor: 'MjAyNi0xMS0zMFQwNDowMTowMi4zNDVafFNVQi0x', updatedSince: '2026-11-30T00:00:00Z' },
    });
    expect(caseSearchFrom({ person: '500111196804170022', updatedSince: '2026-11-30T08:00:00+08:00' }).ok).toBe(true);
  });

  it('passes on only workflow, state and limit', () => {
    expect(searchQueryFrom({ workflow: 'disability-subsidy', state: 'under-review', limit: '10' })).toEqual({
      ok: true,
      value: { workflow: 'disability-subsidy', state: 'under-review', limit: '10' },
    });
  });

  it.each([
    ['office', { office: 'CQ-HTZ' }, 'is not a parameter'],
    ['viewer', { viewer: '512021' }, 'is not a parameter'],
    ['person', { person: '500111196804170022' }, 'POST /v1/cases:search'],
    ['a repeated parameter', { state: ['a', 'b'] }, 'once'],
    ['a state with SQL in it', { state: "x' OR 1=1" }, 'state name'],
    ['a cursor with other characters', { cursor: "x' OR 1=1" }, 'nextCursor'],
    ['a time without its offset', { updatedSince: '2026-11-30T00:00:00' }, 'with its offset'],
  ])('refuses %s in the query string', (_what, query, problem) => {
    const r = searchQueryFrom(query as Record<string, unknown>);
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).toContain(problem);
  });

  it('takes the person from the body of a search', () => {
    expect(caseSearchFrom({ person: '500111196804170022', limit: 5 })).toEqual({ ok: true, value: { person: '500111196804170022', limit: 5 } });
  });

  it.each([
    ['a viewer', { viewer: '500000' }, 'is not a field'],
    ['a person that is no ID number', { person: '5001' }, '18-character'],
    ['a limit out of range', { limit: 5000 }, '1 to 500'],
    ['an array', [], 'JSON object'],
  ])('refuses %s in a search body', (_what, body, problem) => {
    const r = caseSearchFrom(body);
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).toContain(problem);
  });
});
