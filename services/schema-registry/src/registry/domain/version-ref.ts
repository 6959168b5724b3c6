import { registryErrors } from './registry-errors';

/** A version in a path: a number from 1 to 2^31-1, or `latest` (also written -1). */
export type VersionRef = number | 'latest';

const MAX_VERSION = 2 ** 31 - 1;

export function parseVersionRef(raw: string): VersionRef {
  if (raw === 'latest' || raw === '-1') return 'latest';
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n >= 1 && n <= MAX_VERSION) return n;
  }
  throw registryErrors.invalidVersion(raw);
}

/** Subjects are free text in Confluent's API; tongban keeps them to what the store can index. */
export function checkSubject(subject: string): string {
  if (!subject || subject.length > 255) throw registryErrors.invalidSubject('a subject has 1 to 255 characters');

  if (/[\u0000-\u001f]/.test(subject)) throw registryErrors.invalidSubject('a subject has no control characters');
  return subject;
}
