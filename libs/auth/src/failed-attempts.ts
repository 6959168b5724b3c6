import type { NextFunction, Request, Response } from 'express';
import { problemDetails, sendProblem } from '@tongban/http';
import { OPS_PATHS } from '@tongban/observability';

/**
 * Failed authentication attempts per client address in a fixed one-minute window. Past the limit the
 * address gets 429 for the rest of the window, whatever it presents, so guessing keys or tokens costs
 * a minute per few tries. Kept per process: each replica allows the limit on its own.
 */
export class FailedAttemptLimiter {
  private readonly windows = new Map<string, { count: number; startedAt: number }>();
  private readonly now: () => number;

  constructor(
    readonly maxFailures: number,
    private readonly windowMs = 60_000,
    now?: () => number,
  ) {
    this.now = now ?? Date.now;
  }

  /** Seconds the address must wait, or 0 when it may try. */
  retryAfter(address: string): number {
    const w = this.current(address);
    if (!w || w.count < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((w.startedAt + this.windowMs - this.now()) / 1000));
  }

  fail(address: string): void {
    const w = this.current(address);
    if (w) w.count++;
    else {
      // Bounded memory under a spread of addresses: expired windows go first.
      if (this.windows.size >= 100_000) this.prune();
      this.windows.set(address, { count: 1, startedAt: this.now() });
    }
  }

  private current(address: string): { count: number; startedAt: number } | undefined {
    const w = this.windows.get(address);
    if (w && w.startedAt + this.windowMs <= this.now()) {
      this.windows.delete(address);
      return undefined;
    }
    return w;
  }

  private prune(): void {
    for (const [address, w] of this.windows) if (w.startedAt + this.windowMs <= this.now()) this.windows.delete(address);
    if (this.windows.size >= 100_000) this.windows.clear();
  }
}

/** Set on a response whose request presented a wrong credential that is not answered 401 (e.g. a wrong admin token: 403). */
export const FAILED_AUTH = 'tongbanFailedAuth';

/**
 * Express middleware: refuses an address over the limit with 429 and Retry-After, and counts every 401
 * (and every response marked FAILED_AUTH) against the address it came from. The address is the socket's
 * peer: behind a proxy, put the limit at the proxy or give each proxy's clients their own route.
 */
export function failedAuthGuard(
  limiter: FailedAttemptLimiter,
  answer: (res: Response, retryAfterSeconds: number) => void = (res, s) =>
    sendProblem(
      res,
      problemDetails({ code: 'AUTH.TOO_MANY_FAILED_ATTEMPTS', detail: `too many failed authentication attempts from this address; retry after ${s} s` }),
    ),
) {
  return (req: Request, res: Response, next: NextFunction): void => {
    // Health and metrics answer without credentials and are never refused for an address's failures.
    if (OPS_PATHS.has(req.path)) return next();
    const address = req.socket.remoteAddress ?? 'unknown';
    const wait = limiter.retryAfter(address);
    if (wait > 0) {
      res.setHeader('Retry-After', String(wait));
      answer(res, wait);
      return;
    }
    res.on('finish', () => {
      if (res.statusCode === 401 || res.locals?.[FAILED_AUTH]) limiter.fail(address);
    });
    next();
  };
}
