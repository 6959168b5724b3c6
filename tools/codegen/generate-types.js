#!/usr/bin/env node
'use strict';
/**
 * Writes the TypeScript types of the Avro contracts to libs/avro/src/generated/events.ts.
 *
 *   node tools/codegen/generate-types.js          regenerate the file
 *   node tools/codegen/generate-types.js --check  exit 1 when the file is not what the schemas give (CI)
 *   --contracts <dir> and --out <file> point it elsewhere (tests).
 *
 * Plain CommonJS on purpose: it runs with node alone, before anything is compiled.
 * Values are typed as tongban's JSON carries them (see libs/avro/src/schema/logical-types.ts):
 * dates, timestamps, decimals and uuids are strings, never numbers.
 */
const { readdirSync, readFileSync, statSync, writeFileSync, existsSync, mkdirSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');

const REPO = join(__dirname, '..', '..');
const CONTRACTS = join(REPO, 'contracts', 'avro');
const OUTPUT = join(REPO, 'libs', 'avro', 'src', 'generated', 'events.ts');
const ENVELOPE = 'cn.tongban.common.v1.Envelope';
const NAMESPACE = /^cn\.tongban\.([a-z]+)\.v(\d+)$/;
const WORKFLOWS = ['subsidy', 'marriage', 'funeral', 'economiccheck', 'common'];
const PRIMITIVES = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};
const STRING_LOGICAL_TYPES = new Set(['date', 'timestamp-millis', 'decimal', 'uuid']);

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (name.endsWith('.avsc')) out.push(path);
  }
  return out;
}

function fullNameOf(schema, enclosing) {
  if (schema.name.includes('.')) return schema.name;
  const ns = schema.namespace !== undefined ? schema.namespace : enclosing;
  return ns ? `${ns}.${schema.name}` : schema.name;
}

const namespaceOf = (fullName) => fullName.slice(0, fullName.lastIndexOf('.'));
const shortName = (fullName) => fullName.slice(fullName.lastIndexOf('.') + 1);

/** Every named type of the contracts, the ones defined inline in a field included. */
function collect(root) {
  const named = new Map();
  const visit = (node, namespace, file) => {
    if (Array.isArray(node)) return node.forEach((n) => visit(n, namespace, file));
    if (!node || typeof node !== 'object') return;
    if (['record', 'enum', 'fixed'].includes(node.type) && node.name) {
      const full = fullNameOf(node, namespace);
      if (named.has(full)) throw new Error(`${full} is defined twice (${relative(REPO, file)})`);
      named.set(full, { schema: node, fullName: full, file });
      if (node.type === 'record') node.fields.forEach((f) => visit(f.type, namespaceOf(full), file));
      return;
    }
    if (node.type === 'array') visit(node.items, namespace, file);
    if (node.type === 'map') visit(node.values, namespace, file);
  };
  for (const file of walk(root)) {
    let schema;
    try {
      schema = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`${relative(REPO, file)} is not valid JSON: ${e.message}`);
    }
    visit(schema, undefined, file);
  }
  const byShort = new Map();
  for (const full of named.keys()) {
    const short = shortName(full);
    if (byShort.has(short)) throw new Error(`two types are named ${short}: ${byShort.get(short)} and ${full}`);
    byShort.set(short, full);
  }
  return named;
}

function resolveName(name, namespace, named) {
  if (named.has(name)) return name;
  const qualified = namespace ? `${namespace}.${name}` : name;
  if (named.has(qualified)) return qualified;
  throw new Error(`unknown type "${name}"`);
}

/** The TypeScript type of an Avro type. */
function tsType(node, namespace, named) {
  if (typeof node === 'string') {
    if (PRIMITIVES[node]) return PRIMITIVES[node];
    return shortName(resolveName(node, namespace, named));
  }
  if (Array.isArray(node)) {
    const branches = node.map((b) => tsType(b, namespace, named));
    // `T | null` reads better than `null | T`; the order of an Avro union is about its default only.
    const nonNull = branches.filter((b) => b !== 'null');
    return [...nonNull, ...(nonNull.length < branches.length ? ['null'] : [])].join(' | ');
  }
  if (['record', 'enum', 'fixed'].includes(node.type) && node.name) return shortName(fullNameOf(node, namespace));
  if (node.logicalType && STRING_LOGICAL_TYPES.has(node.logicalType)) return 'string';
  if (node.type === 'array') {
    const item = tsType(node.items, namespace, named);
    return /^[A-Za-z0-9_]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
  }
  if (node.type === 'map') return `Record<string, ${tsType(node.values, namespace, named)}>`;
  if (typeof node.type === 'string' || Array.isArray(node.type)) return tsType(node.type, namespace, named);
  throw new Error(`cannot map ${JSON.stringify(node)}`);
}

const WIDTH = 110;

