import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadYearSchedules, missingYears, parseYearSchedule } from './calendar-data';
import { parseCalendarSpec } from './calendar-spec';
import { CHINA_2026_CALENDAR_SPEC } from './china-2026';
import { WorkingCalendar } from './working-calendar';

const DATA = join(__dirname, '..', 'data');

function dirWith(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tongban-calendar-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  return dir;
}

describe('the working-day calendar as data (a file per year)', () => {
  it('holds the published 2026 schedule, the same as the built-in one', () => {
    const [schedule] = loadYearSchedules(DATA).values();
    const builtIn = parseCalendarSpec(CHINA_2026_CALENDAR_SPEC);
    expect(schedule).toMatchObject({ year: 2026, holidays: builtIn.holidays, workdays: builtIn.workdays });
    expect(schedule.source).toContain('2026年部分节假日安排');
  });

  it('loads a new year from a file, without a code change', () => {
    const dir = dirWith({
      '2026.json': { year: 2026, holidays: ['2026-10-01..2026-10-07'], workdays: ['2026-10-10'] },
      '2027.json': { year: 2027, source: 'test', holidays: ['2027-01-01'], workdays: ['2027-01-02'] },
      'notes.txt': 'ignored',
    });
    const cal = WorkingCalendar.fromDirectory(dir);
    expect(cal.isWorkingDay('2027-01-01')).toBe(false); // a Friday declared a holiday
    expect(cal.isWorkingDay('2027-01-02')).toBe(true); // a Saturday declared a working day
    expect(cal.missingYears(2026, 2028)).toEqual([2028]);
  });

  it('falls back to weekends only for a year without a schedule, and says so once per year', () => {
    const cal = WorkingCalendar.fromDirectory(DATA);
    const missing: number[] = [];
    cal.onMissingYear = (year) => missing.push(year);
    expect(cal.isWorkingDay('2026-10-01')).toBe(false);
    expect(missing).toEqual([]);
    expect(cal.isWorkingDay('2027-01-01')).toBe(true); // no 2027 notice: a plain Friday
    expect(cal.isWorkingDay('2027-01-02')).toBe(false); // a plain Saturday
    expect(cal.addWorkingDays('2027-01-01', 3)).toBe('2027-01-06');
    expect(missing).toEqual([2027]);
    expect(cal.hasSchedule(2026)).toBe(true);
    expect(cal.hasSchedule(2027)).toBe(false);
  });

  it('does not warn for a calendar given as a spec string (the operator chose it)', () => {
    const cal = WorkingCalendar.fromSpec('holidays=2027-01-01');
    const missing: number[] = [];
    cal.onMissingYear = (year) => missing.push(year);
    cal.isWorkingDay('2030-05-01');
    expect(missing).toEqual([]);
    expect(cal.missingYears(2026, 2030)).toEqual([]);
  });

  it.each([
    [{ year: 2027, holidays: ['2026-12-31'] }, '2026-12-31 is not in 2027'],
    [{ year: '2027', holidays: [] }, '"year" must be a whole number'],
    [{ year: 2027, holidays: '2027-01-01' }, '"holidays" must be a list'],
    [{ year: 2027, workdays: ['2027-01-04'] }, 'is a weekday already'],
  ])('refuses a file %j: %s', (content, problem) => {
    expect(() => parseYearSchedule(JSON.stringify(content), '2027.json')).toThrow(problem);
  });

  it('refuses a file named for one year holding another', () => {
    expect(() => loadYearSchedules(dirWith({ '2028.json': { year: 2027, holidays: [] } }))).toThrow('the file holds year 2027');
  });

  it('lists the years of a range without a schedule', () => {
    expect(missingYears([2026], 2025, 2028)).toEqual([2025, 2027, 2028]);
  });
});
