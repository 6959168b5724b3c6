import { createHash, timingSafeEqual } from 'node:crypto';
import { TongbanError } from '@tongban/errors';

export type Role = 'viewer' | 'operator' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

/** What each role may do; each role has everything of the roles before it. */
export type Permission =
  | 'dlq.read'
  | 'dlq.replay'
  | 'dlq.discard'
  | 'dlq.edit'
  | 'audit.read'
  | 'dlq.read-clear'
  | 'audit.verify'
  | 'delivery.read'
  | 'delivery.redeliver'
  | 'pipeline.read';
const VIEWER: Permission[] = ['dlq.read', 'delivery.read', 'pipeline.read'];
const OPERATOR: Permission[] = [...VIEWER, 'dlq.replay', 'dlq.discard', 'dlq.edit', 'delivery.redeliver', 'audit.read'];
const GRANTS: Record<Role, Permission[]> = {
  viewer: VIEWER,
  operator: OPERATOR,
  admin: [...OPERATOR, 'dlq.read-clear', 'audit.verify'],
};

/** The least role that holds a permission (the roles grant more from viewer to admin). */
export function leastRoleFor(permission: Permission): Role {
  return ROLES.find((role) => GRANTS[role].includes(permission))!;
}

export interface OperatorSpec {
  name: string;
  token: string;
  role: Role;
}

export interface Operator {
  name: string;
  role: Role;
  permissions: Permission[];
}

export class UnauthenticatedError extends TongbanError {
  constructor(message: string) {
    super('OPS.OPERATOR_UNAUTHENTICATED', message);
  }
}

export class ForbiddenError extends TongbanError {
  constructor(message: string) {
    super('OPS.OPERATOR_FORBIDDEN', message);
  }
}

/** Parses `name:token:role` triples, comma-separated; returns a problem text per bad one. */
export function parseOperatorSpec(spec: string): { operators: OperatorSpec[]; problems: string[] } {
  const operators: OperatorSpec[] = [];
  const problems: string[] = [];
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const parts = item.split(':');
    const [name, token, role] = parts;
    if (parts.length !== 3 || !name || !token || !role) problems.push(`"${name ?? '?'}:…" is not name:token:role`);
    else if (!/^[\w.-]{1,64}$/.test(name)) problems.push(`operator name "${name}" must be letters, digits, _, . or -`);
    else if (token.length < 12) problems.push(`token of ${name} is shorter than 12 characters`);
    else if (!(ROLES as readonly string[]).includes(role)) problems.push(`role of ${name} must be one of ${ROLES.join(', ')}, got "${role}"`);
    else if (operators.some((o) => o.name === name)) problems.push(`operator ${name} is listed twice`);
    else operators.push({ name, token, role: role as Role });
  }
  return { operators, problems };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Operator tokens, kept only as SHA-256 digests and compared in constant time. */
export class OperatorRegistry {
  private readonly entries: Array<{ digest: Buffer; operator: Operator }>;

  constructor(specs: OperatorSpec[]) {
    this.entries = specs.map(({ name, token, role }) => ({ digest: digest(token), operator: { name, role, permissions: GRANTS[role] } }));
  }

  authenticate(authorization: string | undefined): Operator {
    if (!authorization) throw new UnauthenticatedError('missing Authorization: Bearer <operator token>');
    const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!m) throw new UnauthenticatedError('Authorization must be "Bearer <operator token>"');
    const presented = digest(m[1]);
    let found: Operator | undefined;
    for (const e of this.entries) if (timingSafeEqual(e.digest, presented)) found = e.operator;
    if (!found) throw new UnauthenticatedError('unknown operator token');
    return found;
  }

  /** Authenticates and checks one permission. */
  require(authorization: string | undefined, permission: Permission): Operator {
    const operator = this.authenticate(authorization);
    if (!operator.permissions.includes(permission)) {
      throw new ForbiddenError(`${operator.name} (${operator.role}) may not ${permission}`);
    }
    return operator;
  }
}
