import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';

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
  body: { error: { code: string; message: string; details: Array<{ path: string; problem: string }> } };
}

function refusal(status: number, code: string, message: string, path?: string): LimitRefusal {
  return { status, body: { error: { code, message, details: path ? [{ path, problem: message }] : [] } } };
}

/** The problem with a request's target and headers, or undefined. */
export function requestLimitProblem(req: { url: string; headers: Record<string, string | string[] | undefined> }, limits = DEFAULT_REQUEST_LIMITS): LimitRefusal | undefined {
  if (req.url.length > limits.urlChars) {
    return refusal(400, 'VALIDATION_FAILED', `the URL is ${req.url.length} characters long; at most ${limits.urlChars} are accepted`, 'url');
  }
  const correlation = req.headers['x-correlation-id'];
  if (correlation !== undefined) {
    const value = Array.isArray(correlation) ? correlation.join(',') : correlation;
    if (!CORRELATION_ID.test(value)) {
      return refusal(400, 'VALIDATION_FAILED', 'X-Correlation-Id must be 1–128 letters, digits, . _ : or -', 'X-Correlation-Id');
    }
  }
  return undefined;
}

/** The answer for an error body-parser raised, or undefined for any other error. */
export function bodyParserRefusal(err: unknown, limits = DEFAULT_REQUEST_LIMITS): LimitRefusal | undefined {
  const e = err as { type?: string; status?: number; message?: string };
  switch (e?.type) {
    case 'entity.too.large':
      return refusal(413, 'PAYLOAD_TOO_LARGE', `the body is larger than ${limits.bodyBytes} bytes`, 'body');
    case 'entity.parse.failed':
      return refusal(400, 'VALIDATION_FAILED', 'the body is not valid JSON', 'body');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return refusal(415, 'UNSUPPORTED_MEDIA_TYPE', e.message ?? 'unsupported body encoding', 'body');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
    case 'parameters.too.many':
      return refusal(400, 'VALIDATION_FAILED', e.message ?? 'the body could not be read', 'body');
    default:
      return typeof e?.status === 'number' && e.status >= 400 && e.status < 500 ? refusal(e.status, `HTTP_${e.status}`, e.message ?? 'bad request') : undefined;
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
      res.status(problem.status).json(problem.body);
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
    res.status(answer.status).json(answer.body);
  });
}
