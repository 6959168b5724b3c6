import { DEFAULT_STRING_MAX_LENGTH, RecordValidator } from './record-validator';

const schema = {
  type: 'record',
  name: 'cn.tongban.test.v1.Sample',
  fields: [
    { name: 'name', type: 'string', maxLength: 50 },
    { name: 'reasonText', type: ['null', 'string'], maxLength: 1000, default: null },
    { name: 'ref', type: 'string' },
  ],
};

describe('string lengths in the record validator', () => {
  const validator = new RecordValidator();

  it.each([
    ['a name at its limit', { name: '李'.repeat(50), ref: 'r' }, []],
    ['a name over its marked limit', { name: 'a'.repeat(100_000), ref: 'r' }, [{ path: 'name', problem: 'must be at most 50 characters, got 100000' }]],
    [
      'a nullable text over its limit',
      { name: 'n', reasonText: 'x'.repeat(1001), ref: 'r' },
      [{ path: 'reasonText', problem: 'must be at most 1000 characters, got 1001' }],
    ],
    [
      'an unmarked string over the default',
      { name: 'n', ref: 'r'.repeat(DEFAULT_STRING_MAX_LENGTH + 1) },
      [{ path: 'ref', problem: `must be at most ${DEFAULT_STRING_MAX_LENGTH} characters, got ${DEFAULT_STRING_MAX_LENGTH + 1}` }],
    ],
  ])('%s', (_what, value, problems) => {
    expect(validator.validate(schema, value, '')).toEqual(problems);
  });
});
