import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TongbanError } from '@tongban/errors';

/** Who receives a copy of an event; see contracts/policy/minimisation.json for each role's meaning. */
export type RecipientRole = 'addressee' | 'origin' | 'webhook';
export const RECIPIENT_ROLES: readonly RecipientRole[] = ['addressee', 'origin', 'webhook'];

export interface MinimisationPolicyFile {
  version: number;
  redaction: { string: string };
  roles: Record<string, string>;
  defaults?: Partial<Record<RecipientRole, string[]>>;
  events: Record<string, Partial<Record<RecipientRole, string[]>>>;
}

export class MinimisationPolicyError extends TongbanError {
  constructor(message: string) {
    super('MINIMISATION.POLICY_INVALID', message);
  }
}

export function minimisationPolicyPath(contractsDir: string): string {
  return join(contractsDir, 'policy', 'minimisation.json');
}

export function readMinimisationPolicy(file: string): MinimisationPolicyFile {
  let parsed: MinimisationPolicyFile;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as MinimisationPolicyFile;
  } catch (e) {
    throw new MinimisationPolicyError(`${file} is not readable JSON: ${(e as Error).message}`);
  }
  if (parsed.version !== 1) throw new MinimisationPolicyError(`${file}: version ${parsed.version} is not supported (1)`);
  if (typeof parsed.redaction?.string !== 'string') throw new MinimisationPolicyError(`${file}: redaction.string is required`);
  return parsed;
}
