import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(__dirname, '../../contracts/examples');

export type ExampleBody = {
  eventType: string;
  caseId: string;
  sourceRegion: string;
  targetRegion: string;
  occurredAt: string;
  sourceOffice?: string | null;
  payload: Record<string, unknown>;
  [k: string]: unknown;
};

/** A fresh copy of contracts/examples/<eventType>.json, optionally with its case id made unique. */
export function example(eventType: string, caseSuffix?: string): ExampleBody {
  const body = JSON.parse(readFileSync(join(dir, `${eventType}.json`), 'utf8')) as ExampleBody;
  if (caseSuffix) body.caseId = `${body.caseId}-${caseSuffix}`;
  return body;
}

export function exampleTypes(): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}
