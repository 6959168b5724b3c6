import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import * as avro from 'avsc';
import { SchemaCatalogue, avroOptions } from '@tongban/avro';
import { DivisionCatalogue, SERVICE_OFFICES, formatCheckers, parseDisabilityCertificate, parseIdNumber } from '@tongban/regions';
import { EventBody, exampleBody, exampleTypes } from '../contracts/examples';

/**
 * The contracts as a whole: every schema parses and is documented, every event has an example that
 * goes through its schema, and personal data is marked so that validation, masking and minimisation
 * (which read the markings) see all of it.
 */
type Json = Record<string, unknown>;

const CONTRACTS = join(__dirname, '../../contracts');
const AVRO = join(CONTRACTS, 'avro');

const PII = ['id-number', 'name', 'phone', 'address', 'birth-date', 'health', 'account', 'income', 'property', 'free-text'];
const FORMATS = ['id-number', 'division-code', 'disability-certificate', 'uscc', 'phone', 'office-id', 'year-month'];

function walk(dir: string, ext: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return walk(path, ext);
      return name.endsWith(ext) ? [path] : [];
    });
}

const files = walk(AVRO, '.avsc').map((file) => ({
  file: relative(AVRO, file),
  schema: JSON.parse(readFileSync(file, 'utf8')) as Json,
}));
const catalogue = new SchemaCatalogue(AVRO);

interface FieldInfo {
  /** `cn.tongban.common.v1.PersonRef.idNumber` */
  where: string;
  record: string;
  field: Json;
}

/** Every named type (inline ones included) and every field of every record, as written in the files. */
function inventory(): { named: Array<{ where: string; node: Json }>; fields: FieldInfo[]; primitives: Array<{ where: string; node: unknown }> } {
  const named: Array<{ where: string; node: Json }> = [];
  const fields: FieldInfo[] = [];
  const primitives: Array<{ where: string; node: unknown }> = [];
  const visit = (node: unknown, namespace: string | undefined, where: string): void => {
    if (typeof node === 'string') return void primitives.push({ where, node });
    if (Array.isArray(node)) return node.forEach((n) => visit(n, namespace, where));
    if (!node || typeof node !== 'object') return;
    const n = node as Json;
    if (['record', 'enum', 'fixed'].includes(n.type as string)) {
      const name = String(n.name);
      const ns = (n.namespace as string | undefined) ?? namespace;
      const full = name.includes('.') ? name : `${ns}.${name}`;
      named.push({ where: full, node: n });
      for (const f of (n.fields as Json[] | undefined) ?? []) {
        fields.push({ where: `${full}.${String(f.name)}`, record: full, field: f });
        visit(f.type, full.slice(0, full.lastIndexOf('.')), `${full}.${String(f.name)}`);
      }
      return;
    }
    primitives.push({ where, node: n });
    if (n.type === 'array') visit(n.items, namespace, where);
    else if (n.type === 'map') visit(n.values, namespace, where);
    else visit(n.type, namespace, where);
  };
  for (const { file, schema } of files) visit(schema, undefined, file);
  return { named, fields, primitives };
}
const { named, fields, primitives } = inventory();

