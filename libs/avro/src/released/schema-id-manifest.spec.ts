import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  RELEASED_ID_MAX,
  SchemaIdManifestError,
  assignSchemaIds,
  formatSchemaIdManifest,
  readSchemaIdManifest,
  releasedVersionsOf,
  schemaFingerprint,
  validateSchemaIdManifest,
} from './schema-id-manifest';

const record = (name: string, extra: object[] = []) => ({
  type: 'record',
  name,
  namespace: 'cn.tongban.test.v1',
  fields: [{ name: 'caseId', type: 'string' }, ...extra],
});
const aV1 = record('A');
const aV2 = record('A', [{ name: 'note', type: ['null', 'string'], default: null }]);
const bV1 = record('B');

describe('assigning schema ids from the released contracts', () => {
  it('numbers a first release by subject, oldest version first', () => {
    const m = assignSchemaIds(
      undefined,
      new Map([
        ['cn.tongban.test.v1.B', [bV1]],
        ['cn.tongban.test.v1.A', [aV1, aV2]],
      ]),
    );
    expect(m.schemas.map((e) => [e.id, e.subject, e.fingerprint])).toEqual([
      [1, 'cn.tongban.test.v1.A', schemaFingerprint(aV1)],
      [2, 'cn.tongban.test.v1.A', schemaFingerprint(aV2)],
      [3, 'cn.tongban.test.v1.B', schemaFingerprint(bV1)],
    ]);
  });

  it('keeps every id it gave and adds new versions after the highest', () => {
    const first = assignSchemaIds(
      undefined,
      new Map([
        ['cn.tongban.test.v1.B', [bV1]],
        ['cn.tongban.test.v1.A', [aV1]],
      ]),
    );
    const second = assignSchemaIds(
      first,
      new Map([
        ['cn.tongban.test.v1.B', [bV1]],
        ['cn.tongban.test.v1.A', [aV1, aV2]],
      ]),
    );
    expect(second.schemas.map((e) => [e.id, e.fingerprint])).toEqual([
      [1, schemaFingerprint(aV1)],
      [2, schemaFingerprint(bV1)],
      [3, schemaFingerprint(aV2)],
    ]);
  });

  it('keeps a schema that left the release, retired, and gives it its id back when it returns', () => {
    const first = assignSchemaIds(undefined, new Map([['cn.tongban.test.v1.A', [aV1]]]));
    const broken = assignSchemaIds(first, new Map([['cn.tongban.test.v1.A', [aV2]]]));
    expect(broken.schemas.map((e) => [e.id, e.retired ?? false])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(releasedVersionsOf(broken, 'cn.tongban.test.v1.A').map((e) => e.id)).toEqual([2]);
    const back = assignSchemaIds(broken, new Map([['cn.tongban.test.v1.A', [aV2, aV1]]]));
    expect(back.schemas.map((e) => [e.id, e.retired ?? false])).toEqual([
      [1, false],
      [2, false],
    ]);
  });

  it('writes a file it reads back, one entry per line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tongban-ids-'));
    try {
      const m = assignSchemaIds(undefined, new Map([['cn.tongban.test.v1.A', [aV1, aV2]]]));
      const text = formatSchemaIdManifest(m);
      expect(text.split('\n').filter((l) => l.includes('"fingerprint"'))).toHaveLength(2);
      writeFileSync(join(dir, 'schema-ids.json'), text);
      expect(readSchemaIdManifest(join(dir, 'schema-ids.json')).schemas).toEqual(m.schemas);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('validating a schema id manifest', () => {
  const entry = (id: unknown, schema: object = aV1, fingerprint = schemaFingerprint(schema)) => ({ id, subject: 'cn.tongban.test.v1.A', fingerprint, schema });
  const problems = (value: unknown): string[] => {
    try {
      validateSchemaIdManifest(value);
    } catch (e) {
      if (e instanceof SchemaIdManifestError) return e.problems;
      throw e;
    }
    return [];
  };

  it('accepts a well-formed manifest', () => {
    expect(problems({ schemas: [entry(1), entry(2, aV2)] })).toEqual([]);
  });

  it.each([
    ['no schemas array', { ids: [] }, /"schemas" array/],
    ['an id of 0', { schemas: [entry(0)] }, /id 0 is not a whole number from 1 to 999999/],
    ['an id in the registry-assigned range', { schemas: [entry(RELEASED_ID_MAX + 1)] }, /id 1000000 is not/],
    ['an id given twice', { schemas: [entry(1), entry(1, aV2)] }, /id 1 is given twice/],
    ['one schema under two ids', { schemas: [entry(1), entry(2)] }, /the schema of id 2 is also id 1/],
    ["a fingerprint that is not the schema's", { schemas: [entry(1, aV1, schemaFingerprint(aV2))] }, /does not match its schema/],
    ['an invalid schema', { schemas: [entry(1, { type: 'record', name: 'X', fields: [{ name: 'a', type: 'Nope' }] }, 'x')] }, /the schema is invalid/],
  ])('refuses %s', (_what, value, message) => {
    expect(problems(value).join('; ')).toMatch(message);
  });

  it('names the file it cannot read', () => {
    expect(() => readSchemaIdManifest('/nonexistent/schema-ids.json')).toThrow(/\/nonexistent\/schema-ids.json: cannot be read/);
  });
});