/** Breaks a text into lines of at most `width` characters, at spaces. */
function wrap(text, width) {
  const lines = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function comment(paragraphs, indent) {
  const width = WIDTH - indent.length - 3;
  const text = paragraphs
    .filter(Boolean)
    .map((p) => p.replace(/\*\//g, '*\\/'))
    .flatMap((p) => wrap(p, width));
  if (text.length === 0) return '';
  if (text.length === 1) return `${indent}/** ${text[0]} */\n`;
  return `${indent}/**\n${text.map((l) => `${indent} * ${l}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

const LOGICAL_HINTS = {
  date: 'Date `YYYY-MM-DD`.',
  'timestamp-millis': 'Instant, ISO-8601 (`2026-11-02T09:30:00.000Z`).',
  decimal: 'Decimal string, e.g. `"1234.50"`.',
  uuid: 'UUID.',
};

function logicalTypeOf(type) {
  if (Array.isArray(type)) return type.map(logicalTypeOf).find(Boolean);
  return type && typeof type === 'object' ? type.logicalType : undefined;
}

function fieldComment(field) {
  const marks = [];
  const logical = LOGICAL_HINTS[logicalTypeOf(field.type)];
  if (logical) marks.push(logical);
  if (field.pii) marks.push(`Personal data: \`${field.pii}\`.`);
  if (field.format) marks.push(`Format: \`${field.format}\`.`);
  return comment([field.doc, marks.join(' ')], '  ');
}

function renderRecord(name, schema, fields, namespace, named, heading = []) {
  const body = fields
    .map((f) => `${fieldComment(f)}  ${f.name}: ${tsType(f.type, namespace, named)};`)
    .join('\n');
  return `${comment([...heading, schema.doc], '')}export interface ${name} {\n${body}\n}\n`;
}

function isEvent(schema) {
  return schema.type === 'record' && schema.fields && schema.fields.length > 0 && schema.fields[0].name === 'envelope';
}

/** The text of events.ts for the contracts under `root`. */
function generate(root = CONTRACTS) {
  const named = collect(root);
  const events = [];
  const sections = new Map();
  for (const { schema, fullName } of [...named.values()].sort((a, b) => (a.fullName < b.fullName ? -1 : 1))) {
    const namespace = namespaceOf(fullName);
    const name = shortName(fullName);
    let text;
    if (schema.type === 'enum') {
      const symbols = schema.symbols.map((s) => `'${s}'`);
      const oneLine = `export type ${name} = ${symbols.join(' | ')};`;
      const union = oneLine.length <= WIDTH ? oneLine : `export type ${name} =\n${symbols.map((s) => `  | ${s}`).join('\n')};`;
      text = `${comment([schema.doc], '')}${union}\n`;
    } else if (schema.type === 'fixed') {
      text = `${comment([schema.doc], '')}export type ${name} = string;\n`;
    } else if (isEvent(schema)) {
      const envelopeType = schema.fields[0].type;
      if (typeof envelopeType !== 'string' || resolveName(envelopeType, namespace, named) !== ENVELOPE) {
        throw new Error(`${fullName}: the envelope field must be of type ${ENVELOPE}`);
      }
      const ns = NAMESPACE.exec(namespace);
      if (!ns || !WORKFLOWS.includes(ns[1])) throw new Error(`${fullName}: unknown workflow namespace ${namespace}`);
      events.push({ name, workflow: ns[1] });
      text =
        renderRecord(`${name}Payload`, schema, schema.fields.slice(1), namespace, named, [`Payload of {@link ${name}}: the event without its envelope.`]) +
        `\n${comment([schema.doc], '')}export interface ${name} extends ${name}Payload {\n${fieldComment(schema.fields[0])}  envelope: Envelope;\n}\n`;
    } else {
      text = renderRecord(name, schema, schema.fields, namespace, named);
    }
    if (!sections.has(namespace)) sections.set(namespace, []);
    sections.get(namespace).push(text);
  }
  events.sort((a, b) => (a.name < b.name ? -1 : 1));

  const out = [
    '// Generated by tools/codegen/generate-types.js from contracts/avro: do not edit by hand.',
    '// Regenerate with `node tools/codegen/generate-types.js`; CI runs it with --check.',
    '/* eslint-disable */',
    '',
  ];
  for (const [namespace, texts] of sections) {
    out.push(`// ${'-'.repeat(3)} ${namespace} ${'-'.repeat(Math.max(3, 96 - namespace.length))}`, '');
    out.push(texts.join('\n'));
  }
  out.push(
    '// --- events ' + '-'.repeat(88),
    '',
    '/** The payload type of every event type. */',
    'export interface EventPayloads {',
    ...events.map((e) => `  ${e.name}: ${e.name}Payload;`),
    '}',
    '',
    '/** Short record name of an event, as in the envelope and on HTTP. */',
    'export type EventType = keyof EventPayloads;',
    '',
    '/** A whole event record: its envelope and its payload. */',
    'export type EventRecord<T extends EventType = EventType> = EventPayloads[T] & { envelope: Envelope };',
    '',
    '/** Every event type, sorted. */',
    'export const EVENT_TYPES: readonly EventType[] = [',
    ...events.map((e) => `  '${e.name}',`),
    '];',
    '',
    '/** The `<workflow>` of a namespace `cn.tongban.<workflow>.v<major>`; `common` for cross-workflow events. */',
    `export type EventWorkflow = ${WORKFLOWS.map((w) => `'${w}'`).join(' | ')};`,
    '',
    '/** The workflow of every event type. */',
    'export const EVENT_WORKFLOWS: Record<EventType, EventWorkflow> = {',
    ...events.map((e) => `  ${e.name}: '${e.workflow}',`),
    '};',
    '',
  );
  return out.join('\n');
}

function option(argv, name, fallback) {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
}

function main(argv) {
  const check = argv.includes('--check');
  const contracts = option(argv, '--contracts', CONTRACTS);
  const output = option(argv, '--out', OUTPUT);
  const text = generate(contracts);
  const shown = relative(process.cwd(), output) || output;
  if (check) {
    const current = existsSync(output) ? readFileSync(output, 'utf8') : undefined;
    if (current === text) return 0;
    process.stderr.write(
      `${shown} is ${current === undefined ? 'missing' : 'stale'}: it is not what the schemas in contracts/avro give.\n` +
        'Regenerate it with `node tools/codegen/generate-types.js` and commit the result.\n',
    );
    return 1;
  }
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, text);
  process.stdout.write(`wrote ${shown}\n`);
  return 0;
}

module.exports = { generate, OUTPUT, CONTRACTS };

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`contracts codegen failed: ${e.message}\n`);
    process.exitCode = 2;
  }
}