describe('schemas', () => {
  it('finds the events of every workflow', () => {
    const workflows = new Set(catalogue.allEvents().map((e) => e.workflow));
    expect([...workflows].sort()).toEqual(['common', 'economiccheck', 'funeral', 'marriage', 'subsidy']);
    expect(catalogue.eventTypes().length).toBeGreaterThanOrEqual(39);
  });

  it.each(files.map((f) => [f.file, f.schema]))('%s defines one named type, named like its file, that Avro accepts', (file, schema) => {
    const s = schema as Json;
    expect(basename(file, '.avsc')).toBe(s.name);
    expect(s.namespace).toMatch(/^cn\.tongban\.[a-z]+\.v\d+$/);
    expect(file.split('/').slice(0, 2)).toEqual([String(s.namespace).split('.')[2], `v${String(s.namespace).split('.')[3].slice(1)}`]);
    const inlined = catalogue.inline(`${String(s.namespace)}.${String(s.name)}`);
    expect(() => avro.Type.forSchema(inlined as avro.Schema, avroOptions())).not.toThrow();
  });

  it('names events in PascalCase', () => {
    for (const type of catalogue.eventTypes()) expect(type).toMatch(/^[A-Z][a-zA-Z]+$/);
  });

  it('documents every record, enum and field', () => {
    const undocumented = [
      ...named.filter(({ node }) => typeof node.doc !== 'string' || !node.doc.trim()).map(({ where }) => where),
      ...fields.filter(({ field }) => typeof field.doc !== 'string' || !(field.doc as string).trim()).map(({ where }) => where),
    ];
    expect(undocumented).toEqual([]);
  });

  it('never uses floating point', () => {
    const floats = primitives.filter(({ node }) => node === 'float' || node === 'double').map(({ where }) => where);
    expect(floats).toEqual([]);
  });

  it('keeps money and other decimals as bytes with precision 12 and scale 2', () => {
    const decimals = primitives.filter(({ node }) => (node as Json)?.logicalType === 'decimal');
    expect(decimals.length).toBeGreaterThan(0);
    for (const { where, node } of decimals) expect([where, node]).toEqual([where, { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 }]);
  });

  it('makes optional fields nullable with a null default', () => {
    for (const { where, field } of fields) {
      if (Array.isArray(field.type) && field.type.includes('null')) {
        expect([where, field.type[0], field.default]).toEqual([where, 'null', null]);
      }
    }
  });

  it('uses only the known pii and format markings', () => {
    for (const { where, field } of fields) {
      if (field.pii !== undefined) expect([where, PII]).toEqual([where, expect.arrayContaining([field.pii])]);
      if (field.format !== undefined) expect([where, FORMATS]).toEqual([where, expect.arrayContaining([field.format])]);
    }
  });
});

describe('personal data markings', () => {
  // [field name pattern, expected pii, expected format, fields the rule does not concern]
  const rules: Array<[RegExp, string | undefined, string | undefined, string[]]> = [
    [/^idNumber$|IdNumber$/, 'id-number', 'id-number', []],
    [/^name$|^holderName$/, 'name', undefined, ['cn.tongban.common.v1.OrganisationRef.name']],
    [/phone$/i, 'phone', 'phone', []],
    [/^detail$|address$/i, 'address', undefined, []],
    [/birthDate$/i, 'birth-date', undefined, []],
    [/^accountNumber$|^account$/, 'account', undefined, []],
    [/income$|amount$/i, 'income', undefined, []],
    [/^hardshipStatus$/, 'income', undefined, []],
    [/^disability(Category|Grade)$/, 'health', undefined, []],
    [/^causeOfDeath$/, 'health', undefined, []],
    [/^(propertyCount|propertyArea|vehicleCount|businessCount|depositTotal)$/, 'property', undefined, []],
    [/^(reasonText|note|instructions)$/, 'free-text', undefined, []],
    [/(Division|Region)$|^division$/, undefined, 'division-code', []],
    [/^uscc$/, undefined, 'uscc', []],
    [/^(sourceOffice|registeringOffice|mustActOffice)$/, undefined, 'office-id', []],
    [/Month/, undefined, 'year-month', []],
  ];

  it.each(rules.map((r) => [String(r[0]), ...r.slice(1)]))('marks fields matching %s with pii %s and format %s', (pattern, pii, format) => {
    const rule = rules.find((r) => String(r[0]) === pattern)!;
    const concerned = fields.filter(({ where, field }) => rule[0].test(String(field.name)) && !rule[3].includes(where));
    expect(concerned.length).toBeGreaterThan(0);
    for (const { where, field } of concerned) {
      if (pii) expect(`${where} pii=${String(field.pii)}`).toBe(`${where} pii=${String(pii)}`);
      if (format) expect(`${where} format=${String(field.format)}`).toBe(`${where} format=${String(format)}`);
    }
  });

  it('marks a disability certificate as health data with its format', () => {
    const certificates = fields.filter(({ field }) => field.format === 'disability-certificate');
    expect(certificates.map((c) => c.where)).toEqual(expect.arrayContaining(['cn.tongban.subsidy.v1.SubsidyApplicationSubmitted.certificateNumber']));
    for (const { where, field } of certificates) expect(`${where} ${String(field.pii)}`).toBe(`${where} health`);
  });

  it('gives every ID number and every phone both markings, in both directions', () => {
    for (const { where, field } of fields) {
      if (field.pii === 'id-number' || field.format === 'id-number')
        expect(`${where} ${String(field.pii)} ${String(field.format)}`).toBe(`${where} id-number id-number`);
      if (field.pii === 'phone' || field.format === 'phone') expect(`${where} ${String(field.pii)} ${String(field.format)}`).toBe(`${where} phone phone`);
    }
  });

  it('lets bank accounts travel only in events addressed to the payer', () => {
    const withAccount = catalogue
      .allEvents()
      .filter((e) => JSON.stringify(e.schema).includes('"pii":"account"'))
      .map((e) => e.eventType)
      .sort();
    expect(withAccount).toEqual(['FuneralSubsidyClaimed', 'SubsidyMaterialsSupplied', 'SubsidyTransferred']);
  });

  it('answers a marital-status check with the status and a record reference only', () => {
    const schema = catalogue.event('MaritalStatusCheckAnswered')!.schema;
    const payloadFields = (schema.fields as Json[]).slice(1).map((f) => f.name);
    expect(payloadFields).toEqual(['checkId', 'status', 'recordRef']);
    expect(JSON.stringify(schema)).not.toContain('"pii"');
  });
});

