import { randomBytes } from 'node:crypto';

/** A short id that makes topic, group and database names of one test run unique. */
export function uniqueId(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}
