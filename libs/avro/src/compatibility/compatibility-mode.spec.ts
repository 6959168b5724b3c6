import { CompatibilityMode, COMPATIBILITY_MODES, checkCompatibility } from './compatibility-mode';
import { StrictRule } from './schema-resolution';

const rec = (fields: object[], name = 'cn.tongban.test.v1.Case', extra: object = {}) => ({ type: 'record', name, fields, ...extra });
const field = (name: string, type: unknown, extra: object = {}) => ({ name, type, ...extra });
const one = (type: unknown, extra: object = {}) => rec([field('x', type, extra)]);
const grade = (symbols: string[], extra: object = {}) => ({ type: 'enum', name: 'DisabilityGrade', symbols, ...extra });
const decimal = (precision: number, scale: number) => ({ type: 'bytes', logicalType: 'decimal', precision, scale });

/**
 * Each rule of Avro schema resolution, with a pair that resolves and one that does not.
 * `reader` plays the new schema and `writer` the old one under BACKWARD.
 */
const RULES: Array<[rule: string, reader: unknown, writer: unknown, problem: string | null]> = [
  ['a field added with a default', rec([field('a', 'string'), field('b', 'int', { default: 0 })]), rec([field('a', 'string')]), null],
  [
    'a field added without a default',
    rec([field('a', 'string'), field('b', 'int')]),
    rec([field('a', 'string')]),
    '/fields/b: reader field has no default and the writer lacks it',
  ],
  ['a field removed (the reader ignores it)', rec([field('a', 'string')]), rec([field('a', 'string'), field('b', 'int')]), null],
  ['a field renamed with the old name as an alias', rec([field('b', 'string', { aliases: ['a'] })]), rec([field('a', 'string')]), null],
  [
    'a field renamed without an alias',
    rec([field('b', 'string')]),
    rec([field('a', 'string')]),
    '/fields/b: reader field has no default and the writer lacks it',
  ],

  ['int promoted to long', one('long'), one('int'), null],
  ['int promoted to float', one('float'), one('int'), null],
  ['int promoted to double', one('double'), one('int'), null],
  ['long promoted to float', one('float'), one('long'), null],
  ['long promoted to double', one('double'), one('long'), null],
  ['float promoted to double', one('double'), one('float'), null],
  ['string read as bytes', one('bytes'), one('string'), null],
  ['bytes read as string', one('string'), one('bytes'), null],
  ['long narrowed to int', one('int'), one('long'), '/fields/x: reader type int cannot read writer type long'],
  ['double narrowed to float', one('float'), one('double'), '/fields/x: reader type float cannot read writer type double'],
  ['float read as long', one('long'), one('float'), '/fields/x: reader type long cannot read writer type float'],
  ['int read as string', one('string'), one('int'), '/fields/x: reader type string cannot read writer type int'],
  ['boolean read as int', one('int'), one('boolean'), '/fields/x: reader type int cannot read writer type boolean'],

  [
    'an enum symbol added in the reader',
    rec([field('disabilityGrade', grade(['GRADE_1', 'GRADE_2']))]),
    rec([field('disabilityGrade', grade(['GRADE_1']))]),
    null,
  ],
  [
    'an enum symbol the reader lacks, no default',
    rec([field('disabilityGrade', grade(['GRADE_1', 'GRADE_4']))]),
    rec([field('disabilityGrade', grade(['GRADE_1', 'GRADE_4', 'GRADE_5']))]),
    '/fields/disabilityGrade: writer symbol GRADE_5 missing from reader enum cn.tongban.test.v1.DisabilityGrade with no default',
  ],
  [
    'an enum symbol the reader lacks, with a reader default',
    rec([field('disabilityGrade', grade(['UNKNOWN', 'GRADE_1'], { default: 'UNKNOWN' }))]),
    rec([field('disabilityGrade', grade(['GRADE_1', 'GRADE_5']))]),
    null,
  ],
  [
    'an enum renamed without an alias',
    one(grade(['A'])),
    one({ type: 'enum', name: 'Grade', symbols: ['A'] }),
    '/fields/x: reader enum cn.tongban.test.v1.DisabilityGrade does not match writer enum cn.tongban.test.v1.Grade',
  ],
  ['an enum renamed with an alias', one(grade(['A'], { aliases: ['Grade'] })), one({ type: 'enum', name: 'Grade', symbols: ['A'] }), null],

  ['a reader union gaining a branch', one(['null', 'string', 'int']), one(['null', 'string']), null],
  [
    'a reader union losing a branch the writer uses',
    one(['null', 'string']),
    one(['null', 'string', 'int']),
    '/fields/x: writer type int matches no branch of reader union [null, string]',
  ],
  ['a non-union becoming a union that contains it', one(['null', 'string']), one('string'), null],
  [
    'a non-union becoming a union that lacks it',
    one(['null', 'int']),
    one('string'),
    '/fields/x: writer type string matches no branch of reader union [null, int]',
  ],
  ['a union branch matched by promotion', one(['null', 'long']), one('int'), null],
  ['a union becoming a non-union every branch can be read as', one('double'), one(['int', 'float']), null],
  [
    'a union becoming a non-union one branch cannot be read as',
    one('string'),
    one(['null', 'string']),
    '/fields/x: writer union branch null cannot be read as reader type string',
  ],
  [
    'a union of records whose branch gained a field without default',
    one(['null', rec([field('a', 'string'), field('b', 'string')], 'Agent')]),
    one(['null', rec([field('a', 'string')], 'Agent')]),
    '/fields/x/fields/b: reader field has no default and the writer lacks it',
  ],

  [
    'a record matched by full name',
    one(rec([field('a', 'int')], 'cn.tongban.common.v1.PersonRef')),
    one(rec([field('a', 'int')], 'cn.tongban.common.v1.PersonRef')),
    null,
  ],
  // Java Avro (1.9 and later) matches named types by their short name.
  [
    'a record moved to another namespace',
    one(rec([field('a', 'int')], 'cn.tongban.common.v2.PersonRef')),
    one(rec([field('a', 'int')], 'cn.tongban.common.v1.PersonRef')),
    null,
  ],
  [
    'a record renamed without an alias',
    one(rec([field('a', 'int')], 'cn.tongban.common.v1.Person')),
    one(rec([field('a', 'int')], 'cn.tongban.common.v1.PersonRef')),
    '/fields/x: reader record cn.tongban.common.v1.Person does not match writer record cn.tongban.common.v1.PersonRef (by name or reader alias)',
  ],
  [
    'a record moved with the old full name as an alias',
    one(rec([field('a', 'int')], 'cn.tongban.common.v2.PersonRef', { aliases: ['cn.tongban.common.v1.PersonRef'] })),
    one(rec([field('a', 'int')], 'cn.tongban.common.v1.PersonRef')),
    null,
  ],
  [
    'a nested record field added with a default',
    rec([field('applicant', rec([field('id', 'string'), field('name', 'string', { default: '' })], 'PersonRef'))]),
    rec([field('applicant', rec([field('id', 'string')], 'PersonRef'))]),
    null,
  ],
  [
    'a nested record field added without a default',
    rec([field('applicant', rec([field('id', 'string'), field('name', 'string')], 'PersonRef'))]),
    rec([field('applicant', rec([field('id', 'string')], 'PersonRef'))]),
    '/fields/applicant/fields/name: reader field has no default and the writer lacks it',
  ],

  ['array items promoted', one({ type: 'array', items: 'long' }), one({ type: 'array', items: 'int' }), null],
  [
    'array items changed',
    one({ type: 'array', items: 'int' }),
    one({ type: 'array', items: 'string' }),
    '/fields/x/items: reader type int cannot read writer type string',
  ],
  ['map values promoted', one({ type: 'map', values: 'double' }), one({ type: 'map', values: 'float' }), null],
  [
    'map values changed',
    one({ type: 'map', values: 'boolean' }),
    one({ type: 'map', values: 'string' }),
    '/fields/x/values: reader type boolean cannot read writer type string',
  ],
  [
    'an array read as a map',
    one({ type: 'map', values: 'int' }),
    one({ type: 'array', items: 'int' }),
    '/fields/x: reader type map<int> cannot read writer type array<int>',
  ],

  ['a fixed of the same size', one({ type: 'fixed', name: 'Md5', size: 16 }), one({ type: 'fixed', name: 'Md5', size: 16 }), null],
  [
    'a fixed of another size',
    one({ type: 'fixed', name: 'Md5', size: 16 }),
    one({ type: 'fixed', name: 'Md5', size: 20 }),
    '/fields/x: fixed cn.tongban.test.v1.Md5 has size 16 in the reader and 20 in the writer',
  ],

  ['a timestamp read as its long', one('long'), one({ type: 'long', logicalType: 'timestamp-millis' }), null],
  ['a long read as a timestamp', one({ type: 'long', logicalType: 'timestamp-millis' }), one('long'), null],
  ['a date read from int', one({ type: 'int', logicalType: 'date' }), one('int'), null],
  ['a uuid read as a string', one('string'), one({ type: 'string', logicalType: 'uuid' }), null],
  [
    'a timestamp read from a string',
    one({ type: 'long', logicalType: 'timestamp-millis' }),
    one('string'),
    '/fields/x: reader type long (timestamp-millis) cannot read writer type string',
  ],
  ['a decimal unchanged', one(decimal(12, 2)), one(decimal(12, 2)), null],
  // Java Avro ignores logical types: a decimal resolves as the bytes it is written in.
  ['a decimal with a wider precision', one(decimal(14, 2)), one(decimal(12, 2)), null],
  ['a decimal with a narrower precision', one(decimal(10, 2)), one(decimal(12, 2)), null],
  ['a decimal with another scale', one(decimal(12, 3)), one(decimal(12, 2)), null],
  ['plain bytes read as a decimal', one(decimal(12, 2)), one('bytes'), null],
  ['a decimal read as a string', one('string'), one(decimal(12, 2)), null],
  ['a decimal read as a long', one('long'), one(decimal(12, 2)), '/fields/x: reader type long cannot read writer type bytes (decimal(12,2))'],

  [
    'a recursive record gaining a defaulted field',
    rec([field('value', 'int'), field('label', 'string', { default: '' }), field('next', ['null', 'Node'], { default: null })], 'Node'),
    rec([field('value', 'int'), field('next', ['null', 'Node'], { default: null })], 'Node'),
    null,
  ],
  [
    'a recursive record gaining a field without default',
    rec([field('value', 'int'), field('label', 'string'), field('next', ['null', 'Node'], { default: null })], 'Node'),
    rec([field('value', 'int'), field('next', ['null', 'Node'], { default: null })], 'Node'),
    '/fields/label: reader field has no default and the writer lacks it',
  ],
  ['a record replaced by a string at the root', 'string', rec([field('a', 'int')]), '/: reader type string cannot read writer type cn.tongban.test.v1.Case'],
];

