/**
 * Resident identity number (GB 11643-1999): 6-digit division of first registration, birth date
 * YYYYMMDD, 3-digit sequence (odd male, even female), ISO 7064 MOD 11-2 check character.
 */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

export interface IdNumberInfo {
  value: string;
  division: string;
  birthDate: string;
  sex: 'M' | 'F';
}

export function checkCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK[sum % 11];
}

/**
 * Province-level codes of GB/T 2260 that an ID number may start with: 11–15, 21–23, 31–37, 41–46, 50–54,
 * 61–65, 71 (Taiwan), 81 and 82 (Hong Kong, Macao). The other four digits are not checked: codes of
 * divisions since merged or renamed stay valid in the numbers issued under them.
 */
const PROVINCE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [11, 15],
  [21, 23],
  [31, 37],
  [41, 46],
  [50, 54],
  [61, 65],
  [71, 71],
  [81, 82],
];

export function isProvincePrefix(prefix: string): boolean {
  const n = Number(prefix);
  return /^\d{2}$/.test(prefix) && PROVINCE_RANGES.some(([lo, hi]) => n >= lo && n <= hi);
}

export function normaliseIdNumber(raw: string): string {
  return raw.trim().toUpperCase();
}

/** Returns the parsed number, or a problem text saying what is wrong with it. */
export function parseIdNumber(raw: unknown, today: Date = new Date()): IdNumberInfo | string {
  if (typeof raw !== 'string') return 'must be an 18-character resident ID number';
  const value = normaliseIdNumber(raw);
  if (!/^\d{17}[\dX]$/.test(value)) return 'must be 17 digits followed by a digit or X';
  if (!isProvincePrefix(value.slice(0, 2))) return `division ${value.slice(0, 6)} does not start with a province code of GB/T 2260`;
  const y = Number(value.slice(6, 10));
  const m = Number(value.slice(10, 12));
  const d = Number(value.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    return `birth date ${value.slice(6, 14)} is not a real date`;
  }
  if (date.getTime() > today.getTime()) return `birth date ${value.slice(6, 14)} is in the future`;
  const expected = checkCharacter(value);
  if (value[17] !== expected) return `check character is ${value[17]}, expected ${expected}`;
  return {
    value,
    division: value.slice(0, 6),
    birthDate: `${value.slice(6, 10)}-${value.slice(10, 12)}-${value.slice(12, 14)}`,
    sex: Number(value[16]) % 2 === 1 ? 'M' : 'F',
  };
}

/** Age in whole years on a date (YYYY-MM-DD), from a birth date of the same form. */
export function ageOn(birthDate: string, on: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const [y, m, d] = on.split('-').map(Number);
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}
