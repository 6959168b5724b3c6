/** The `"pii"` markings of the contracts, and how an operator sees each kind (domain.md, data rules). */
export const PII_KINDS = ['id-number', 'name', 'phone', 'address', 'birth-date', 'health', 'account', 'income', 'property', 'free-text'] as const;

export type PiiKind = (typeof PII_KINDS)[number];

export function isPiiKind(value: unknown): value is PiiKind {
  return typeof value === 'string' && (PII_KINDS as readonly string[]).includes(value);
}

/** What a hidden value shows. */
export const HIDDEN = '***';

/** `500111196804170022` → `500111********0022`: the division of first registration and the last four. */
export function maskIdNumber(value: string): string {
  const v = value.trim();
  if (v.length <= 10) return '*'.repeat(v.length);
  return `${v.slice(0, 6)}${'*'.repeat(v.length - 10)}${v.slice(-4)}`;
}

/** `李秀英` → `李*`: the surname (first character; two for a known compound surname) and one star. */
const COMPOUND_SURNAMES = ['欧阳', '司马', '诸葛', '上官', '东方', '皇甫', '尉迟', '公孙', '慕容', '长孙', '宇文', '司徒', '夏侯', '令狐'];
export function maskName(value: string): string {
  const chars = [...value.trim()];
  if (chars.length === 0) return '';
  if (/^[\p{Script=Han}]+$/u.test(value.trim())) {
    const surname = chars.length > 2 && COMPOUND_SURNAMES.includes(chars.slice(0, 2).join('')) ? 2 : 1;
    return `${chars.slice(0, surname).join('')}*`;
  }
  // Latin-script names: initials only.
  return value
    .trim()
    .split(/\s+/)
    .map((part) => `${[...part][0]}*`)
    .join(' ');
}

/** `13812341234` → `138****1234`. */
export function maskPhone(value: string): string {
  const v = value.trim();
  if (v.length < 8) return '*'.repeat(v.length);
  return `${v.slice(0, 3)}${'*'.repeat(v.length - 7)}${v.slice(-4)}`;
}

/** `成都市锦江区春熙路街道1号` → `成都市锦江区***`: kept to the district or county, the rest hidden. */
const TO_DISTRICT = /^(?:[^省市区县]{2,7}(?:省|自治区))?(?:[^省市区县]{2,7}(?:市|自治州|地区|盟))?[^省市区县]{1,7}(?:区|县|市|旗)/;
export function maskAddress(value: string): string {
  const m = TO_DISTRICT.exec(value.trim());
  return m ? `${m[0]}${HIDDEN}` : HIDDEN;
}

/** `1968-04-17` → `1968-**-**`: the year only. */
export function maskBirthDate(value: string): string {
  const m = /^(\d{4})/.exec(value.trim());
  return m ? `${m[1]}-**-**` : HIDDEN;
}

/** `6222021234567890123` → `****0123`: the last four digits. */
export function maskAccount(value: string): string {
  const v = value.replace(/\s+/g, '');
  return v.length <= 4 ? '*'.repeat(v.length) : `****${v.slice(-4)}`;
}

/** Masks one leaf value (string, number, boolean, enum symbol) by its kind. Null stays null. */
export function maskValue(kind: PiiKind | string, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value !== 'string') return HIDDEN;
  switch (kind) {
    case 'id-number':
      return maskIdNumber(value);
    case 'name':
      return maskName(value);
    case 'phone':
      return maskPhone(value);
    case 'address':
      return maskAddress(value);
    case 'birth-date':
      return maskBirthDate(value);
    case 'account':
      return maskAccount(value);
    // health, income, property, free-text and any kind this reader does not know: hidden entirely.
    default:
      return HIDDEN;
  }
}
