import { Division, KNOWN_DIVISIONS } from './divisions';

const SIX_DIGITS = /^\d{6}$/;

/** Well formed: six digits, a real province prefix (11–82 in GB/T 2260). */
export function isWellFormedDivision(code: string): boolean {
  if (!SIX_DIGITS.test(code)) return false;
  const province = Number(code.slice(0, 2));
  return province >= 11 && province <= 82;
}

/** The province of a division: its first two digits followed by zeros. */
export function provinceOf(code: string): string {
  return `${code.slice(0, 2)}0000`;
}

/**
 * Whether a key bound to `holder` may speak for `division`: codes are hierarchical, so a city key
 * (510100) covers its districts (5101xx) and a province key (510000) the whole province.
 */
export function covers(holder: string, division: string): boolean {
  if (holder === division) return true;
  if (holder.endsWith('0000')) return division.startsWith(holder.slice(0, 2));
  if (holder.endsWith('00')) return division.startsWith(holder.slice(0, 4));
  return false;
}

export class DivisionCatalogue {
  private readonly byCode: Map<string, Division>;

  constructor(extra: Division[] = []) {
    this.byCode = new Map([...KNOWN_DIVISIONS, ...extra].map((d) => [d.code, d]));
  }

  get(code: string): Division | undefined {
    return this.byCode.get(code);
  }

  /** A problem text for a division code, or undefined when it is known. */
  problemWith(code: unknown): string | undefined {
    if (typeof code !== 'string') return 'must be a 6-digit administrative division code';
    if (!isWellFormedDivision(code)) return `"${code}" is not a 6-digit administrative division code (GB/T 2260)`;
    if (!this.byCode.has(code)) return `division ${code} is not served by tongban`;
    return undefined;
  }

  all(): Division[] {
    return [...this.byCode.values()];
  }
}
