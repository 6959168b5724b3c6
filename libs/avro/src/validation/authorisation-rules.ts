import type { Problem } from '@tongban/errors';

/**
 * Events that disclose a person's data on the strength of a signed authorisation or consent must carry
 * its reference (no authorisation, no check: 家庭经济状况核对 needs the members' 授权书). Checked by
 * the gateway on every event and by ops on every corrected replay.
 */
const AUTHORISATION_FIELDS: Record<string, { field: string; what: string }> = {
  EconomicCheckRequested: { field: 'authorisationRef', what: "the household members' signed authorisation (授权书); no authorisation, no check" },
  SubsidyApplicationSubmitted: { field: 'consentRef', what: "the applicant's signed consent to share data" },
};
const REFERENCE = /^[\x21-\x7e]{3,100}$/;

/** The problem with an event's authorisation reference, if any; `prefix` is the payload's path (`payload`, or '' for a whole record). */
export function authorisationProblems(eventType: string, payload: Record<string, unknown>, prefix = 'payload'): Problem[] {
  const rule = AUTHORISATION_FIELDS[eventType];
  if (!rule) return [];
  const value = payload[rule.field];
  if (typeof value === 'string' && REFERENCE.test(value.trim())) return [];
  // Absent or not a string: the schema check already names the field.
  if (value === undefined || typeof value !== 'string') return [];
  return [{ path: prefix ? `${prefix}.${rule.field}` : rule.field, problem: `is required: the reference of ${rule.what} (3–100 visible characters)` }];
}
