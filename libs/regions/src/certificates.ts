import { parseIdNumber } from './id-number';

/**
 * Third-generation disability certificate (残疾人证): the holder's ID number, then one digit for the
 * category (1 visual … 7 multiple) and one for the grade (1 most severe … 4).
 */
export interface DisabilityCertificate {
  idNumber: string;
  category: number;
  grade: number;
}

export function parseDisabilityCertificate(raw: unknown): DisabilityCertificate | string {
  if (typeof raw !== 'string' || !/^\d{17}[\dXx]\d\d$/.test(raw.trim())) {
    return 'must be the 18-character ID number followed by category and grade digits';
  }
  const value = raw.trim().toUpperCase();
  const id = parseIdNumber(value.slice(0, 18));
  if (typeof id === 'string') return `ID part: ${id}`;
  const category = Number(value[18]);
  const grade = Number(value[19]);
  if (category < 1 || category > 7) return `category digit ${category} is not 1–7`;
  if (grade < 1 || grade > 4) return `grade digit ${grade} is not 1–4`;
  return { idNumber: id.value, category, grade };
}

/** Unified social credit code (统一社会信用代码, GB 32100-2015), 18 characters with a mod-31 check. */
const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

export function usccCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_CHARS.indexOf(first17[i]) * USCC_WEIGHTS[i];
  return USCC_CHARS[(31 - (sum % 31)) % 31];
}

export function uniformCreditCodeProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return 'must be an 18-character unified social credit code';
  const value = raw.trim().toUpperCase();
  if (!/^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/.test(value)) {
    return 'must be 18 characters of the unified social credit code alphabet';
  }
  const expected = usccCheckCharacter(value);
  return value[17] === expected ? undefined : `check character is ${value[17]}, expected ${expected}`;
}
