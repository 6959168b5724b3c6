import { loadYearSchedules, missingYears } from './calendar-data';
import { CalendarSpec, parseCalendarSpec } from './calendar-spec';
import { CHINA_2026_CALENDAR_SPEC } from './china-2026';
import { addDays, endOfShanghaiDay, isWeekend, LocalDate, shanghaiDateOf } from './local-date';

/** `seconds` exists for tests and drills that must see a deadline pass without waiting for days. */
export type DeadlineUnit = 'working-days' | 'calendar-days' | 'hours' | 'seconds';

/** How long a party has: N working days, N calendar days (both to the end of the last local day) or N hours. */
export interface DeadlineRule {
  unit: DeadlineUnit;
  amount: number;
}

export const CALENDAR_ENV = 'TONGBAN_CALENDAR';

/**
 * Working days of Asia/Shanghai: Monday to Friday, minus public holidays, plus make-up working days
 * (调休: a Saturday or Sunday worked in exchange for a longer holiday).
 */
export class WorkingCalendar {
  private readonly holidays: ReadonlySet<LocalDate>;
  private readonly workdays: ReadonlySet<LocalDate>;
  /** Years with a published schedule; undefined when the calendar does not know (a spec string: no warnings). */
  private readonly published?: ReadonlySet<number>;
  private readonly reported = new Set<number>();
  /**
   * Called once per year the first time a date of a year without a published schedule is asked about: that
   * year falls back to weekends only (the node logs a warning and sets a metric).
   */
  onMissingYear?: (year: number) => void;

  constructor(spec: CalendarSpec = { holidays: [], workdays: [] }, publishedYears?: Iterable<number>) {
    this.holidays = new Set(spec.holidays);
    this.workdays = new Set(spec.workdays);
    this.published = publishedYears ? new Set(publishedYears) : undefined;
  }

  /** The schedules of a data directory (see `loadYearSchedules`); years without a file count weekends only. */
  static fromDirectory(dir: string): WorkingCalendar {
    const schedules = [...loadYearSchedules(dir).values()];
    return new WorkingCalendar(
      { holidays: schedules.flatMap((s) => s.holidays), workdays: schedules.flatMap((s) => s.workdays) },
      schedules.map((s) => s.year),
    );
  }

  /** Whether a year has a published schedule (true for every year of a calendar made from a spec string). */
  hasSchedule(year: number): boolean {
    return this.published ? this.published.has(year) : true;
  }

  /** The years of a range without a published schedule. */
  missingYears(from: number, to: number): number[] {
    return this.published ? missingYears(this.published, from, to) : [];
  }

  /** From a spec string (see `parseCalendarSpec`); throws `CalendarSpecError` naming the bad item. */
  static fromSpec(text: string): WorkingCalendar {
    return new WorkingCalendar(parseCalendarSpec(text));
  }

  /** China's published 2026 schedule (`CHINA_2026_CALENDAR_SPEC`). */
  static china2026(): WorkingCalendar {
    return WorkingCalendar.fromSpec(CHINA_2026_CALENDAR_SPEC);
  }

  /** `TONGBAN_CALENDAR` when set (even to an empty string: weekends only), else the 2026 default. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): WorkingCalendar {
    const text = env[CALENDAR_ENV];
    return text === undefined ? WorkingCalendar.china2026() : WorkingCalendar.fromSpec(text);
  }

  isWorkingDay(date: LocalDate): boolean {
    if (this.published) {
      const year = Number(date.slice(0, 4));
      if (!this.published.has(year) && !this.reported.has(year)) {
        this.reported.add(year);
        this.onMissingYear?.(year);
      }
    }
    if (this.workdays.has(date)) return true;
    if (this.holidays.has(date)) return false;
    return !isWeekend(date);
  }

  /**
   * The Nth working day after `date` (the day itself is not counted, as in "within 2 working days");
   * n = 0 returns `date` itself, a negative n counts backwards.
   */
  addWorkingDays(date: LocalDate, n: number): LocalDate {
    if (!Number.isInteger(n)) throw new RangeError(`working days must be a whole number, got ${n}`);
    const step = n < 0 ? -1 : 1;
    let day = date;
    for (let left = Math.abs(n); left > 0;) {
      day = addDays(day, step);
      if (this.isWorkingDay(day)) left--;
    }
    return day;
  }

  addCalendarDays(date: LocalDate, n: number): LocalDate {
    if (!Number.isInteger(n)) throw new RangeError(`calendar days must be a whole number, got ${n}`);
    return addDays(date, n);
  }

  /** `date` when it is a working day, else the first working day after it. */
  nextWorkingDayOnOrAfter(date: LocalDate): LocalDate {
    let day = date;
    while (!this.isWorkingDay(day)) day = addDays(day, 1);
    return day;
  }

  /**
   * When a period starting at `from` ends: for days, 24:00 Asia/Shanghai (16:00Z) of the last day, counted
   * from the day after `from`'s local date; for hours, plain addition.
   */
  deadline(from: Date, rule: DeadlineRule): Date {
    if (!(rule.amount >= 0) || !Number.isInteger(rule.amount)) {
      throw new RangeError(`a deadline amount must be a whole number ≥ 0, got ${rule.amount}`);
    }
    switch (rule.unit) {
      case 'hours':
        return new Date(from.getTime() + rule.amount * 3_600_000);
      case 'seconds':
        return new Date(from.getTime() + rule.amount * 1000);
      case 'calendar-days':
        return endOfShanghaiDay(this.addCalendarDays(shanghaiDateOf(from), rule.amount));
      case 'working-days':
        return endOfShanghaiDay(this.addWorkingDays(shanghaiDateOf(from), rule.amount));
      default:
        throw new RangeError(`unknown deadline unit ${(rule as DeadlineRule).unit}`);
    }
  }
}

const RULE_TEXT = /^(\d+)\s*(wd|d|h|s)$/;

/** Reads `2wd` (working days), `30d` (calendar days) or `24h` (hours); undefined when malformed. */
export function parseDeadlineRule(text: string): DeadlineRule | undefined {
  const m = RULE_TEXT.exec(text.trim());
  if (!m) return undefined;
  const unit: DeadlineUnit = m[2] === 'wd' ? 'working-days' : m[2] === 'd' ? 'calendar-days' : m[2] === 's' ? 'seconds' : 'hours';
  return { unit, amount: Number(m[1]) };
}

export function formatDeadlineRule(rule: DeadlineRule): string {
  const suffix = { 'working-days': 'wd', 'calendar-days': 'd', hours: 'h', seconds: 's' }[rule.unit];
  return `${rule.amount}${suffix}`;
}
