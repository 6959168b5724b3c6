import { DivisionCatalogue } from './division-code';
import { SERVICE_OFFICES } from './divisions';
import { parseDisabilityCertificate, uniformCreditCodeProblem } from './certificates';
import { parseIdNumber } from './id-number';

/**
 * Checkers for the `"format"` markings of the contracts, each returning a problem text or undefined.
 */
export function formatCheckers(divisions: DivisionCatalogue): Record<string, (value: string) => string | undefined> {
  return {
    'id-number': (v) => {
      const parsed = parseIdNumber(v);
      return typeof parsed === 'string' ? parsed : undefined;
    },
    'division-code': (v) => divisions.problemWith(v),
    'disability-certificate': (v) => {
      const parsed = parseDisabilityCertificate(v);
      return typeof parsed === 'string' ? parsed : undefined;
    },
    uscc: (v) => uniformCreditCodeProblem(v),
    phone: (v) => (/^1[3-9]\d{9}$/.test(v) ? undefined : 'must be an 11-digit mainland mobile number'),
    'year-month': (v) => (/^\d{4}-(0[1-9]|1[0-2])$/.test(v) ? undefined : 'must be a month YYYY-MM'),
    'office-id': (v) => (SERVICE_OFFICES.some((o) => o.id === v) ? undefined : `unknown service office "${v}"`),
  };
}
