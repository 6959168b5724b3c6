import type { Request } from 'express';
import type { Operator, OperatorRegistry, Permission } from './operator-registry';

/** Authenticates the request's bearer token and checks one permission. */
export function operatorOf(registry: OperatorRegistry, req: Request, permission: Permission): Operator {
  return registry.require(req.headers.authorization, permission);
}

/** Nest token of the OperatorRegistry. */
export const OPERATORS = Symbol('OPERATORS');
