/** How old a dead letter is, counted from when it was parked: the buckets of `GET /v1/dlq/counts`. */
export const AGE_BUCKETS = ['<1h', '1h-1d', '1d-7d', '>7d'] as const;
export type AgeBucket = (typeof AGE_BUCKETS)[number];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Each bucket as a half-open interval of parking times `(from, to]` relative to `now`; open ends are undefined. */
export function ageIntervals(now: Date): Array<{ bucket: AgeBucket; from?: Date; to?: Date }> {
  const ago = (ms: number) => new Date(now.getTime() - ms);
  return [
    { bucket: '<1h', from: ago(HOUR) },
    { bucket: '1h-1d', from: ago(DAY), to: ago(HOUR) },
    { bucket: '1d-7d', from: ago(7 * DAY), to: ago(DAY) },
    { bucket: '>7d', to: ago(7 * DAY) },
  ];
}

/** The bucket of one parking time (a time in the future counts as under an hour old). */
export function ageBucket(parkedAt: Date, now: Date): AgeBucket {
  const age = now.getTime() - parkedAt.getTime();
  if (age < HOUR) return '<1h';
  if (age < DAY) return '1h-1d';
  if (age < 7 * DAY) return '1d-7d';
  return '>7d';
}

/** The longest free-text search on failure reasons. */
export const MAX_SEARCH_TEXT = 200;

/** A text matched literally inside a LIKE pattern with `ESCAPE '\\'`: its `%`, `_` and `\` match only themselves. */
export function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** A resident ID number as a person search takes it: 17 digits and a digit or X (normalised upper case). */
export function residentIdNumber(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toUpperCase();
  return /^\d{17}[\dX]$/.test(v) ? v : undefined;
}

/** What a bulk replay would take, shown before it starts: nothing personal, the first letters as a sample. */
export interface ReplayPreview {
  /** Letters matching the filter now. */
  matching: number;
  /** Letters the job would take (the matching ones up to the limit). */
  willReplay: number;
  ratePerSecond: number;
  /** Seconds the publishing alone takes at that rate. */
  estimatedSeconds: number;
  sample: Array<{ id: number; eventType: string | null; caseId: string | null; errorCode: string; region: string | null; parkedAt: string }>;
  /** More letters would be replayed than the sample shows. */
  more: number;
}

export function shapePreview(
  matching: number,
  limit: number,
  ratePerSecond: number,
  rows: Array<{ id: number; eventType: string | null; caseId: string | null; errorCode: string; region: string | null; parkedAt: Date }>,
  sampleSize: number,
): ReplayPreview {
  const willReplay = Math.min(matching, limit);
  const sample = rows.slice(0, Math.min(sampleSize, willReplay)).map((r) => ({
    id: r.id,
    eventType: r.eventType,
    caseId: r.caseId,
    errorCode: r.errorCode,
    region: r.region,
    parkedAt: r.parkedAt.toISOString(),
  }));
  return { matching, willReplay, ratePerSecond, estimatedSeconds: Math.ceil(willReplay / ratePerSecond), sample, more: willReplay - sample.length };
}
