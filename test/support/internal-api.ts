import { serviceHeaders } from '@tongban/auth';

/** Headers of a call to a region node's internal API, as the gateway or ops send them in this stack. */
export function internalHeaders(stack: { env: Record<string, string> }, actor: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...serviceHeaders(stack.env.TONGBAN_NODE_SERVICE_TOKEN, actor), ...extra };
}
