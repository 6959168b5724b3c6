import { ageOn, checkCharacter, parseIdNumber } from './id-number';
import { parseDisabilityCertificate, uniformCreditCodeProblem, usccCheckCharacter } from './certificates';
import { covers } from './division-code';

describe('resident ID number', () => {
  it.each([
    ['500111196804170022', 'F', '1968-04-17'],
    ['512021199611080033', 'M', '1996-11-08'],
    ['500107199802210069', 'F', '1998-02-21'],
    ['51010419850630005X', 'M', '1985-06-30'],
    ['500111196001150028', 'F', '1960-01-15'],
    ['500111194109030045', 'F', '1941-09-03'],
    ['512021195012010019', 'M', '1950-12-01'],
  ])('accepts %s with its sex and birth date', (id, sex, birth) => {
    const parsed = parseIdNumber(id);
    expect(parsed).toMatchObject({ value: id, sex, birthDate: birth });
  });

  it('normalises a lowercase x', () => {
    expect(parseIdNumber('51010419850630005x')).toMatchObject({ value: '51010419850630005X' });
  });

  it.each([
    ['500111196804170023', 'check character is 3, expected 2'],
    ['50011119680417002', 'must be 17 digits followed by a digit or X'],
    ['500111196802300021', 'birth date 19680230 is not a real date'],
    ['500111209901010011', 'birth date 20990101 is in the future'],
  ])('refuses %s: %s', (id, problem) => {
    const today = new Date('2026-11-25T00:00:00Z');
    // the future-date case must be refused for its date, not its check character
    const fixed = id.length === 18 && id.startsWith('5001112099') ? id.slice(0, 17) + checkCharacter(id) : id;
    expect(parseIdNumber(fixed, today)).toBe(problem);
  });

  it.each(['990000', '000000', '160000', '240000', '380000', '470000', '550000', '660000', '720000', '830000', '910000'])(
    'refuses an ID number starting %s: not a GB/T 2260 province code',
    (division) => {
      const first17 = `${division}19800101001`;
      expect(parseIdNumber(first17 + checkCharacter(first17))).toBe(`division ${division} does not start with a province code of GB/T 2260`);
    },
  );

  it.each([
    '110101',
    '150000',
    '210000',
    '230000',
    '310000',
    '370000',
    '410000',
    '460000',
    '500000',
    '540000',
    '610000',
    '650000',
    '710000',
    '810000',
    '820000',
    '512099',
  ])('accepts the province prefix of %s without checking the other four digits', (division) => {
    const first17 = `${division}19800101001`;
    expect(parseIdNumber(first17 + checkCharacter(first17))).toMatchObject({ division });
  });

  it('computes age on a date', () => {
    expect(ageOn('1998-02-21', '2020-02-20')).toBe(21);
    expect(ageOn('1998-02-21', '2020-02-21')).toBe(22);
  });
});

describe('disability certificate', () => {
  it('splits ID, category and grade', () => {
    expect(parseDisabilityCertificate('50011119680417002241')).toEqual({ idNumber: '500111196804170022', category: 4, grade: 1 });
  });
  it('refuses a grade outside 1–4', () => {
    expect(parseDisabilityCertificate('50011119680417002245')).toBe('grade digit 5 is not 1–4');
  });
});

describe('unified social credit code', () => {
  it('accepts a code whose check character matches', () => {
    const first17 = '91510100MA61234X0';
    expect(uniformCreditCodeProblem(first17 + usccCheckCharacter(first17))).toBeUndefined();
  });
  it('refuses a wrong check character', () => {
    const first17 = '91510100MA61234X0';
    const wrong = usccCheckCharacter(first17) === 'A' ? 'B' : 'A';
    expect(uniformCreditCodeProblem(first17 + wrong)).toMatch(/check character/);
  });
});

describe('division coverage', () => {
  it.each([
    ['510100', '510104', true],
    ['510100', '510100', true],
    ['510000', '512021', true],
    ['510100', '512021', false],
    ['500111', '500107', false],
    ['500000', '510104', false],
  ])('%s covers %s: %s', (holder, division, expected) => {
    expect(covers(holder, division)).toBe(expected);
  });
});