const examples = new Map(exampleTypes().map((type) => [type, exampleBody(type)]));

function envelopeOf(example: EventBody, major: number): Json {
  return {
    eventId: '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
    eventType: example.eventType,
    caseId: example.caseId,
    sourceRegion: example.sourceRegion,
    targetRegion: example.targetRegion,
    sourceOffice: example.sourceOffice ?? null,
    targetOffice: example.targetOffice ?? null,
    occurredAt: example.occurredAt,
    correlationId: example.correlationId ?? 'c-1',
    causationId: example.causationId ?? null,
    producer: 'contracts-spec',
    schemaVersion: major,
  };
}

const PRIMITIVE_NAMES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/** The named types an inlined schema defines, by full name (later uses refer to them by name only). */
function namedTypes(schema: unknown, into = new Map<string, Json>()): Map<string, Json> {
  if (Array.isArray(schema)) schema.forEach((s) => namedTypes(s, into));
  else if (schema && typeof schema === 'object') {
    const s = schema as Json;
    if (['record', 'enum', 'fixed'].includes(s.type as string)) into.set(String(s.name), s);
    if (s.type === 'record') (s.fields as Json[]).forEach((f) => namedTypes(f.type, into));
    else if (s.type === 'array') namedTypes(s.items, into);
    else if (s.type === 'map') namedTypes(s.values, into);
  }
  return into;
}

/** Every value of `value` whose schema field carries a `format`, with its path. */
function formattedValues(
  schema: unknown,
  value: unknown,
  path: string,
  named: Map<string, Json> = namedTypes(schema),
  format?: string,
): Array<{ path: string; format: string; value: unknown }> {
  if (value === null || value === undefined) return [];
  if (Array.isArray(schema))
    return formattedValues(
      schema.find((b) => b !== 'null'),
      value,
      path,
      named,
      format,
    );
  if (typeof schema === 'string') {
    if (!PRIMITIVE_NAMES.has(schema)) return formattedValues(named.get(schema), value, path, named, format);
    return format ? [{ path, format, value }] : [];
  }
  const s = schema as Json;
  if (s.type === 'record') {
    return (s.fields as Json[]).flatMap((f) =>
      formattedValues(f.type, (value as Json)[String(f.name)], `${path}.${String(f.name)}`, named, f.format as string | undefined),
    );
  }
  if (s.type === 'array') return (value as unknown[]).flatMap((v, i) => formattedValues(s.items, v, `${path}[${i}]`, named, format));
  if (s.type === 'map') return Object.entries(value as Json).flatMap(([k, v]) => formattedValues(s.values, v, `${path}.${k}`, named, format));
  if (typeof s.type === 'string' && !s.logicalType && format) return [{ path, format, value }];
  return [];
}

// The same checkers the gateway validates requests with.
const checkers = formatCheckers(new DivisionCatalogue());

