import { Problem, ValidationError } from '@tongban/errors';
import { DEAD_LETTER_STATES, DeadLetterFilter, DeadLetterState, WORKFLOWS } from '../domain/dead-letter';
import { MAX_SEARCH_TEXT } from '../domain/triage';

const TEXT_FILTERS = ['region', 'topic', 'workflow', 'eventType', 'errorClass', 'errorCode', 'caseId', 'eventId', 'correlationId'] as const;

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const s = String(value).trim();
  return s === '' ? undefined : s;
}

/** Reads list and bulk-replay filters from a query string or a JSON body, listing every bad one. */
export function parseFilter(input: Record<string, unknown>, problems: Problem[] = []): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  const state = text(input.state);
  if (state !== undefined) {
    if ((DEAD_LETTER_STATES as readonly string[]).includes(state)) filter.state = state as DeadLetterState;
    else problems.push({ path: 'state', problem: `must be one of ${DEAD_LETTER_STATES.join(', ')}` });
  }
  for (const name of TEXT_FILTERS) {
    const v = text(input[name]);
    if (v !== undefined) filter[name] = v.slice(0, 300);
  }
  const q = text(input.q);
  if (q !== undefined) {
    if (q.length > MAX_SEARCH_TEXT) problems.push({ path: 'q', problem: `must be at most ${MAX_SEARCH_TEXT} characters` });
    else filter.q = q;
  }
  // The nodes' names of the workflows, as the dead letters store them: another value would match nothing.
  if (filter.workflow !== undefined && !(WORKFLOWS as readonly string[]).includes(filter.workflow)) {
    problems.push({ path: 'workflow', problem: `must be one of ${WORKFLOWS.join(', ')}` });
    delete filter.workflow;
  }
  for (const name of ['from', 'to'] as const) {
    const v = text(input[name]);
    if (v === undefined) continue;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) problems.push({ path: name, problem: 'must be an ISO-8601 time such as 2026-11-02T09:30:00Z' });
    else filter[name] = d;
  }
  return filter;
}

export function parsePaging(input: Record<string, unknown>, problems: Problem[]): { limit: number; cursor?: number } {
  const limitText = text(input.limit);
  const limit = limitText === undefined ? 50 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) problems.push({ path: 'limit', problem: 'must be a whole number from 1 to 500' });
  const cursorText = text(input.cursor);
  const cursor = cursorText === undefined ? undefined : Number(cursorText);
  if (cursor !== undefined && (!Number.isInteger(cursor) || cursor < 1))
    problems.push({ path: 'cursor', problem: 'must be the nextCursor of a previous page' });
  return { limit: Number.isInteger(limit) ? limit : 50, cursor };
}

export function failOn(problems: Problem[]): void {
  if (problems.length > 0) throw new ValidationError(problems);
}
