import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main as check } from './check';
import { main as release } from './release';

const SUBJECT = 'cn.tongban.subsidy.v1.SubsidyApplicationSubmitted';

/** A contracts folder with the envelope and one event whose extra fields are `fields`. */
function contracts(root: string, fields: object[]): void {
  mkdirSync(join(root, 'avro/common/v1'), { recursive: true });
  mkdirSync(join(root, 'avro/subsidy/v1'), { recursive: true });
  writeFileSync(
    join(root, 'avro/common/v1/Envelope.avsc'),
    JSON.stringify({ type: 'record', name: 'Envelope', namespace: 'cn.tongban.common.v1', fields: [{ name: 'eventId', type: 'string' }] }),
  );
  writeFileSync(
    join(root, 'avro/subsidy/v1/SubsidyApplicationSubmitted.avsc'),
    JSON.stringify({
      type: 'record',
      name: 'SubsidyApplicationSubmitted',
      namespace: 'cn.tongban.subsidy.v1',
      fields: [{ name: 'envelope', type: 'cn.tongban.common.v1.Envelope' }, ...fields],
    }),
  );
}

function run(main: (argv: string[], out: (line: string) => void) => number, argv: string[]): { code: number; output: string } {
  const lines: string[] = [];
  const code = main(argv, (line) => lines.push(line));
  return { code, output: lines.join('\n') };
}

