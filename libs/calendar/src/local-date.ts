/**
 * Local dates of Asia/Shanghai as `YYYY-MM-DD` strings. China has kept UTC+8 without daylight saving
 * since 1991, so the offset is a constant and no time-zone database is needed.
 */
export type LocalDate = string;

const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A problem text for a local date, or undefined when it is a real `YYYY-MM-DD` date. */
export function localDateProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a date YYYY-MM-DD';
  const m = LOCAL_DATE.exec(value);
  if (!m) return `"${value}" is not a date YYYY-MM-DD`;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) {
    return `"${value}" is not a real date`;
  }
  return undefined;
}

export function isLocalDate(value: unknown): value is LocalDate {
  return localDateProblem(value) === undefined;
}

function assertLocalDate(value: LocalDate): void {
  const problem = localDateProblem(value);
  if (problem) throw new RangeError(problem);
}

/** Days since 1970-01-01 of a local date (the calendar arithmetic is done on this number). */
function dayNumber(date: LocalDate): number {
  assertLocalDate(date);
  return Math.round(Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10)) / DAY_MS);
}

function fromDayNumber(n: number): LocalDate {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(date: LocalDate, n: number): LocalDate {
  return fromDayNumber(dayNumber(date) + n);
}

/** Whole days from `a` to `b` (positive when `b` is later). */
export function daysBetween(a: LocalDate, b: LocalDate): number {
  return dayNumber(b) - dayNumber(a);
}

/** 0 Sunday … 6 Saturday. */
export function dayOfWeek(date: LocalDate): number {
  return (((dayNumber(date) + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

export function isWeekend(date: LocalDate): boolean {
  const d = dayOfWeek(date);
  return d === 0 || d === 6;
}

/** The Asia/Shanghai local date of an instant. */
export function shanghaiDateOf(instant: Date): LocalDate {
  return new Date(instant.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** 00:00 Asia/Shanghai of a local date, as an instant (16:00Z of the day before). */
export function startOfShanghaiDay(date: LocalDate): Date {
  return new Date(dayNumber(date) * DAY_MS - SHANGHAI_OFFSET_MS);
}

/** 24:00 Asia/Shanghai of a local date, as an instant: 16:00Z of that date. */
export function endOfShanghaiDay(date: LocalDate): Date {
  return new Date((dayNumber(date) + 1) * DAY_MS - SHANGHAI_OFFSET_MS);
}
