import { json, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { bodyParserRefusal, DEFAULT_REQUEST_LIMITS, inFlightLimit, requestLimitProblem, sendProblem } from '@tongban/http';

/** `POST /v1/events:batch`, as Express routes it (case-insensitive, with or without a trailing slash). */
const BATCH_PATH = /^\/v1\/events:batch\/?$/i;

export interface BatchLimits {
  /** Largest batch body, in bytes. */
  maxBytes: number;
  /** Batch uploads worked on at once; one more is answered 503 with Retry-After before its body is read. */
  maxInFlight: number;
  onRefused?: () => void;
}

/**
 * The limits of batch uploads, put in front of the gateway's own request limits: a batch body may be
 * larger than the 1 MiB of every other route (up to `maxBytes`), so at most `maxInFlight` of them are read
 * and worked on at once. The URL and header checks run first, as for every request; a body over the limit
 * is 413 and one that is not JSON 400, answered as the other routes answer them. Any other request passes
 * through untouched (and is parsed by the ordinary 1 MiB parser).
 */
export function batchRequestLimits(limits: BatchLimits): RequestHandler {
  const parse = json({ limit: limits.maxBytes });
  const bodyLimits = { ...DEFAULT_REQUEST_LIMITS, bodyBytes: limits.maxBytes };
  // The same bound as every request's, with its own count: past it, 503 OVERLOADED before the body is read.
  const bound = inFlightLimit(limits.maxInFlight, limits.onRefused);
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'POST' || !BATCH_PATH.test(req.path)) return next();
    const problem = requestLimitProblem(req);
    if (problem) return sendProblem(res, problem.body);
    bound(req, res, () =>
      parse(req, res, (err?: unknown) => {
        if (!err) return next();
        const answer = bodyParserRefusal(err, bodyLimits);
        if (!answer || res.headersSent) return next(err);
        sendProblem(res, answer.body);
      }),
    );
  };
}
