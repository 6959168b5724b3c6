export { caseIdOpenerProblem } from '@tongban/regions';

/** A refusal text fit to travel to another region: ID numbers (and certificate numbers built on them) left out. */
export function withoutIdNumbers(text: string): string {
  return text.replace(/\d{17}[\dXx]\d{0,2}/g, '[ID number withheld]');
}