describe('Avro schema resolution (new schema reading the old one, BACKWARD)', () => {
  it.each(RULES)('%s', (_rule, reader, writer, problem) => {
    const result = checkCompatibility(reader as object, [writer as object], 'BACKWARD');
    if (problem === null) {
      expect(result.messages).toEqual([]);
      expect(result.compatible).toBe(true);
    } else {
      expect(result.compatible).toBe(false);
      expect(result.messages.join('\n')).toContain(problem);
    }
  });

  it('lists every problem, not the first', () => {
    const result = checkCompatibility(rec([field('a', 'int'), field('b', 'string'), field('c', 'string')]), [rec([field('a', 'string')])]);
    expect(result.problems.map((p) => [p.path, p.kind])).toEqual([
      ['/fields/a', 'TYPE_MISMATCH'],
      ['/fields/b', 'READER_FIELD_MISSING_DEFAULT_VALUE'],
      ['/fields/c', 'READER_FIELD_MISSING_DEFAULT_VALUE'],
    ]);
  });

  it('says which schema reads which, with the labels given', () => {
    const result = checkCompatibility(rec([field('a', 'string')]), [rec([field('a', 'string'), field('b', 'int')])], 'FORWARD', { labels: ['version 3'] });
    expect(result.messages).toEqual(['/fields/b: reader field has no default and the writer lacks it (version 3 reading data written by the new schema)']);
  });
});

