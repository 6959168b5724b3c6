import type { Response } from 'express';
import { errorCodeEntry, type ErrorKind, type Problem, TongbanError, ValidationError } from '@tongban/errors';

/** RFC 9457's media type: every error answer of tongban's HTTP APIs (but the registry's Confluent API). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Where problem types live: `type` is this followed by the code, lowercased, `.` as `/`, `_` as `-`. */
export const PROBLEM_TYPE_BASE = 'https://tongban.example/problems/';

/** The HTTP status of each kind: the only mapping from errors to statuses. */
export const STATUS_OF_KIND: Record<ErrorKind, number> = {
  Invalid: 400,
  Unauthenticated: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  TooLarge: 413,
  UnsupportedMediaType: 415,
  Unprocessable: 422,
  RateLimited: 429,
  Internal: 500,
  Unavailable: 503,
};

/** The title of a code no entry describes (a code made up by a test, say). */
const KIND_TITLES: Record<ErrorKind, string> = {
  Invalid: 'The input breaks a rule',
  Unauthenticated: 'No valid credential',
  Forbidden: 'Not allowed',
  NotFound: 'Not found',
  Conflict: 'Conflicts with the current state',
  TooLarge: 'Too large',
  UnsupportedMediaType: 'Unsupported media type',
  Unprocessable: 'Cannot be processed',
  RateLimited: 'Too many requests',
  Internal: 'Internal error',
  Unavailable: 'Unavailable; try again later',
};

/** `AUTH.FORBIDDEN_REGION` → `https://tongban.example/problems/auth/forbidden-region`. */
export function problemType(code: string): string {
  return PROBLEM_TYPE_BASE + code.toLowerCase().replace(/\./g, '/').replace(/_/g, '-');
}

/**
 * An RFC 9457 problem body. `code` is the taxonomy's code; `problems` lists each field of a bad input.
 * `error` is the body answered before RFC 9457, kept for the clients that read it: deprecated.
 */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  problems?: Problem[];
  /** @deprecated read `code`, `detail` and `problems`. */
  error: { code: string; message: string; details: Problem[] };
}

export interface ProblemInput {
  code: string;
  detail: string;
  /** Defaults to the code's kind's status. */
  status?: number;
  kind?: ErrorKind;
  problems?: Problem[];
  legacyCode?: string;
  instance?: string;
}

/** The problem body of one refusal. */
export function problemDetails(p: ProblemInput): ProblemDetails {
  const entry = errorCodeEntry(p.code);
  const kind = p.kind ?? entry?.kind ?? 'Internal';
  const problems = p.problems ?? [];
  return {
    type: problemType(p.code),
    title: entry?.title ?? KIND_TITLES[kind],
    status: p.status ?? STATUS_OF_KIND[kind],
    detail: p.detail,
    code: p.code,
    ...(p.instance ? { instance: p.instance } : {}),
    ...(p.problems ? { problems } : {}),
    error: { code: p.legacyCode ?? entry?.legacy ?? p.code, message: p.detail, details: problems },
  };
}

/** The problem body of a TongbanError: its status is its kind's. */
export function problemOf(error: TongbanError): ProblemDetails {
  return problemDetails({
    code: error.code,
    detail: error.message,
    kind: error.kind,
    legacyCode: error.legacyCode,
    problems: error instanceof ValidationError ? error.problems : undefined,
  });
}

/** Sends `problem` with its status as `application/problem+json`. Headers set before (Retry-After …) stay. */
export function sendProblem(res: Response, problem: ProblemDetails): void {
  res.status(problem.status);
  res.setHeader('Content-Type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`);
  res.send(JSON.stringify(problem));
}
