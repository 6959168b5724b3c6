import type { NextFunction, Request, Response } from 'express';
import { OPS_PATHS } from '@tongban/observability';
import { RegistryApiError } from '../domain/registry-errors';

/** What the registry answers with, as Confluent's does. */
export const REGISTRY_MEDIA_TYPE = 'application/vnd.schemaregistry.v1+json';
/** Request bodies the registry reads. */
export const ACCEPTED_MEDIA_TYPES = ['application/vnd.schemaregistry.v1+json', 'application/vnd.schemaregistry+json', 'application/json'];

export function sendRegistryError(res: Response, status: number, errorCode: number, message: string, extra: Record<string, unknown> = {}): void {
  res
    .status(status)
    .type(REGISTRY_MEDIA_TYPE)
    .send(JSON.stringify({ error_code: errorCode, message, ...extra }));
}

export function sendApiError(res: Response, error: RegistryApiError): void {
  res.status(error.httpStatus).type(REGISTRY_MEDIA_TYPE).send(JSON.stringify(error.body()));
}

/**
 * Express middleware in front of the Nest routes: answers in the registry's media type, refuses a
 * body in any other media type (415), reads JSON bodies up to `limitBytes` (413 beyond) and answers
 * a malformed one with 400. (Read here rather than by Nest's body parser, whose errors bypass filters.)
 */
export function registryHttpMiddleware(limitBytes = 8 * 1024 * 1024) {
  return (req: Request, res: Response, next: NextFunction): void => {
    // Health and metrics are answered by OpsController in its own formats.
    if (OPS_PATHS.has(req.path)) return next();
    res.setHeader('Content-Type', REGISTRY_MEDIA_TYPE);
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody) return next();
    if (!req.is(ACCEPTED_MEDIA_TYPES)) {
      sendRegistryError(
        res,
        415,
        415,
        `Unsupported media type ${String(req.headers['content-type'] ?? '(none)')}; send one of ${ACCEPTED_MEDIA_TYPES.join(', ')}`,
      );
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes && !refused) {
        refused = true;
        sendRegistryError(res, 413, 413, `Request body larger than ${limitBytes} bytes`);
        req.resume();
      } else if (!refused) chunks.push(chunk);
    });
    req.on('error', (e) => next(e));
    req.on('end', () => {
      if (refused) return;
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        (req as Request & { body?: unknown }).body = text.trim() === '' ? undefined : JSON.parse(text);
      } catch (e) {
        sendRegistryError(res, 400, 400, `Request body is not valid JSON: ${(e as Error).message}`);
        return;
      }
      next();
    });
  };
}

export const flag = (value: unknown): boolean => value === 'true' || value === true;
