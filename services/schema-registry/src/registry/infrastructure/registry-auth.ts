import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { OPS_PATHS } from '@tongban/observability';
import { registryErrors } from '../domain/registry-errors';
import { sendApiError } from './registry-http';

export const REGISTRY_ROLES = ['admin', 'read'] as const;
export type RegistryRole = (typeof REGISTRY_ROLES)[number];

export interface RegistryUser {
  name: string;
  password: string;
  /** admin: every request; read: every request that changes nothing (services, partners decoding). */
  role: RegistryRole;
}

/** Parses `name:password:role` items; the password is everything between the first and the last colon. */
export function parseRegistryUsers(spec: string): { users: RegistryUser[]; problems: string[] } {
  const users: RegistryUser[] = [];
  const problems: string[] = [];
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const first = item.indexOf(':');
    const last = item.lastIndexOf(':');
    const name = item.slice(0, Math.max(first, 0));
    const password = first >= 0 && last > first ? item.slice(first + 1, last) : '';
    const role = last > first ? item.slice(last + 1) : '';
    if (!name || !password || !role) problems.push(`"${name || '?'}:…" is not name:password:role`);
    else if (!/^[\w.-]{1,64}$/.test(name)) problems.push(`registry user name "${name}" must be letters, digits, _, . or -`);
    else if (password.length < 16) problems.push(`password of registry user ${name} is shorter than 16 characters`);
    else if (!(REGISTRY_ROLES as readonly string[]).includes(role)) problems.push(`role of registry user ${name} must be admin or read, got "${role}"`);
    else if (users.some((u) => u.name === name)) problems.push(`registry user ${name} is listed twice`);
    else users.push({ name, password, role: role as RegistryRole });
  }
  return { users, problems };
}

/** Whether a request changes the registry: register, delete, and every PUT (config, mode). */
export function isWrite(method: string, path: string): boolean {
  const m = method.toUpperCase();
  if (m === 'PUT' || m === 'DELETE') return true;
  // Express matches routes case-insensitively, so must this.
  return m === 'POST' && /^\/subjects\/[^/]+\/versions\/?$/i.test(path);
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** The user behind an `Authorization: Basic` header, compared in constant time; undefined when none matches. */
export function basicUser(users: RegistryUser[], authorization: string | undefined): RegistryUser | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization?.trim() ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  const name = text.slice(0, colon);
  const presented = digest(text.slice(colon + 1));
  let found: RegistryUser | undefined;
  for (const u of users) if (timingSafeEqual(digest(u.password), presented) && u.name === name) found = u;
  return found;
}

/**
 * HTTP basic authentication as Confluent's clients send it: 401 (40101) without a valid user, 403
 * (40301) for a reader's write. Health and metrics (`OPS_PATHS`) stay open for probes.
 */
export function registryAuthMiddleware(users: RegistryUser[]) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (OPS_PATHS.has(req.path)) return next();
    const user = basicUser(users, req.headers.authorization);
    if (!user) {
      res.setHeader('WWW-Authenticate', 'Basic realm="tongban-schema-registry"');
      sendApiError(res, registryErrors.unauthorized());
      return;
    }
    if (user.role !== 'admin' && isWrite(req.method, req.path)) {
      sendApiError(res, registryErrors.forbidden(user.name, `${req.method} ${req.path}`));
      return;
    }
    next();
  };
}
