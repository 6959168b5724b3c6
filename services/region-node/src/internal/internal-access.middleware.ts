import type { NextFunction, Request, Response } from 'express';
import type { DataSource } from 'typeorm';
import { authenticateService, SERVICE_HEADERS } from '@tongban/auth';
import { problemDetails, sendProblem } from '@tongban/http';
import { type JsonLogger, OPS_PATHS } from '@tongban/observability';

/** Who called the internal API, as the middleware established it; read by the controllers. */
export interface InternalCaller {
  actor: string;
  /** The caller a case query is made for, from the gateway's headers (never from the query string). */
  viewer?: { division: string; office?: string };
}

export function internalCallerOf(req: Request): InternalCaller {
  const caller = (req as Request & { internalCaller?: InternalCaller }).internalCaller;
  // The middleware runs before every route; a request without a caller never reaches a controller.
  if (!caller) throw new Error('internal caller missing: the access middleware is not installed');
  return caller;
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Every route of the node's HTTP port but health and metrics (`OPS_PATHS`: no personal data, read by
 * probes) needs the service token the gateway and the ops service share with the node. Every request that changes something (hold release and
 * any later action) names its actor and is written to the log and to `internal_actions` once answered.
 */
export function internalAccess(token: string, dataSource: DataSource, logger: JsonLogger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (OPS_PATHS.has(req.path)) return next();
    const mutating = !['GET', 'HEAD', 'OPTIONS'].includes(req.method);
    const r = authenticateService(
      {
        token: header(req, SERVICE_HEADERS.token),
        actor: header(req, SERVICE_HEADERS.actor),
        viewerDivision: header(req, SERVICE_HEADERS.viewerDivision),
        viewerOffice: header(req, SERVICE_HEADERS.viewerOffice),
      },
      token,
      mutating,
    );
    if (!r.ok) {
      logger.event('warn', 'internal request refused', { method: req.method, path: req.path, status: r.status, reason: r.message });
      sendProblem(res, problemDetails({ code: r.code, detail: r.message, status: r.status }));
      return;
    }
    (req as Request & { internalCaller?: InternalCaller }).internalCaller = { actor: r.actor, viewer: r.viewer };
    if (mutating) {
      res.on('finish', () => {
        const entry = { actor: r.actor, method: req.method, path: req.originalUrl.slice(0, 500), status: res.statusCode };
        logger.event('info', 'internal action', entry);
        dataSource
          .query('INSERT INTO internal_actions (at, actor, method, path, status) VALUES (UTC_TIMESTAMP(3), ?, ?, ?, ?)', [
            entry.actor,
            entry.method,
            entry.path,
            entry.status,
          ])
          .catch((e) => logger.event('error', 'internal action not recorded', { ...entry, error: (e as Error).message }));
      });
    }
    next();
  };
}
