import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CalendarSpec, CalendarSpecError, parseCalendarSpec } from './calendar-spec';

/** One published schedule: the file `<year>.json` of the calendar data directory. */
export interface YearSchedule extends CalendarSpec {
  year: number;
  source: string;
}

const YEAR_FILE = /^(\d{4})\.json$/;

/** Reads and checks one year's file: every date inside the year, the same rules as a calendar spec. */
export function parseYearSchedule(text: string, file: string): YearSchedule {
  let raw: { year?: unknown; source?: unknown; holidays?: unknown; workdays?: unknown };
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CalendarSpecError(file, `not JSON: ${(e as Error).message}`);
  }
  const year = raw.year;
  if (typeof year !== 'number' || !Number.isInteger(year)) throw new CalendarSpecError(file, '"year" must be a whole number');
  const list = (name: 'holidays' | 'workdays'): string[] => {
    const value = raw[name] ?? [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new CalendarSpecError(file, `"${name}" must be a list of dates or ranges`);
    return value as string[];
  };
  const spec = parseCalendarSpec(`holidays=${list('holidays').join(',')};workdays=${list('workdays').join(',')}`);
  const outside = [...spec.holidays, ...spec.workdays].find((d) => Number(d.slice(0, 4)) !== year);
  if (outside) throw new CalendarSpecError(file, `${outside} is not in ${year}`);
  return { year, source: typeof raw.source === 'string' ? raw.source : '', ...spec };
}

/** Every `<year>.json` of a directory, by year; a file named for one year but holding another is refused. */
export function loadYearSchedules(dir: string): Map<number, YearSchedule> {
  const schedules = new Map<number, YearSchedule>();
  for (const name of readdirSync(dir).sort()) {
    const m = YEAR_FILE.exec(name);
    if (!m) continue;
    const schedule = parseYearSchedule(readFileSync(join(dir, name), 'utf8'), name);
    if (schedule.year !== Number(m[1])) throw new CalendarSpecError(name, `the file holds year ${schedule.year}`);
    schedules.set(schedule.year, schedule);
  }
  return schedules;
}

/** The years of a range that have no published schedule. */
export function missingYears(published: Iterable<number>, from: number, to: number): number[] {
  const have = new Set(published);
  const missing: number[] = [];
  for (let y = from; y <= to; y++) if (!have.has(y)) missing.push(y);
  return missing;
}
