import type { EnvReader } from '@tongban/config';
import { secretEquals } from './api-key-credentials';

/**
 * The service token that the gateway and the ops service present to a region node's internal API,
 * and the headers that travel with it. The viewer headers are believed only on a request that carries
 * the token: the node never takes the viewer from anything the municipal caller could have written.
 */
export const SERVICE_HEADERS = {
  token: 'x-tongban-service-token',
  /** Who asked, for the node's audit: `gateway:<key id>`, `ops:<operator>`. */
  actor: 'x-tongban-actor',
  /** The division of the key a case query is made for (set by the gateway from the authenticated key). */
  viewerDivision: 'x-tongban-viewer-division',
  /** The service office of that key, when it is an office key (e.g. CQ-HTZ). */
  viewerOffice: 'x-tongban-viewer-office',
} as const;

/** The environment variable the gateway, ops and the region nodes share. */
export const SERVICE_TOKEN_VARIABLE = 'TONGBAN_NODE_SERVICE_TOKEN';

/**
 * Reads TONGBAN_NODE_SERVICE_TOKEN: required outside the development profile; in development, when
 * unset, generated once into the local secrets folder so that processes started together agree on it.
 */
export function readServiceToken(r: EnvReader): string {
  return r.secret(SERVICE_TOKEN_VARIABLE, { generate: 'node-service-token' }, { minLength: 32 });
}

/** What a request to a node's internal API presented, read from its headers. */
export interface ServiceRequestHeaders {
  token?: string;
  actor?: string;
  viewerDivision?: string;
  viewerOffice?: string;
}

export type ServiceCaller =
  { ok: true; actor: string; viewer?: { division: string; office?: string } } | { ok: false; status: 400 | 401; code: string; message: string };

const ACTOR = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,119}$/;
const DIVISION = /^\d{6}$/;
const OFFICE = /^[A-Z][A-Z0-9-]{1,19}$/;

/**
 * Decides whether a request to the internal API comes from a service holding the token (compared in
 * constant time), and who it acts for. Actions (`mutating`) must name their actor.
 */
export function authenticateService(headers: ServiceRequestHeaders, expectedToken: string, mutating: boolean): ServiceCaller {
  if (!headers.token) return { ok: false, status: 401, code: 'AUTH.UNAUTHENTICATED', message: `missing ${SERVICE_HEADERS.token}` };
  if (!secretEquals(headers.token, expectedToken)) return { ok: false, status: 401, code: 'AUTH.UNAUTHENTICATED', message: 'wrong service token' };
  if (headers.actor !== undefined && !ACTOR.test(headers.actor)) {
    return { ok: false, status: 400, code: 'AUTH.SERVICE_HEADER_INVALID', message: `${SERVICE_HEADERS.actor} must be 1–120 letters, digits, . _ : @ or -` };
  }
  if (mutating && !headers.actor)
    return { ok: false, status: 400, code: 'AUTH.SERVICE_HEADER_INVALID', message: `an internal action must name its ${SERVICE_HEADERS.actor}` };
  let viewer: { division: string; office?: string } | undefined;
  if (headers.viewerDivision !== undefined || headers.viewerOffice !== undefined) {
    if (!headers.viewerDivision || !DIVISION.test(headers.viewerDivision)) {
      return { ok: false, status: 400, code: 'AUTH.SERVICE_HEADER_INVALID', message: `${SERVICE_HEADERS.viewerDivision} must be a division code` };
    }
    if (headers.viewerOffice !== undefined && !OFFICE.test(headers.viewerOffice)) {
      return { ok: false, status: 400, code: 'AUTH.SERVICE_HEADER_INVALID', message: `${SERVICE_HEADERS.viewerOffice} must be a service office id` };
    }
    viewer = { division: headers.viewerDivision, ...(headers.viewerOffice ? { office: headers.viewerOffice } : {}) };
  }
  return { ok: true, actor: headers.actor ?? 'unnamed', viewer };
}

/** The headers a service sends with a request to a node's internal API. */
export function serviceHeaders(token: string, actor: string, viewer?: { division: string; office?: string }): Record<string, string> {
  return {
    [SERVICE_HEADERS.token]: token,
    [SERVICE_HEADERS.actor]: actor,
    ...(viewer ? { [SERVICE_HEADERS.viewerDivision]: viewer.division } : {}),
    ...(viewer?.office ? { [SERVICE_HEADERS.viewerOffice]: viewer.office } : {}),
  };
}
