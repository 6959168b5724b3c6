import { isLocalDate, LocalDate, shanghaiDateOf } from '@tongban/calendar';
import { parseIdNumber, IdNumberInfo } from '@tongban/regions';
import { GuardFailedError } from './casework.errors';

/** Reading decoded payloads: every failure is a not-retriable refusal naming the field. */
export function invalid(path: string, problem: string): GuardFailedError {
  return new GuardFailedError('PAYLOAD_INVALID', `${path}: ${problem}`);
}

export function toInstant(value: unknown, path = 'occurredAt'): Date {
  const date = value instanceof Date ? value : typeof value === 'number' || typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw invalid(path, 'must be an instant');
  return date;
}

export function asRecord(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(path, 'must be an object');
  return value as Record<string, unknown>;
}

export function text(record: Record<string, unknown>, field: string, path = field): string {
  const value = record[field];
  if (typeof value !== 'string' || value.trim() === '') throw invalid(path, 'must be a non-empty text');
  return value;
}

export function optionalText(record: Record<string, unknown>, field: string): string | undefined {
  const value = record[field];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

export function list(record: Record<string, unknown>, field: string, path = field): unknown[] {
  const value = record[field];
  if (!Array.isArray(value)) throw invalid(path, 'must be a list');
  return value;
}

/**
 * An Avro `date` arrives as `YYYY-MM-DD` text (JSON bodies), a Date at UTC midnight, or days since the epoch.
 */
export function localDate(record: Record<string, unknown>, field: string, path = field): LocalDate {
  const value = record[field];
  if (typeof value === 'string' && isLocalDate(value)) return value;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString().slice(0, 10);
  if (typeof value === 'number' && Number.isInteger(value)) return new Date(value * 86_400_000).toISOString().slice(0, 10);
  throw invalid(path, 'must be a date YYYY-MM-DD');
}

export function optionalLocalDate(record: Record<string, unknown>, field: string): LocalDate | undefined {
  return record[field] === undefined || record[field] === null ? undefined : localDate(record, field);
}

export function localDateOf(instant: Date): LocalDate {
  return shanghaiDateOf(instant);
}

/**
 * A date a payload reports as having happened (a registration, a filing, a death) cannot lie after the event
 * that reports it, nor after today: an event may not announce what has not happened yet.
 */
export function happenedBy(date: LocalDate, path: string, occurredAt: Date, now: Date): LocalDate {
  const reported = localDateOf(occurredAt);
  const today = localDateOf(now);
  const limit = reported < today ? reported : today;
  if (date > limit) {
    throw new GuardFailedError('DATE_AFTER_EVENT', `${path}: ${date} is after ${limit === reported ? `the event (occurred ${reported})` : `today (${today})`}`);
  }
  return date;
}

/** The same for a month: a payment month cannot lie after the month of the event that reports it. */
export function monthHappenedBy(m: string, path: string, occurredAt: Date, now: Date): string {
  const limit = [localDateOf(occurredAt), localDateOf(now)].sort()[0].slice(0, 7);
  if (m > limit) throw new GuardFailedError('DATE_AFTER_EVENT', `${path}: ${m} is after the month of the event (${limit})`);
  return m;
}

export function idNumber(value: unknown, path: string, now: Date): IdNumberInfo {
  const parsed = parseIdNumber(value, now);
  if (typeof parsed === 'string') throw invalid(path, parsed);
  return parsed;
}

export interface Person {
  idNumber: string;
  name: string;
  hukouDivision: string;
}

/** A PersonRef: ID number (validated and normalised), name, hukou division. */
export function person(value: unknown, path: string, now: Date): Person {
  const record = asRecord(value, path);
  return {
    idNumber: idNumber(record.idNumber, `${path}.idNumber`, now).value,
    name: text(record, 'name', `${path}.name`),
    hukouDivision: text(record, 'hukouDivision', `${path}.hukouDivision`),
  };
}

/** Months of payment as `YYYY-MM` (a subsidy is paid per calendar month). */
export type Month = string;
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function isMonth(value: unknown): value is Month {
  return typeof value === 'string' && MONTH.test(value);
}

export function month(record: Record<string, unknown>, field: string, path = field): Month {
  const value = record[field];
  if (!isMonth(value)) throw invalid(path, 'must be a month YYYY-MM');
  return value;
}

export function monthOf(date: LocalDate): Month {
  return date.slice(0, 7);
}

export function addMonths(m: Month, n: number): Month {
  const index = Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1 + n;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

export function compareMonths(a: Month, b: Month): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
