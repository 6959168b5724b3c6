import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate, OUTPUT } from './generate-types';

const SCRIPT = join(__dirname, 'generate-types.js');
const run = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });

const envelope = {
  type: 'record',
  name: 'Envelope',
  namespace: 'cn.tongban.common.v1',
  doc: 'Envelope.',
  fields: [{ name: 'eventId', type: { type: 'string', logicalType: 'uuid' }, doc: 'Id.' }],
};
const grant = {
  type: 'record',
  name: 'Grant',
  namespace: 'cn.tongban.subsidy.v1',
  doc: 'A grant.',
  fields: [{ name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 }, pii: 'income', doc: 'Yuan.' }],
};
const event = {
  type: 'record',
  name: 'ThingHappened',
  namespace: 'cn.tongban.subsidy.v1',
  doc: 'Something happened; the comment must not close early */ here.',
  fields: [
    { name: 'envelope', type: 'cn.tongban.common.v1.Envelope', doc: 'Routing.' },
    { name: 'on', type: { type: 'int', logicalType: 'date' }, doc: 'Day.' },
    { name: 'at', type: ['null', { type: 'long', logicalType: 'timestamp-millis' }], default: null, doc: 'When.' },
    { name: 'grants', type: { type: 'array', items: 'Grant' }, doc: 'Grants, by short name in the same namespace.' },
    { name: 'byMonth', type: { type: 'map', values: ['null', 'cn.tongban.subsidy.v1.Grant'] }, doc: 'Grants by month.' },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'], doc: 'Kinds.' }, doc: 'Kind.' },
    {
      name: 'nested',
      type: { type: 'record', name: 'Nested', doc: 'Inline record.', fields: [{ name: 'count', type: 'int', doc: 'Count.' }] },
      doc: 'Nested.',
    },
    { name: 'idNumber', type: 'string', pii: 'id-number', format: 'id-number', doc: 'ID.' },
  ],
};

describe('generate-types', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'tongban-codegen-'));
    mkdirSync(join(root, 'common/v1'), { recursive: true });
    mkdirSync(join(root, 'subsidy/v1'), { recursive: true });
    writeFileSync(join(root, 'common/v1/Envelope.avsc'), JSON.stringify(envelope));
    writeFileSync(join(root, 'subsidy/v1/Grant.avsc'), JSON.stringify(grant));
    writeFileSync(join(root, 'subsidy/v1/ThingHappened.avsc'), JSON.stringify(event));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('maps logical types to strings, nullable unions to T | null, arrays, maps, enums and inline records', () => {
    const text = generate(root);
    expect(text).toContain('export interface ThingHappenedPayload {\n');
    expect(text).toContain('  on: string;\n');
    expect(text).toContain('  at: string | null;\n');
    expect(text).toContain('  grants: Grant[];\n');
    expect(text).toContain('  byMonth: Record<string, Grant | null>;\n');
    expect(text).toContain("export type Kind = 'A' | 'B';\n");
    expect(text).toContain('  kind: Kind;\n');
    expect(text).toContain('export interface Nested {\n  /** Count. */\n  count: number;\n}\n');
    expect(text).toContain('  amount: string;\n');
    expect(text).toContain('export interface ThingHappened extends ThingHappenedPayload {');
    expect(text).not.toMatch(/interface ThingHappenedPayload \{[^}]*envelope/);
  });

  it('turns docs and markings into TSDoc without letting a doc close the comment', () => {
    const text = generate(root);
    expect(text).toContain('   * ID.\n   * Personal data: `id-number`. Format: `id-number`.\n');
    expect(text).toContain('Date `YYYY-MM-DD`.');
    expect(text).toContain('close early *\\/ here');
  });

  it('lists the events with their workflows', () => {
    const text = generate(root);
    expect(text).toContain('export interface EventPayloads {\n  ThingHappened: ThingHappenedPayload;\n}');
    expect(text).toContain("export const EVENT_TYPES: readonly EventType[] = [\n  'ThingHappened',\n];");
    expect(text).toContain("export const EVENT_WORKFLOWS: Record<EventType, EventWorkflow> = {\n  ThingHappened: 'subsidy',\n};");
  });

  it('gives the same text on every run', () => {
    expect(generate(root)).toBe(generate(root));
  });

  it('refuses two types with the same short name', () => {
    const clash = mkdtempSync(join(tmpdir(), 'tongban-codegen-clash-'));
    try {
      mkdirSync(join(clash, 'a/v1'), { recursive: true });
      writeFileSync(join(clash, 'a/v1/Grant.avsc'), JSON.stringify(grant));
      writeFileSync(join(clash, 'a/v1/Grant2.avsc'), JSON.stringify({ ...grant, namespace: 'cn.tongban.funeral.v1' }));
      expect(() => generate(clash)).toThrow(/two types are named Grant/);
    } finally {
      rmSync(clash, { recursive: true, force: true });
    }
  });

  it('--check fails naming the stale file, and passes once regenerated', () => {
    const out = join(root, 'events.ts');
    writeFileSync(out, '// old\n');
    const stale = run('--check', '--contracts', root, '--out', out);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain('events.ts is stale');

    expect(run('--contracts', root, '--out', out).status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(generate(root));
    expect(run('--check', '--contracts', root, '--out', out).status).toBe(0);
  });

  it('keeps libs/avro/src/generated/events.ts up to date with contracts/avro', () => {
    const result = run('--check');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readFileSync(OUTPUT, 'utf8')).toBe(generate());
  });
});
