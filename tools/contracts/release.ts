import { contractsDir } from '@tongban/config';
import { EVENT_COMPATIBILITY, ReleasedContracts, compareWithReleased } from './released-contracts';

/**
 * Records the current event and service record schemas as released (contracts/released/<fullName>.avsc, with a history
 * per subject for the transitive modes) and the mode of each subject in compatibility.json.
 * Refuses a breaking change unless `--force`. Every released version gets its fixed schema id in
 * `released/schema-ids.json`, which each province's registry imports (ids kept forever, never reused);
 * `--ids-only` writes that file for the released versions alone, releasing nothing.
 */
export function main(argv: string[] = process.argv.slice(2), out: (line: string) => void = (line) => void process.stdout.write(line + '\n')): number {
  const force = argv.includes('--force');
  const root = argv.find((a) => !a.startsWith('--')) ?? contractsDir();
  const released = new ReleasedContracts(root);
  if (argv.includes('--ids-only')) return writeIds(released, out);
  let catalogue;
  let reports;
  try {
    catalogue = released.catalogue();
    reports = compareWithReleased(released, catalogue);
  } catch (e) {
    out(`contracts: ${(e as Error).message}`);
    return 1;
  }
  const breaking = reports.filter((r) => r.status === 'breaking' || r.status === 'removed');
  if (breaking.length && !force) {
    for (const r of breaking) for (const m of r.messages) out(`BREAKING ${r.subject}: ${m}`);
    out(`contracts: not released, ${breaking.length} subject(s) would break; rerun with --force to release anyway`);
    return 1;
  }
  const modes = released.compatibility();
  for (const r of reports.filter((r) => r.status === 'removed')) {
    released.remove(r.subject);
    delete modes.subjects[r.subject];
    out(`contracts: dropped ${r.subject}, no longer in contracts/avro`);
  }
  // A forced break starts the subject's history again, or every later check would fail against it.
  for (const r of reports.filter((r) => r.status === 'breaking')) {
    released.remove(r.subject);
    out(`contracts: ${r.subject} released with a breaking change; its history starts again`);
  }
  const counts = { new: 0, changed: 0, unchanged: 0 };
  // Events and service records (cn.tongban.audit.*) alike: both cross the link between the provinces, whose
  // services upgrade in any order, so both get EVENT_COMPATIBILITY and a fixed id.
  const subjects = catalogue.releasable();
  for (const { fullName, schema } of subjects) {
    counts[released.write(fullName, schema)]++;
    modes.subjects[fullName] ??= EVENT_COMPATIBILITY;
  }
  released.writeCompatibility(modes);
  if (writeIds(released, out) !== 0) return 1;
  out(`contracts: released ${subjects.length} subject(s): ${counts.new} new, ${counts.changed} changed, ${counts.unchanged} unchanged`);
  return 0;
}

/** Gives the released versions their fixed ids; with `--ids-only`, without releasing the current schemas. */
function writeIds(released: ReleasedContracts, out: (line: string) => void): number {
  let ids;
  try {
    ids = released.writeSchemaIds();
  } catch (e) {
    out(`contracts: ${(e as Error).message}`);
    return 1;
  }
  out(`contracts: ${ids.schemas.filter((e) => !e.retired).length} released schema version(s) hold fixed ids (released/schema-ids.json)`);
  return 0;
}

if (require.main === module) process.exitCode = main();
