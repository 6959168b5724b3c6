import type { Problem } from '@tongban/errors';

/** The query parameters `GET /v1/cases` passes to the node; anything else is refused, never forwarded. */
export const CASE_QUERY_PARAMETERS = ['workflow', 'state', 'limit', 'cursor', 'updatedSince'] as const;

/** The fields of `POST /v1/cases:search` besides `limit`. */
const SEARCH_FIELDS = ['person', 'workflow', 'state', 'cursor', 'updatedSince'];

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

const WORKFLOW = /^[a-z][a-z-]{0,39}$/;
const STATE = /^[a-z][a-z0-9_-]{0,39}$/;

/** `GET /v1/cases?workflow=&state=&limit=&cursor=&updatedSince=`: the whitelisted parameters, each checked. */
export function searchQueryFrom(query: Record<string, unknown>): Parsed<Record<string, string>> {
  const problems: Problem[] = [];
  const value: Record<string, string> = {};
  for (const [name, raw] of Object.entries(query)) {
    if (name === 'person' || name === 'idNumber') {
      problems.push({ path: name, problem: 'ID numbers are not taken in URLs: send {"person": "<ID number>"} in the body of POST /v1/cases:search' });
    } else if (!(CASE_QUERY_PARAMETERS as readonly string[]).includes(name)) {
      problems.push({ path: name, problem: `is not a parameter of this query (allowed: ${CASE_QUERY_PARAMETERS.join(', ')})` });
    } else if (typeof raw !== 'string') {
      problems.push({ path: name, problem: 'must be given once' });
    } else {
      value[name] = raw;
    }
  }
  checkFields(value, problems);
  return problems.length ? { ok: false, problems } : { ok: true, value };
}

/** The body of `POST /v1/cases:search`: `{"person"?, "workflow"?, "state"?, "limit"?, "cursor"?, "updatedSince"?}`. */
export function caseSearchFrom(body: unknown): Parsed<Record<string, string | number>> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { ok: false, problems: [{ path: '', problem: 'body must be a JSON object' }] };
  const problems: Problem[] = [];
  const value: Record<string, string | number> = {};
  for (const [name, raw] of Object.entries(body as Record<string, unknown>)) {
    if (name === 'limit') {
      if (!Number.isInteger(raw) || (raw as number) < 1 || (raw as number) > 500)
        problems.push({ path: 'limit', problem: 'must be a whole number from 1 to 500' });
      else value.limit = raw as number;
    } else if (!SEARCH_FIELDS.includes(name)) {
      problems.push({ path: name, problem: `is not a field of a case search (allowed: ${SEARCH_FIELDS.join(', ')}, limit)` });
    } else if (typeof raw !== 'string') {
      problems.push({ path: name, problem: 'must be a string' });
    } else {
      value[name] = raw;
    }
  }
  if (typeof value.person === 'string' && !/^\d{17}[\dXx]$/.test(value.person))
    problems.push({ path: 'person', problem: 'must be an 18-character resident ID number' });
  checkFields(value, problems);
  return problems.length ? { ok: false, problems } : { ok: true, value };
}

function checkFields(value: Record<string, unknown>, problems: Problem[]): void {
  if (typeof value.workflow === 'string' && !WORKFLOW.test(value.workflow))
    problems.push({ path: 'workflow', problem: 'must be a workflow name such as disability-subsidy' });
  if (typeof value.state === 'string' && !STATE.test(value.state)) problems.push({ path: 'state', problem: 'must be a state name such as under-review' });
  if (typeof value.limit === 'string' && !/^\d{1,3}$/.test(value.limit)) problems.push({ path: 'limit', problem: 'must be a whole number from 1 to 500' });
  if (typeof value.cursor === 'string' && !/^[A-Za-z0-9_-]{1,400}$/.test(value.cursor))
    problems.push({ path: 'cursor', problem: 'must be the nextCursor of the page before' });
  if (typeof value.updatedSince === 'string' && !/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(value.updatedSince)) {
    problems.push({ path: 'updatedSince', problem: 'must be an ISO-8601 time with its offset, such as 2026-11-30T00:00:00Z' });
  }
}
