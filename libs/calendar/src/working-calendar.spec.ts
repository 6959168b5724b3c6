import { CalendarSpecError, parseCalendarSpec } from './calendar-spec';
import { dayOfWeek, endOfShanghaiDay, shanghaiDateOf } from './local-date';
import { DeadlineRule, parseDeadlineRule, WorkingCalendar } from './working-calendar';

const cal = WorkingCalendar.china2026();

describe('WorkingCalendar (China 2026)', () => {
  it.each([
    ['2026-01-01', false, 'New Year holiday on a Thursday'],
    ['2026-01-04', true, 'Sunday make-up day after New Year'],
    ['2026-01-05', true, 'plain Monday'],
    ['2026-01-10', false, 'plain Saturday'],
    ['2026-02-14', true, 'Saturday make-up day before Spring Festival'],
    ['2026-02-23', false, 'last day of Spring Festival, a Monday'],
    ['2026-02-28', true, 'Saturday make-up day after Spring Festival'],
    ['2026-05-09', true, 'Saturday make-up day after Labour Day'],
    ['2026-09-20', true, 'Sunday make-up day before National Day'],
    ['2026-10-07', false, 'National Day holiday on a Wednesday'],
    ['2026-10-08', true, 'first Thursday after National Day'],
    ['2026-10-10', true, 'Saturday make-up day after National Day'],
    ['2026-10-11', false, 'plain Sunday'],
    ['2027-01-01', true, 'a 2027 date with no schedule configured is a plain Friday'],
  ])('says %s is a working day: %s (%s)', (date, expected) => {
    expect(cal.isWorkingDay(date)).toBe(expected);
  });

  it.each([
    ['2026-11-02', 2, '2026-11-04'],
    ['2026-11-06', 1, '2026-11-09'],
    ['2026-09-30', 1, '2026-10-08'],
    ['2026-09-30', 2, '2026-10-09'],
    ['2026-09-30', 3, '2026-10-10'],
    ['2026-02-13', 1, '2026-02-14'],
    ['2026-02-14', 1, '2026-02-24'],
    ['2026-10-01', 0, '2026-10-01'],
    ['2026-10-08', -1, '2026-09-30'],
    ['2026-11-02', 20, '2026-11-30'],
  ])('counts from %s %i working days to %s', (from, n, expected) => {
    expect(cal.addWorkingDays(from, n)).toBe(expected);
  });

  it.each([
    ['2026-01-31', 30, '2026-03-02'],
    ['2026-12-31', 1, '2027-01-01'],
    ['2028-02-28', 1, '2028-02-29'],
  ])('adds to %s %i calendar days: %s', (from, n, expected) => {
    expect(cal.addCalendarDays(from, n)).toBe(expected);
  });

  it.each<[string, DeadlineRule, string]>([
    ['2026-11-02T01:30:00Z', { unit: 'working-days', amount: 2 }, '2026-11-04T16:00:00.000Z'],
    ['2026-11-01T17:00:00Z', { unit: 'working-days', amount: 2 }, '2026-11-04T16:00:00.000Z'], // 01:00 on Monday local
    ['2026-11-01T15:59:00Z', { unit: 'working-days', amount: 2 }, '2026-11-03T16:00:00.000Z'], // 23:59 on Sunday local
    ['2026-09-29T02:00:00Z', { unit: 'working-days', amount: 2 }, '2026-10-08T16:00:00.000Z'],
    ['2026-11-02T01:30:00Z', { unit: 'calendar-days', amount: 30 }, '2026-12-02T16:00:00.000Z'],
    ['2026-11-02T01:30:00Z', { unit: 'hours', amount: 24 }, '2026-11-03T01:30:00.000Z'],
  ])('puts the deadline from %s with %j at %s', (from, rule, expected) => {
    expect(cal.deadline(new Date(from), rule).toISOString()).toBe(expected);
  });

  it('ends a local day at 16:00Z and reads the local date of an instant', () => {
    expect(endOfShanghaiDay('2026-11-04').toISOString()).toBe('2026-11-04T16:00:00.000Z');
    expect(shanghaiDateOf(new Date('2026-11-04T16:00:00Z'))).toBe('2026-11-05');
    expect(shanghaiDateOf(new Date('2026-11-04T15:59:59Z'))).toBe('2026-11-04');
    expect(dayOfWeek('2026-01-01')).toBe(4);
  });

  it('refuses a fractional or negative deadline', () => {
    expect(() => cal.deadline(new Date(), { unit: 'working-days', amount: 1.5 })).toThrow(RangeError);
    expect(() => cal.deadline(new Date(), { unit: 'hours', amount: -1 })).toThrow(RangeError);
  });
});

describe('calendar spec', () => {
  it('reads holidays, ranges and make-up days', () => {
    const c = WorkingCalendar.fromSpec('holidays=2027-01-01,2027-02-06..2027-02-08; workdays=2027-01-31');
    expect(c.isWorkingDay('2027-01-01')).toBe(false);
    expect(c.isWorkingDay('2027-02-08')).toBe(false);
    expect(c.isWorkingDay('2027-01-31')).toBe(true);
    expect(c.isWorkingDay('2026-10-01')).toBe(true); // not configured: a plain Thursday
  });

  it.each([
    ['holidays=2026-02-30', '2026-02-30'],
    ['holidays=2026-10-08..2026-10-01', '2026-10-08..2026-10-01'],
    ['holiday=2026-10-01', 'holiday=2026-10-01'],
    ['workdays=2026-10-09', '2026-10-09'],
    ['holidays=2026-10-10;workdays=2026-10-10', '2026-10-10'],
    ['holidays=26-10-01', '26-10-01'],
    ['holidays=2026-10-01;holidays=2026-10-02', 'holidays=2026-10-02'],
  ])('refuses %s naming the bad item %s', (text, item) => {
    let error: unknown;
    try {
      parseCalendarSpec(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CalendarSpecError);
    expect((error as CalendarSpecError).item).toBe(item);
    expect((error as Error).message).toContain(item);
  });

  it('takes TONGBAN_CALENDAR from the environment, the 2026 schedule when unset', () => {
    expect(WorkingCalendar.fromEnv({}).isWorkingDay('2026-10-01')).toBe(false);
    expect(WorkingCalendar.fromEnv({ TONGBAN_CALENDAR: '' }).isWorkingDay('2026-10-01')).toBe(true);
  });

  it.each([
    ['2wd', { unit: 'working-days', amount: 2 }],
    ['30d', { unit: 'calendar-days', amount: 30 }],
    ['24h', { unit: 'hours', amount: 24 }],
    ['2 days', undefined],
  ])('reads the deadline rule %s', (text, rule) => {
    expect(parseDeadlineRule(text)).toEqual(rule);
  });
});