// Three histories that tell the modes apart (oldest first, then the candidate).
const A = rec([field('x', 'string')]);
const AwithZ = rec([field('x', 'string'), field('z', 'int')]);
const BwithZdefault = rec([field('x', 'string'), field('z', 'int', { default: 0 })]);
const BwithY = rec([field('x', 'string'), field('y', 'int', { default: 1 })]);
const CneedsY = rec([field('x', 'string'), field('y', 'int')]);
const Xint = rec([field('x', 'int')]);

const SCENARIOS: Array<[scenario: string, history: object[], candidate: object, compatibleUnder: CompatibilityMode[]]> = [
  // C reads B's data but not A's (y has no default and A lacks it); A and B both read C's.
  ['a field without default, after a version that added it with one', [A, BwithY], CneedsY, ['BACKWARD', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'NONE']],
  // B reads C's data thanks to z's default; A cannot (z has no default in A).
  ['a field removed whose default came only in the latest version', [AwithZ, BwithZdefault], A, ['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FULL', 'NONE']],
  ['a field added with a default', [A], BwithY, ['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE']],
  ['a field added without a default', [A], CneedsY, ['FORWARD', 'FORWARD_TRANSITIVE', 'NONE']],
  ['a field removed that had no default', [AwithZ], A, ['BACKWARD', 'BACKWARD_TRANSITIVE', 'NONE']],
  ['a field changing type', [A], Xint, ['NONE']],
  ['a first version', [], Xint, [...COMPATIBILITY_MODES]],
];

