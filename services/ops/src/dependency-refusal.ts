import { isErrorCode, Problem, TongbanError, ValidationError } from '@tongban/errors';

/**
 * Another service's refusal (a node's, the delivery service's) passed on to the operator as the same problem: its
 * code, detail and problems, prefixed with who refused. A refused credential is ops' own configuration at fault,
 * never the operator's token, so it is answered as the dependency being unavailable; so is anything else odd.
 */
export function dependencyRefusal(who: string, answer: { status: number; body: Record<string, unknown> }, credential: string): Error {
  const code = typeof answer.body.code === 'string' ? answer.body.code : undefined;
  const detail = `${who}: ${typeof answer.body.detail === 'string' ? answer.body.detail : `HTTP ${answer.status}`}`;
  if (answer.status === 401 || answer.status === 403) return new TongbanError('DEPENDENCY.UNAVAILABLE', `${detail} (check ${credential})`, true);
  if (code === 'REQUEST.INVALID' && Array.isArray(answer.body.problems)) return new ValidationError(answer.body.problems as Problem[], detail);
  if (code && isErrorCode(code) && answer.status < 500) return new TongbanError(code, detail);
  return new TongbanError('DEPENDENCY.UNAVAILABLE', detail, true);
}
