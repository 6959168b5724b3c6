import { createHash, timingSafeEqual } from 'node:crypto';
import { TongbanError } from '@tongban/errors';
import { covers, isWellFormedDivision, SERVICE_OFFICES, ServiceOffice } from '@tongban/regions';

/** Who is calling: a municipal system bound to one division (or one service office). */
/**
 * The documented keys of local runs (development profile only; production supplies TONGBAN_API_KEYS from its
 * secret store): Sichuan's Chengdu, Anyue and province keys, Chongqing's Dazu, high-tech zone office and province keys.
 */
export const DEV_API_KEYS = 'dev-chengdu=510100,dev-anyue=512021,dev-dazu=500111,dev-cqhtz=CQ-HTZ,dev-sichuan=510000,dev-chongqing=500000';

export interface Caller {
  keyId: string;
  /** The division the key speaks for; an office key speaks for its parent division's node. */
  division: string;
  office?: ServiceOffice;
  /** The municipal or partner system the key was issued to, when known. */
  system?: string;
}

export class UnauthenticatedError extends TongbanError {
  constructor(message: string) {
    super('AUTH.UNAUTHENTICATED', message);
  }
}

export class ForbiddenRegionError extends TongbanError {
  constructor(message: string) {
    super('AUTH.FORBIDDEN_REGION', message);
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** Parses `key=division` or `key=OFFICE-ID` pairs; returns a problem text per bad pair. */
export function parseApiKeySpec(spec: string): { keys: Array<{ key: string; binding: string }>; problems: string[] } {
  const keys: Array<{ key: string; binding: string }> = [];
  const problems: string[] = [];
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = item.indexOf('=');
    const key = item.slice(0, eq).trim();
    const binding = item.slice(eq + 1).trim();
    if (eq <= 0 || !binding) problems.push(`"${item}" is not key=divisionCode`);
    else if (key.length < 8) problems.push(`key "${key.slice(0, 3)}…" is shorter than 8 characters`);
    else if (!isWellFormedDivision(binding) && !SERVICE_OFFICES.some((o) => o.id === binding)) {
      problems.push(`"${binding}" is neither a 6-digit division code nor a known service office`);
    } else keys.push({ key, binding });
  }
  return { keys, problems };
}

/**
 * API keys of the municipal systems. Only SHA-256 digests are kept in memory; a presented key is
 * compared in constant time.
 */
export class ApiKeyRegistry {
  private readonly entries: Array<{ digest: Buffer; caller: Caller }>;

  constructor(keys: Array<{ key: string; binding: string }>) {
    this.entries = keys.map(({ key, binding }) => {
      const office = SERVICE_OFFICES.find((o) => o.id === binding);
      return {
        digest: digest(key),
        caller: {
          keyId: createHash('sha256').update(key).digest('hex').slice(0, 12),
          division: office ? office.division : binding,
          office,
        },
      };
    });
  }

  authenticate(authorization: string | undefined): Caller {
    if (!authorization) throw new UnauthenticatedError('missing Authorization: Bearer <api key>');
    const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!m) throw new UnauthenticatedError('Authorization must be "Bearer <api key>"');
    const presented = digest(m[1]);
    const found = this.entries.find((e) => timingSafeEqual(e.digest, presented));
    if (!found) throw new UnauthenticatedError('unknown API key');
    return found.caller;
  }

  size(): number {
    return this.entries.length;
  }
}

/** Whether a caller may publish with `sourceRegion` (and, for an office, `sourceOffice`). */
export function mayPublishFor(caller: Caller, sourceRegion: string, sourceOffice?: string | null): string | undefined {
  if (caller.office) {
    if (sourceOffice && sourceOffice !== caller.office.id) {
      return `key of office ${caller.office.id} may not publish for office ${sourceOffice}`;
    }
    if (!caller.office.districts.includes(sourceRegion)) {
      return `key of office ${caller.office.id} may publish only for districts ${caller.office.districts.join(', ')}, not ${sourceRegion}`;
    }
    return undefined;
  }
  if (sourceOffice) return `key for division ${caller.division} may not publish for office ${sourceOffice}`;
  return covers(caller.division, sourceRegion) ? undefined : `key for division ${caller.division} may not publish for ${sourceRegion}`;
}

/** Whether a caller may see a case whose parties are these divisions. */
export function mayView(caller: Caller, division: string): boolean {
  if (caller.office) return caller.office.districts.includes(division);
  return covers(caller.division, division);
}
