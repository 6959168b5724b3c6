import type { NextFunction, Request, Response } from 'express';
import { problemDetails, sendProblem } from './problem-details';

/** Seconds a client refused for want of capacity is asked to wait. */
export const OVERLOAD_RETRY_AFTER_SECONDS = 1;

/** Paths always answered, full or not: an orchestrator must still see whether the process lives. */
const ALWAYS_ANSWERED = /^\/(health(\/.*)?|metrics)(\?|$)/;

export interface InFlightLimit {
  (req: Request, res: Response, next: NextFunction): void;
  /** Requests being worked on now. */
  readonly inFlight: number;
  /** Requests refused since start because the limit was reached. */
  readonly refused: number;
}

/**
 * At most `max` requests worked on at once. One more is answered 503 with Retry-After at once,
 * before its body is read, so a slow or dead dependency (every request waiting on the database) cannot
 * make requests, bodies and their waiting callers pile up in memory without end. A request counts until
 * its answer is sent or its connection is closed, whichever comes first; health and metrics are exempt.
 */
export function inFlightLimit(max: number, onRefused?: () => void): InFlightLimit {
  if (!Number.isInteger(max) || max < 1) throw new Error(`the in-flight limit must be a whole number of at least 1, got ${max}`);
  let inFlight = 0;
  let refused = 0;
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (ALWAYS_ANSWERED.test(req.url)) return next();
    if (inFlight >= max) {
      refused++;
      onRefused?.();
      // The body is not parsed (Node discards it once the answer is sent); the connection stays open, so a
      // client trying again does not add a new TCP handshake to a listen queue that is already long.
      res.setHeader('Retry-After', String(OVERLOAD_RETRY_AFTER_SECONDS));
      sendProblem(res, problemDetails({ code: 'SERVICE.OVERLOADED', detail: `this gateway is working on ${max} requests already; try again shortly` }));
      return;
    }
    inFlight++;
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      inFlight--;
    };
    res.once('finish', release);
    res.once('close', release);
    next();
  };
  return Object.defineProperties(middleware, {
    inFlight: { get: () => inFlight },
    refused: { get: () => refused },
  }) as InFlightLimit;
}
