import { addDays, daysBetween, isWeekend, LocalDate, localDateProblem } from './local-date';

/** Rest days and make-up working days (调休) that differ from the plain Monday–Friday week. */
export interface CalendarSpec {
  holidays: LocalDate[];
  workdays: LocalDate[];
}

export class CalendarSpecError extends Error {
  constructor(
    readonly item: string,
    problem: string,
  ) {
    super(`TONGBAN_CALENDAR: ${problem} (item "${item}"); expected e.g. holidays=2026-10-01..2026-10-07,2027-01-01;workdays=2026-09-20`);
    this.name = 'CalendarSpecError';
  }
}

const MAX_RANGE_DAYS = 366;

function expandItem(item: string): LocalDate[] {
  const parts = item.split('..');
  if (parts.length > 2) throw new CalendarSpecError(item, 'a range has the form FROM..TO');
  for (const p of parts) {
    const problem = localDateProblem(p);
    if (problem) throw new CalendarSpecError(item, problem);
  }
  if (parts.length === 1) return [parts[0]];
  const span = daysBetween(parts[0], parts[1]);
  if (span < 0) throw new CalendarSpecError(item, 'the range ends before it starts');
  if (span > MAX_RANGE_DAYS) throw new CalendarSpecError(item, `a range may span at most ${MAX_RANGE_DAYS} days`);
  return Array.from({ length: span + 1 }, (_, i) => addDays(parts[0], i));
}

/**
 * Parses `holidays=2026-10-01..2026-10-07,2027-01-01;workdays=2026-09-20,2026-10-10`. Either section may be
 * left out; an empty string is an empty spec (weekends only). A make-up working day must be a Saturday or a
 * Sunday, and no date may be both a holiday and a working day.
 */
export function parseCalendarSpec(text: string): CalendarSpec {
  const spec: CalendarSpec = { holidays: [], workdays: [] };
  const seen = new Set<string>();
  for (const rawSection of text.split(';')) {
    const section = rawSection.trim();
    if (!section) continue;
    const eq = section.indexOf('=');
    const key = eq < 0 ? section : section.slice(0, eq).trim();
    if (eq < 0 || (key !== 'holidays' && key !== 'workdays')) {
      throw new CalendarSpecError(section, 'a section is holidays=… or workdays=…');
    }
    if (seen.has(key)) throw new CalendarSpecError(section, `section ${key} appears twice`);
    seen.add(key);
    for (const rawItem of section.slice(eq + 1).split(',')) {
      const item = rawItem.trim();
      if (!item) continue;
      const dates = expandItem(item);
      if (key === 'workdays') {
        const weekday = dates.find((d) => !isWeekend(d));
        if (weekday) throw new CalendarSpecError(item, `${weekday} is a weekday already; a make-up working day is a Saturday or Sunday`);
      }
      spec[key].push(...dates);
    }
  }
  const workdays = new Set(spec.workdays);
  const both = spec.holidays.find((d) => workdays.has(d));
  if (both) throw new CalendarSpecError(both, `${both} is listed both as a holiday and as a working day`);
  return spec;
}

export function formatCalendarSpec(spec: CalendarSpec): string {
  return `holidays=${spec.holidays.join(',')};workdays=${spec.workdays.join(',')}`;
}
