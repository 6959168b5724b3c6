import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@tongban/config';

const examplesDir = () => join(repoRoot(), 'contracts', 'examples');

/**
 * The body of `POST /v1/events` as a municipal system sends it (contracts/examples/<EventType>.json are such
 * bodies): what is left out, the gateway fills in or refuses. Any other field is there to be refused.
 */
export interface EventBody {
  eventType: string;
  caseId: string;
  sourceRegion: string;
  targetRegion: string;
  occurredAt: string;
  sourceOffice?: string | null;
  targetOffice?: string | null;
  correlationId?: string | null;
  causationId?: string | null;
  payload: Record<string, unknown>;
  [field: string]: unknown;
}

/** The event types contracts/examples holds a body of, sorted. */
export function exampleTypes(): string[] {
  return readdirSync(examplesDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** A fresh copy of contracts/examples/<eventType>.json, its case id made unique with `caseSuffix` when given. */
export function exampleBody(eventType: string, caseSuffix?: string): EventBody {
  const body = JSON.parse(readFileSync(join(examplesDir(), `${eventType}.json`), 'utf8')) as EventBody;
  if (caseSuffix) body.caseId = `${body.caseId}-${caseSuffix}`;
  return body;
}
