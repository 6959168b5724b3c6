import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { problemDetails, type ProblemDetails, sendProblem } from './problem-details';

/** What one HTTP request may carry. Bodies above the limit get 413, the rest 400; nothing reaches a handler. */
export interface RequestLimits {
  /** Largest body, in bytes (JSON and form bodies). */
  bodyBytes: number;
  /** Longest request target (path and query), in characters. */
  urlChars: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = { bodyBytes: 1024 * 1024, urlChars: 2048 };

/** `X-Correlation-Id` travels into logs, envelopes and Kafka headers: short and plain. */
export const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface LimitRefusal {
  status: number;
  body: ProblemDetails;
}

function refusal(code: string, message: string, path?: string, status?: number, legacyCode?: string): LimitRefusal {
  const body = problemDetails({ code, detail: message, problems: path ? [{ path, problem: message }] : undefined, status, legacyCode });
  return { status: body.status, body };
}

/** The problem with a request's target and headers, or undefined. */
export function requestLimitProblem(
  req: { url: string; headers: Record<string, string | string[] | undefined> },
  limits = DEFAULT_REQUEST_LIMITS,
): LimitRefusal | undefined {
  if (req.url.length > limits.urlChars) {
    return refusal('REQUEST.URL_TOO_LONG', `the URL is ${req.url.length} characters long; at most ${limits.urlChars} are accepted`, 'url');
  }
  const correlation = req.headers['x-correlation-id'];
  if (correlation !== undefined) {
    const value = Array.isArray(correlation) ? correlation.join(',') : correlation;
    if (!CORRELATION_ID.test(value)) {
      return refusal('REQUEST.CORRELATION_ID_INVALID', 'X-Correlation-Id must be 1–128 letters, digits, . _ : or -', 'X-Correlation-Id');
    }
  }
  return undefined;
}

/** The answer for an error body-parser raised, or undefined for any other error. */
export function bodyParserRefusal(err: unknown, limits = DEFAULT_REQUEST_LIMITS): LimitRefusal | undefined {
  const e = err as { type?: string; status?: number; message?: string };
  switch (e?.type) {
    case 'entity.too.large':
      return refusal('REQUEST.BODY_TOO_LARGE', `the body is larger than ${limits.bodyBytes} bytes`, 'body');
    case 'entity.parse.failed':
      return refusal('REQUEST.MALFORMED_JSON', 'the body is not valid JSON', 'body');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return refusal('REQUEST.UNSUPPORTED_ENCODING', e.message ?? 'unsupported body encoding', 'body');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
    case 'parameters.too.many':
      return refusal('REQUEST.BODY_UNREADABLE', e.message ?? 'the body could not be read', 'body');
    default:
      return typeof e?.status === 'number' && e.status >= 400 && e.status < 500
        ? refusal('REQUEST.REFUSED', e.message ?? 'bad request', undefined, e.status, `HTTP_${e.status}`)
        : undefined;
  }
}

/**
 * Puts the limits in front of every route: a URL or X-Correlation-Id out of bounds gets 400, a body
 * over the limit 413 and one that is not JSON 400, each as a problem body. With `parseBodies` false
 * (a service that reads its own bodies) only the URL and header checks are installed.
 */
export function installRequestLimits(app: INestApplication, limits = DEFAULT_REQUEST_LIMITS, parseBodies = true): void {
  app.use((req: Request, res: Response, next: NextFunction) => {
    const problem = requestLimitProblem(req, limits);
    if (problem) {
      sendProblem(res, problem.body);
      return;
    }
    next();
  });
  if (!parseBodies) return;
  const express = app as NestExpressApplication;
  // Registered before Nest's defaults, so these limits are the ones in force.
  express.useBodyParser('json', { limit: limits.bodyBytes });
  express.useBodyParser('urlencoded', { limit: limits.bodyBytes, extended: true });
  app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const answer = bodyParserRefusal(err, limits);
    if (!answer) return next(err);
    if (res.headersSent) return next(err);
    sendProblem(res, answer.body);
  });
}
