import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ERROR_CODE_PATTERN, ERROR_CODES, ERROR_KINDS, errorCodeEntry } from './codes';
import { TongbanError, UnavailableError, ValidationError } from './tongban-error';

const ROOT = join(__dirname, '..', '..', '..');

/** The TypeScript sources that ship: libs, services and tools, without specs and test helpers. */
function sources(): Array<{ file: string; text: string }> {
  const out: Array<{ file: string; text: string }> = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name === 'generated') continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.testing.ts') && !name.endsWith('.d.ts')) {
        out.push({ file: relative(ROOT, path), text: readFileSync(path, 'utf8') });
      }
    }
  };
  for (const top of ['libs', 'services', 'tools']) {
    for (const project of readdirSync(join(ROOT, top))) {
      const src = join(ROOT, top, project, top === 'tools' ? '' : 'src');
      if (statSync(join(ROOT, top, project)).isDirectory()) walk(src);
    }
  }
  return out;
}

/** Codes a source gives a TongbanError: `new TongbanError('X'`, `super('X'` in a direct subclass, and any `'AREA.REASON'` literal. */
function codesIn(text: string): string[] {
  const found = new Set<string>();
  for (const [, c] of text.matchAll(/new TongbanError\(\s*['`]([^'`$]+)['`]/g)) found.add(c);
  for (const cls of text.split(/\bclass\s+/).filter((c) => /^\w+\s+extends\s+TongbanError\b/.test(c))) {
    for (const [, c] of cls.matchAll(/\bsuper\(\s*['`]([^'`$]+)['`]/g)) found.add(c);
  }
  for (const [, c] of text.matchAll(/['`]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*\.[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)['`]/g)) found.add(c);
  return [...found];
}

describe('the error codes', () => {
  it.each(Object.entries(ERROR_CODES))('%s reads <AREA>.<REASON> and has a kind, a title and a flat code', (code, entry) => {
    expect(code).toMatch(ERROR_CODE_PATTERN);
    expect(ERROR_KINDS).toContain(entry.kind);
    expect(entry.title.length).toBeGreaterThan(0);
    expect(entry.legacy).toMatch(/^[A-Z][A-Z0-9_.]*$/);
  });

  it('lists every code the sources throw, and no code they do not', () => {
    const files = sources().filter(({ file }) => !file.endsWith(join('errors', 'src', 'codes.ts')));
    const unlisted = files.flatMap(({ file, text }) =>
      codesIn(text)
        .filter((c) => !errorCodeEntry(c))
        .map((c) => `${file}: ${c}`),
    );
    expect(unlisted).toEqual([]);
    const used = new Set(files.flatMap(({ text }) => codesIn(text)));
    expect(Object.keys(ERROR_CODES).filter((c) => !used.has(c))).toEqual([]);
  });

  it('finds the codes a source gives', () => {
    const text = [
      "class A extends TongbanError { constructor() { super('FLAT_CODE', 'm'); } }",
      "class B extends CaseRuleError { constructor() { super('RULE_CODE', 'm', 'OTHER'); } }",
      "throw new TongbanError('X.Y', 'm');",
      "throw new NotFoundError('no', 'CASE.NOT_FOUND');",
    ].join('\n');
    expect(codesIn(text).sort()).toEqual(['CASE.NOT_FOUND', 'FLAT_CODE', 'X.Y']);
  });
});

describe('TongbanError', () => {
  it('takes its kind and flat code from the registry', () => {
    const e = new TongbanError('DELIVERY.NOT_PARKED', 'delivery 7 is sent');
    expect(e).toMatchObject({ code: 'DELIVERY.NOT_PARKED', kind: 'Conflict', legacyCode: 'CONFLICT', retriable: false, name: 'TongbanError' });
  });

  it('gives an unregistered code a kind by its retriable flag, and keeps it as the flat code', () => {
    expect(new TongbanError('STORE_UNAVAILABLE', 'no store', true)).toMatchObject({ kind: 'Unavailable', legacyCode: 'STORE_UNAVAILABLE' });
    expect(new TongbanError('ILLEGAL_TRANSITION', 'no')).toMatchObject({ kind: 'Internal', legacyCode: 'ILLEGAL_TRANSITION' });
  });

  it('lets an occurrence say its kind and flat code, and keeps its cause', () => {
    const cause = new Error('socket hang up');
    const e = new TongbanError('AVRO.REGISTRY_REFUSED', 'refused', false, { legacyCode: 'REGISTRY_40401', kind: 'NotFound', cause });
    expect(e).toMatchObject({ kind: 'NotFound', legacyCode: 'REGISTRY_40401' });
    expect(e.cause).toBe(cause);
  });

  it.each([
    ['a ValidationError', new ValidationError([{ path: 'a', problem: 'b' }]), 'REQUEST.INVALID', 'Invalid', 'VALIDATION_FAILED'],
    [
      'a ValidationError of an area',
      new ValidationError([{ path: 'a', problem: 'b' }], 'bad binding', 'AUTH.BINDING_INVALID'),
      'AUTH.BINDING_INVALID',
      'Invalid',
      'VALIDATION_FAILED',
    ],
    ['an UnavailableError', new UnavailableError('MySQL'), 'DEPENDENCY.UNAVAILABLE', 'Unavailable', 'DEPENDENCY_UNAVAILABLE'],
  ])('%s has code %s, kind %s and flat code %s', (_what, e, code, kind, legacy) => {
    expect(e).toMatchObject({ code, kind, legacyCode: legacy });
  });
});