describe('examples', () => {
  it('exist for every event type and only for event types', () => {
    expect([...examples.keys()].sort()).toEqual(catalogue.eventTypes());
  });

  describe.each(catalogue.eventTypes())('%s', (eventType) => {
    const event = catalogue.event(eventType)!;
    const example = examples.get(eventType);

    it('is a POST /v1/events body', () => {
      expect(example).toBeDefined();
      const allowed = [
        'eventType',
        'caseId',
        'sourceRegion',
        'targetRegion',
        'occurredAt',
        'sourceOffice',
        'targetOffice',
        'correlationId',
        'causationId',
        'payload',
      ];
      expect(Object.keys(example!).filter((k) => !allowed.includes(k))).toEqual([]);
      expect(example!.eventType).toBe(eventType);
      expect(example!.caseId).toMatch(/^(SUB|MAR|FUN|ECK)-[0-9A-Z]+-\d{4}-\d{6}$/);
      expect(example!.sourceRegion).not.toBe(example!.targetRegion);
    });

    it('encodes and decodes through its schema', () => {
      const value = { envelope: envelopeOf(example!, event.major), ...example!.payload };
      const problems: string[] = [];
      event.type.isValid(value, { errorHook: (path: string[], v: unknown) => problems.push(`${path.join('.')}: ${JSON.stringify(v)}`) });
      expect(problems).toEqual([]);
      expect(event.type.fromBuffer(event.type.toBuffer(value))).toEqual(value);
    });

    it('holds valid values in every field with a format', () => {
      const value = { envelope: envelopeOf(example!, event.major), ...example!.payload };
      const bad = formattedValues(event.schema, value, eventType)
        .map(({ path, format, value: v }) => {
          const problem = typeof v === 'string' ? checkers[format](v) : 'not a string';
          return problem && `${path} (${format}) ${JSON.stringify(v)}: ${problem}`;
        })
        .filter(Boolean);
      expect(bad).toEqual([]);
    });

    it('uses a service office only with one of its real districts', () => {
      const office = SERVICE_OFFICES.find((o) => o.id === example!.sourceOffice);
      if (office) expect(office.districts).toContain(example!.sourceRegion);
    });
  });

  it('checks ID numbers in every example that names a person', () => {
    const ids = [...examples.entries()].flatMap(([type, example]) => {
      const event = catalogue.event(type)!;
      return formattedValues(event.schema, { envelope: envelopeOf(example, 1), ...example.payload }, type).filter((v) => v.format === 'id-number');
    });
    expect(ids.map((i) => i.path)).toEqual(
      expect.arrayContaining([
        'MarriageRegistrationRequested.partyA.person.idNumber',
        'MarriageRegistrationRequested.partyB.person.idNumber',
        'EconomicCheckRequested.members[1].person.idNumber',
        'EconomicCheckAnswered.results[1].idNumber',
        'FuneralSubsidyClaimed.claimant.idNumber',
      ]),
    );
    for (const { path, value } of ids) expect(`${path} ${typeof parseIdNumber(value)}`).toBe(`${path} object`);
  });

  it('keeps the disability certificate tied to the applicant', () => {
    for (const [type, holder] of [
      ['SubsidyApplicationSubmitted', 'applicant'],
      ['SubsidyTransferred', 'person'],
    ] as const) {
      const payload = examples.get(type)!.payload;
      const certificate = parseDisabilityCertificate(payload.certificateNumber);
      expect(typeof certificate).toBe('object');
      expect((certificate as { idNumber: string }).idNumber).toBe((payload[holder] as Json).idNumber);
    }
  });

  it('routes answers back to the region that asked', () => {
    const pairs: Array<[string, string]> = [
      ['SubsidyApplicationSubmitted', 'SubsidyApplicationAcknowledged'],
      ['SubsidyMaterialsRequested', 'SubsidyMaterialsSupplied'],
      ['MaritalStatusCheckRequested', 'MaritalStatusCheckAnswered'],
      ['RemainsTransportRequested', 'RemainsTransportAccepted'],
      ['FuneralSubsidyClaimed', 'FuneralSubsidyGranted'],
      ['EconomicCheckRequested', 'EconomicCheckAnswered'],
    ];
    for (const [ask, answer] of pairs) {
      const a = examples.get(ask)!;
      const b = examples.get(answer)!;
      expect([answer, b.caseId, b.sourceRegion, b.targetRegion]).toEqual([answer, a.caseId, a.targetRegion, a.sourceRegion]);
    }
  });

  it('never sends a bank account to the accepting side', () => {
    for (const type of ['SubsidyPaymentStarted', 'SubsidyApproved', 'FuneralSubsidyGranted']) {
      expect(JSON.stringify(examples.get(type)!.payload)).not.toMatch(/account/i);
    }
  });
});
