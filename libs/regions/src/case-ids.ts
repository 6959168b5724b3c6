import { covers } from './division-code';

/** The events that open a case (the first event of each workflow); the region node's state machines agree (spec). */
export const CASE_OPENING_EVENTS: readonly string[] = [
  'SubsidyApplicationSubmitted',
  'MarriageRegistrationRequested',
  'DivorceApplicationFiled',
  'DeathRegistered',
  'EconomicCheckRequested',
];

/**
 * Case ids are namespaced by their opener, so that no division can take an id another will use: the
 * second `-`-separated part names who opened the case, a division code the sender's region covers
 * (`SUB-510104-2026-000123`, opened by Jinjiang or by Chengdu) or, for a service office, its id without
 * the dash (`MAR-CQHTZ-2026-000045`, opened by CQ-HTZ). Returns the problem, or undefined.
 */
export function caseIdOpenerProblem(caseId: string, sourceRegion: string, sourceOffice?: string | null): string | undefined {
  const opener = caseId.split('-')[1] ?? '';
  if (sourceOffice) {
    const own = sourceOffice.replace(/-/g, '');
    return opener === own ? undefined : `a case opened by office ${sourceOffice} must have an id of the form <PREFIX>-${own}-…`;
  }
  if (/^\d{6}$/.test(opener) && covers(sourceRegion, opener)) return undefined;
  return `a case opened by ${sourceRegion} must have an id of the form <PREFIX>-<a division code ${sourceRegion} covers>-…`;
}