describe('compatibility modes', () => {
  const cases = SCENARIOS.flatMap(([scenario, history, candidate, ok]) =>
    COMPATIBILITY_MODES.map((mode) => [scenario, mode, history, candidate, ok.includes(mode)] as const),
  );
  it.each(cases)('%s under %s', (_scenario, mode, history, candidate, expected) => {
    const result = checkCompatibility(candidate, history, mode);
    expect(result.compatible).toBe(expected);
    expect(result.messages.length === 0).toBe(expected);
  });

  it('defaults to BACKWARD', () => {
    expect(checkCompatibility(CneedsY, [A]).compatible).toBe(false);
    expect(checkCompatibility(A, [AwithZ]).compatible).toBe(true);
  });

  it('takes schema text as well as parsed JSON', () => {
    expect(checkCompatibility(JSON.stringify(BwithY), [JSON.stringify(A)], 'FULL').compatible).toBe(true);
  });
});

describe('verdicts as Java Avro gives them, and the stricter rules by name', () => {
  const money = (d: unknown) => rec([field('amount', d)], 'cn.tongban.subsidy.v1.SubsidyPaymentStarted');

  it.each(['BACKWARD', 'FORWARD', 'FULL', 'FULL_TRANSITIVE'] as CompatibilityMode[])(
    'accepts widening a decimal from precision 12 to 14 with the same scale under %s',
    (mode) => {
      expect(checkCompatibility(money(decimal(14, 2)), [money(decimal(12, 2))], mode).messages).toEqual([]);
    },
  );

  const STRICT: Array<[rule: StrictRule, reader: object, writer: object, problem: string | null]> = [
    ['decimal-scale', money(decimal(14, 2)), money(decimal(12, 2)), null],
    [
      'decimal-scale',
      money(decimal(12, 3)),
      money(decimal(12, 2)),
      '/fields/amount: decimal(12,3) in the reader has another scale than decimal(12,2) in the writer (rule decimal-scale)',
    ],
    [
      'decimal-scale',
      money(decimal(12, 2)),
      money('bytes'),
      '/fields/amount: reader decimal(12,2) cannot read plain bytes without a writer scale (rule decimal-scale)',
    ],
    ['decimal-scale', money('bytes'), money(decimal(12, 2)), null],
    [
      'full-names',
      one(rec([field('a', 'int')], 'cn.tongban.common.v2.PersonRef')),
      one(rec([field('a', 'int')], 'cn.tongban.common.v1.PersonRef')),
      '/fields/x: reader record cn.tongban.common.v2.PersonRef does not match writer record cn.tongban.common.v1.PersonRef (by full name or reader alias)',
    ],
    [
      'full-names',
      one(rec([field('a', 'int')], 'cn.tongban.common.v2.PersonRef', { aliases: ['cn.tongban.common.v1.PersonRef'] })),
      one(rec([field('a', 'int')], 'cn.tongban.common.v1.PersonRef')),
      null,
    ],
  ];
  it.each(STRICT)('under rule %s: %j reading %j', (rule, reader, writer, problem) => {
    expect(checkCompatibility(reader, [writer], 'BACKWARD').compatible).toBe(true);
    const strict = checkCompatibility(reader, [writer], 'BACKWARD', { rules: [rule] });
    if (problem === null) expect(strict.messages).toEqual([]);
    else expect(strict.messages).toEqual([`${problem} (new schema reading data written by the old schema)`]);
  });
});
