import { maskValue } from './pii-kinds';
import { transformPii } from './schema-walker';

/** One personal value found in an event, with where it sits and its kind. */
export interface PiiValue {
  path: string;
  kind: string;
  value: unknown;
}

/**
 * A copy of a decoded event with every field the schema marks `"pii"` masked by its kind
 * (`500111********0022`, `李*`, `138****1234`, addresses to the district, accounts to the last four,
 * health, income, property and free text hidden). The input is left unchanged.
 */
export function maskBySchema<T = unknown>(schema: unknown, value: T): T {
  return transformPii(schema, value, (kind, v) => maskValue(kind, v)) as T;
}

/** Every personal value of an event, e.g. to record in the audit log whose data an operator saw. */
export function collectPii(schema: unknown, value: unknown): PiiValue[] {
  const found: PiiValue[] = [];
  transformPii(schema, value, (kind, v, path) => {
    found.push({ path, kind, value: v });
    return v;
  });
  return found;
}