describe('contracts check and release', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tongban-contracts-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reports a subject without a released version as new, not as an error', () => {
    contracts(root, [{ name: 'grade', type: 'string' }]);
    const { code, output } = run(check, [root]);
    expect(code).toBe(0);
    expect(output).toBe(`contracts: 0 compatible, 1 new (not released yet: ${SUBJECT}), 0 breaking`);
  });

  it('releases the self-contained schema and FULL_TRANSITIVE for events', () => {
    contracts(root, [{ name: 'grade', type: 'string' }]);
    expect(run(release, [root]).code).toBe(0);
    const released = JSON.parse(readFileSync(join(root, `released/${SUBJECT}.avsc`), 'utf8'));
    expect(released.fields[0].type).toMatchObject({ type: 'record', name: 'cn.tongban.common.v1.Envelope' });
    const modes = JSON.parse(readFileSync(join(root, 'released/compatibility.json'), 'utf8'));
    expect(modes).toMatchObject({ default: 'BACKWARD', subjects: { [SUBJECT]: 'FULL_TRANSITIVE' } });
    expect(run(check, [root])).toEqual({ code: 0, output: 'contracts: 1 compatible, 0 new, 0 breaking' });
  });

  it('accepts a field added with a default', () => {
    contracts(root, [{ name: 'grade', type: 'string' }]);
    run(release, [root]);
    contracts(root, [
      { name: 'grade', type: 'string' },
      { name: 'note', type: ['null', 'string'], default: null },
    ]);
    expect(run(check, [root]).code).toBe(0);
  });

  it('names the subject, field and reason of a breaking change, and release refuses it', () => {
    contracts(root, [{ name: 'grade', type: 'string' }]);
    run(release, [root]);
    contracts(root, [
      { name: 'grade', type: 'string' },
      { name: 'note', type: 'string' },
    ]);
    const { code, output } = run(check, [root]);
    expect(code).toBe(1);
    expect(output).toContain(`BREAKING ${SUBJECT} (FULL_TRANSITIVE): /fields/note: reader field has no default and the writer lacks it`);
    expect(run(release, [root]).code).toBe(1);
    expect(run(release, [root, '--force']).code).toBe(0);
    expect(run(check, [root]).code).toBe(0);
  });

  it('checks against every released version under a transitive mode', () => {
    contracts(root, [{ name: 'z', type: 'int' }]);
    run(release, [root]);
    contracts(root, [{ name: 'z', type: 'int', default: 0 }]);
    expect(run(release, [root]).code).toBe(0);
    expect(existsSync(join(root, `released/history/${SUBJECT}/v1.avsc`))).toBe(true);
    // Dropping z: the latest release reads it (z has a default there), the first does not.
    contracts(root, []);
    const { code, output } = run(check, [root]);
    expect(code).toBe(1);
    expect(output).toContain('/fields/z: reader field has no default and the writer lacks it (released v1 reading data written by the new schema)');

    const modesFile = join(root, 'released/compatibility.json');
    const modes = JSON.parse(readFileSync(modesFile, 'utf8'));
    writeFileSync(modesFile, JSON.stringify({ ...modes, subjects: { [SUBJECT]: 'FULL' } }));
    expect(run(check, [root]).code).toBe(0);
  });

  it('reports an event that left the contracts', () => {
    contracts(root, [{ name: 'grade', type: 'string' }]);
    run(release, [root]);
    rmSync(join(root, 'avro/subsidy'), { recursive: true });
    const { code, output } = run(check, [root]);
    expect(code).toBe(1);
    expect(output).toContain(`BREAKING ${SUBJECT}: released, but no longer in contracts/avro`);
  });

  it('names a bad mode in compatibility.json', () => {
    contracts(root, [{ name: 'grade', type: 'string' }]);
    run(release, [root]);
    writeFileSync(join(root, 'released/compatibility.json'), JSON.stringify({ default: 'SIDEWAYS', subjects: {} }));
    expect(run(check, [root])).toMatchObject({ code: 1, output: expect.stringContaining('default mode "SIDEWAYS" is not a compatibility mode') });
  });

  describe('schema ids', () => {
    const ids = () =>
      JSON.parse(readFileSync(join(root, 'released/schema-ids.json'), 'utf8')) as { schemas: Array<{ id: number; subject: string; retired?: boolean }> };

    it('gives every released version a fixed id, keeping it across releases', () => {
      contracts(root, [{ name: 'grade', type: 'string' }]);
      run(release, [root]);
      expect(ids().schemas.map((e) => [e.id, e.subject])).toEqual([[1, SUBJECT]]);
      contracts(root, [
        { name: 'grade', type: 'string' },
        { name: 'note', type: ['null', 'string'], default: null },
      ]);
      expect(run(release, [root]).output).toContain('2 released schema version(s) hold fixed ids');
      expect(ids().schemas.map((e) => e.id)).toEqual([1, 2]);
      expect(run(check, [root]).code).toBe(0);
    });

    it('retires, never drops, the id of a version a forced break removed', () => {
      contracts(root, [{ name: 'grade', type: 'string' }]);
      run(release, [root]);
      contracts(root, [{ name: 'grade', type: 'int' }]);
      expect(run(release, [root, '--force']).code).toBe(0);
      expect(ids().schemas.map((e) => [e.id, e.retired ?? false])).toEqual([
        [1, true],
        [2, false],
      ]);
      expect(run(check, [root]).code).toBe(0);
    });

    it('fails the check when a released version has no id or the manifest is missing', () => {
      contracts(root, [{ name: 'grade', type: 'string' }]);
      run(release, [root]);
      const file = join(root, 'released/schema-ids.json');
      writeFileSync(file, JSON.stringify({ schemas: [] }));
      expect(run(check, [root])).toMatchObject({
        code: 1,
        output: expect.stringContaining(`SCHEMA IDS: ${SUBJECT}: released v1 has no schema id; run npm run contracts:release`),
      });
      rmSync(file);
      expect(run(check, [root])).toMatchObject({ code: 1, output: expect.stringContaining('contracts/released has no schema-ids.json') });
    });

    it('with --ids-only gives the released versions ids without releasing the current schemas', () => {
      contracts(root, [{ name: 'grade', type: 'string' }]);
      run(release, [root]);
      rmSync(join(root, 'released/schema-ids.json'));
      contracts(root, [
        { name: 'grade', type: 'string' },
        { name: 'note', type: ['null', 'string'], default: null },
      ]);
      expect(run(release, [root, '--ids-only']).code).toBe(0);
      expect(ids().schemas.map((e) => e.id)).toEqual([1]);
      expect(existsSync(join(root, `released/history/${SUBJECT}`))).toBe(false);
      expect(run(check, [root]).code).toBe(0);
    });

    it('fails the check when an id names a schema that is not released', () => {
      contracts(root, [{ name: 'grade', type: 'string' }]);
      run(release, [root]);
      const file = join(root, 'released/schema-ids.json');
      const manifest = ids();
      (manifest.schemas[0] as { subject: string }).subject = 'cn.tongban.subsidy.v1.Other';
      writeFileSync(file, JSON.stringify(manifest));
      const { code, output } = run(check, [root]);
      expect(code).toBe(1);
      expect(output).toContain('cn.tongban.subsidy.v1.Other: id 1 names a schema that is not released');
    });
  });
});
