import { contractsDir } from '@tongban/config';
import { ReleasedContracts, compareWithReleased, schemaIdProblems } from './released-contracts';

/**
 * CI gate: every event schema in contracts/avro must stay compatible with its released versions
 * (contracts/released) under its subject's mode, and every released version must hold its fixed schema
 * id (released/schema-ids.json). Exit 1 names each subject, field and reason.
 */
export function main(argv: string[] = process.argv.slice(2), out: (line: string) => void = (line) => void process.stdout.write(line + '\n')): number {
  const root = argv[0] ?? contractsDir();
  let reports;
  const released = new ReleasedContracts(root);
  try {
    reports = compareWithReleased(released);
  } catch (e) {
    out(`contracts: ${(e as Error).message}`);
    return 1;
  }
  const breaking = reports.filter((r) => r.status === 'breaking' || r.status === 'removed');
  const added = reports.filter((r) => r.status === 'new');
  for (const r of breaking) {
    for (const message of r.messages) out(`BREAKING ${r.subject}${r.mode ? ` (${r.mode})` : ''}: ${message}`);
  }
  const compatible = reports.filter((r) => r.status === 'compatible').length;
  const newOnes = added.length ? ` (not released yet: ${added.map((r) => r.subject).join(', ')})` : '';
  const summary = `${compatible} compatible, ${added.length} new${newOnes}, ${breaking.length} breaking`;
  out(breaking.length ? `contracts: ${summary}: fix the schemas, or start a new major version (cn.tongban.<workflow>.v<n+1>)` : `contracts: ${summary}`);
  // The registries of both provinces import the ids: a released version without one would get a local id.
  const idProblems = schemaIdProblems(released);
  for (const p of idProblems) out(`SCHEMA IDS: ${p}`);
  return breaking.length || idProblems.length ? 1 : 0;
}

if (require.main === module) process.exitCode = main();
