import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, TongbanError } from '@tongban/errors';
import { problemDetails, problemOf, problemType, STATUS_OF_KIND } from './problem-details';

const README = join(__dirname, '..', '..', '..', 'README.md');
const BEGIN = '<!-- error-codes:begin (checked by libs/http/src/problem-details.spec.ts) -->';
const END = '<!-- error-codes:end -->';

/** The README's table of codes, as ERROR_CODES and the kinds' statuses make it. */
function errorCodesTable(): string {
  const rows = Object.entries(ERROR_CODES).map(
    ([code, e]) => `| \`${code}\` | ${e.kind} | ${STATUS_OF_KIND[e.kind]} | ${problemType(code)} | \`${e.legacy}\` | ${e.title} |`,
  );
  return ['| code | kind | status | `type` | `error.code` (deprecated) | meaning |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

describe('problem types', () => {
  it.each([
    ['REQUEST.INVALID', 'https://tongban.example/problems/request/invalid'],
    ['AUTH.FORBIDDEN_REGION', 'https://tongban.example/problems/auth/forbidden-region'],
    ['OPS.TOO_MANY_BULK_REPLAYS', 'https://tongban.example/problems/ops/too-many-bulk-replays'],
  ])('names %s %s', (code, type) => expect(problemType(code)).toBe(type));

  it('gives each code its own type', () => {
    const types = Object.keys(ERROR_CODES).map(problemType);
    expect(new Set(types).size).toBe(types.length);
  });
});

describe('problem bodies', () => {
  it('carry the RFC 9457 members, the code and the deprecated error member', () => {
    expect(problemDetails({ code: 'CASE.NOT_FOUND', detail: 'case SUB-1 not found' })).toEqual({
      type: 'https://tongban.example/problems/case/not-found',
      title: ERROR_CODES['CASE.NOT_FOUND'].title,
      status: 404,
      detail: 'case SUB-1 not found',
      code: 'CASE.NOT_FOUND',
      error: { code: 'NOT_FOUND', message: 'case SUB-1 not found', details: [] },
    });
  });

  it('keep a status and a flat code the occurrence gives', () => {
    expect(problemDetails({ code: 'REQUEST.REFUSED', detail: 'no', status: 405, legacyCode: 'HTTP_405' })).toMatchObject({
      status: 405,
      error: { code: 'HTTP_405' },
    });
  });

  it("take a TongbanError's kind and flat code", () => {
    const e = new TongbanError('AVRO.REGISTRY_REFUSED', 'refused', false, { kind: 'NotFound', legacyCode: 'REGISTRY_40401' });
    expect(problemOf(e)).toMatchObject({ status: 404, code: 'AVRO.REGISTRY_REFUSED', error: { code: 'REGISTRY_40401' } });
    expect(problemOf(e)).not.toHaveProperty('problems');
  });
});

describe('the README', () => {
  it('lists every error code, as the registry has it', () => {
    const text = readFileSync(README, 'utf8');
    const begin = text.indexOf(BEGIN);
    const end = text.indexOf(END, begin);
    expect(begin).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(begin);
    // On a difference, the expected side is the table to paste between the markers.
    expect(text.slice(begin + BEGIN.length, end).trim()).toBe(errorCodesTable());
  });
});
