import type { Registry } from 'prom-client';
import type { JsonLogger } from './json-logger';
import { counter, histogram } from './metrics';
import { OPS_PATHS } from './ops-paths';

/** What the middleware needs of an Express request and response, so this lib depends on no server library. */
interface Req {
  method: string;
  baseUrl?: string;
  route?: { path?: unknown };
}
interface Res {
  statusCode: number;
  /** Express's per-request locals: an authenticating handler may leave `caller` (the calling system) there. */
  locals?: { caller?: unknown };
  once(event: 'finish' | 'close', listener: () => void): unknown;
}

/**
 * Counts every HTTP request and times it, by method, route pattern and status: which routes are used,
 * which fail and how slowly, 4xx included. The route is the matched pattern (`/v1/cases/:caseId`),
 * never the URL, so that ids and ID numbers do not become label values; unmatched requests are
 * `unmatched`. Install it before the routes: `app.use(httpMetrics(registry, logger))`.
 *
 * With a logger it also writes one access line per answered request (`http request`: method, route, status,
 * duration, and the calling system when the handler named it), 4xx included so that support can see which system
 * fails; answers of 400 and more at `warn` when they are 5xx. Health probes and scrapes are left out.
 */
export function httpMetrics(registry: Registry, logger?: JsonLogger): (req: Req, res: Res, next: () => void) => void {
  const requests = counter(registry, 'tongban_http_requests_total', 'HTTP requests answered, by method, route and status', ['method', 'route', 'status']);
  const duration = histogram(
    registry,
    'tongban_http_request_duration_seconds',
    'Time from a request arriving to its answer being sent, by method, route and status',
    ['method', 'route', 'status'],
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    let done = false;
    const record = () => {
      if (done) return;
      done = true;
      const path = typeof req.route?.path === 'string' ? `${req.baseUrl ?? ''}${req.route.path}` : 'unmatched';
      const labels = { method: req.method, route: path || '/', status: String(res.statusCode) };
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      requests.inc(labels);
      duration.observe(labels, seconds);
      // Probes and scrapes, answered every few seconds, would bury the access lines that matter.
      if (logger && !OPS_PATHS.has(labels.route)) {
        const caller = res.locals?.caller;
        logger.event(res.statusCode >= 500 ? 'warn' : 'info', 'http request', {
          method: labels.method,
          route: labels.route,
          status: res.statusCode,
          durationMs: Math.round(seconds * 10_000) / 10,
          ...(typeof caller === 'string' ? { caller } : {}),
        });
      }
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  };
}
