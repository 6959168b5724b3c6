import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  SCHEMA_ID_MANIFEST_FILE,
  SchemaCatalogue,
  SchemaIdManifest,
  SchemaIdManifestError,
  assignSchemaIds,
  formatSchemaIdManifest,
  readSchemaIdManifest,
  releasedVersionsOf,
  schemaFingerprint,
} from '@tongban/avro';
// Until libs/avro/src/index.ts exports './compatibility', reach it directly.
import { CompatibilityMode, DEFAULT_COMPATIBILITY, StrictRule, checkCompatibility, isCompatibilityMode, normalizedForm } from '@tongban/avro';

/**
 * Events cross two provinces' clusters: municipal systems, region nodes and partner systems reading
 * their inbox directly upgrade in any order, and ops replays dead letters of any age. So a reader of
 * any released version must read data of any other, which is FULL_TRANSITIVE.
 */
export const EVENT_COMPATIBILITY: CompatibilityMode = 'FULL_TRANSITIVE';

export interface CompatibilityFile {
  $comment?: string;
  /** Mode of a subject not listed below. */
  default: CompatibilityMode;
  subjects: Record<string, CompatibilityMode>;
}

const COMMENT =
  'Compatibility mode per subject (record name strategy). Events use FULL_TRANSITIVE: producers and readers in both ' +
  'provinces upgrade in any order and replayed dead letters may be of any age. Written by tools/contracts/release.ts; ' +
  'edit a mode here to override it.';

/** The released baseline under `contracts/released`: the latest schema of each subject and its history. */
export class ReleasedContracts {
  readonly dir: string;

  constructor(readonly contractsRoot: string) {
    this.dir = join(contractsRoot, 'released');
  }

  catalogue(): SchemaCatalogue {
    return new SchemaCatalogue(join(this.contractsRoot, 'avro'));
  }

  compatibility(): CompatibilityFile {
    const file = join(this.dir, 'compatibility.json');
    if (!existsSync(file)) return { default: DEFAULT_COMPATIBILITY, subjects: {} };
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<CompatibilityFile>;
    const out: CompatibilityFile = { default: DEFAULT_COMPATIBILITY, subjects: {} };
    const problems: string[] = [];
    if (parsed.default !== undefined) {
      if (isCompatibilityMode(parsed.default)) out.default = parsed.default;
      else problems.push(`default mode ${JSON.stringify(parsed.default)} is not a compatibility mode`);
    }
    for (const [subject, mode] of Object.entries(parsed.subjects ?? {})) {
      if (isCompatibilityMode(mode)) out.subjects[subject] = mode;
      else problems.push(`${subject}: ${JSON.stringify(mode)} is not a compatibility mode`);
    }
    if (problems.length) throw new Error(`contracts/released/compatibility.json: ${problems.join('; ')}`);
    return out;
  }

  modeOf(subject: string, file = this.compatibility()): CompatibilityMode {
    return file.subjects[subject] ?? file.default;
  }

  /** Subjects with a released schema. */
  subjects(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.avsc'))
      .map((f) => f.slice(0, -'.avsc'.length))
      .sort();
  }

  /**
   * Every released version of `subject`, oldest first: the superseded ones kept in
   * `history/<subject>/v<n>.avsc` (for the transitive modes), then the latest, `<subject>.avsc`.
   */
  versions(subject: string): object[] {
    const latest = join(this.dir, `${subject}.avsc`);
    if (!existsSync(latest)) return [];
    const historyDir = join(this.dir, 'history', subject);
    const previous = existsSync(historyDir)
      ? readdirSync(historyDir)
          .filter((f) => /^v\d+\.avsc$/.test(f))
          .sort((a, b) => Number(a.slice(1, -5)) - Number(b.slice(1, -5)))
          .map((f) => join(historyDir, f))
      : [];
    return [...previous, latest].map((f) => JSON.parse(readFileSync(f, 'utf8')) as object);
  }

  /** Writes `schema` as the latest release of `subject`; a changed schema moves the previous one to the history. */
  write(subject: string, schema: object): 'new' | 'changed' | 'unchanged' {
    const versions = this.versions(subject);
    const latest = versions[versions.length - 1];
    mkdirSync(this.dir, { recursive: true });
    let outcome: 'new' | 'changed' | 'unchanged' = 'new';
    if (latest && normalizedForm(latest) === normalizedForm(schema)) outcome = 'unchanged';
    else if (latest) {
      const historyDir = join(this.dir, 'history', subject);
      mkdirSync(historyDir, { recursive: true });
      writeFileSync(join(historyDir, `v${versions.length}.avsc`), JSON.stringify(latest, null, 2) + '\n');
      outcome = 'changed';
    }
    writeFileSync(join(this.dir, `${subject}.avsc`), JSON.stringify(schema, null, 2) + '\n');
    return outcome;
  }

  /** Drops a subject from the baseline (its event left contracts/avro). */
  remove(subject: string): void {
    rmSync(join(this.dir, `${subject}.avsc`), { force: true });
    rmSync(join(this.dir, 'history', subject), { recursive: true, force: true });
  }

  /** The schema id manifest, or undefined before the first release that wrote one. */
  schemaIds(): SchemaIdManifest | undefined {
    const file = join(this.dir, SCHEMA_ID_MANIFEST_FILE);
    return existsSync(file) ? readSchemaIdManifest(file) : undefined;
  }

  /** Gives every released version its id (kept, or the next free one) and writes the manifest. */
  writeSchemaIds(): SchemaIdManifest {
    let previous: SchemaIdManifest | undefined;
    try {
      previous = this.schemaIds();
    } catch (e) {
      // A broken manifest must be repaired by hand: renumbering would change ids records already carry.
      throw new Error(`${(e as Error).message}; repair it (ids must never change) before releasing`);
    }
    const manifest = assignSchemaIds(previous, new Map(this.subjects().map((s) => [s, this.versions(s)])));
    writeFileSync(join(this.dir, SCHEMA_ID_MANIFEST_FILE), formatSchemaIdManifest(manifest));
    return manifest;
  }

  writeCompatibility(file: CompatibilityFile): void {
    const subjects = Object.fromEntries(Object.entries(file.subjects).sort(([a], [b]) => a.localeCompare(b)));
    writeFileSync(join(this.dir, 'compatibility.json'), JSON.stringify({ $comment: COMMENT, default: file.default, subjects }, null, 2) + '\n');
  }
}

export interface SubjectReport {
  subject: string;
  status: 'new' | 'compatible' | 'breaking' | 'removed';
  mode?: CompatibilityMode;
  messages: string[];
}

/**
 * Our own contracts are held to more than Java Avro asks: partners read them in other languages, where
 * a decimal read under another scale is a wrong amount, and a moved record is a new name to map.
 */
export const CONTRACT_RULES: StrictRule[] = ['decimal-scale', 'full-names'];

/** Compares every current event and service record schema with its released versions under the subject's mode. */
export function compareWithReleased(released: ReleasedContracts, catalogue = released.catalogue()): SubjectReport[] {
  const modes = released.compatibility();
  const reports: SubjectReport[] = [];
  const current = new Map<string, { schema: Record<string, unknown> }>(catalogue.releasable().map((e) => [e.fullName, e]));
  for (const [subject, event] of [...current].sort(([a], [b]) => a.localeCompare(b))) {
    const versions = released.versions(subject);
    if (versions.length === 0) {
      reports.push({ subject, status: 'new', messages: [] });
      continue;
    }
    const mode = released.modeOf(subject, modes);
    const result = checkCompatibility(event.schema, versions, mode, {
      labels: versions.map((_, i) => (i === versions.length - 1 ? `the released v${i + 1}` : `released v${i + 1}`)),
      rules: CONTRACT_RULES,
    });
    reports.push({ subject, status: result.compatible ? 'compatible' : 'breaking', mode, messages: result.messages });
  }
  for (const subject of released.subjects()) {
    if (!current.has(subject)) {
      reports.push({
        subject,
        status: 'removed',
        messages: ['released, but no longer in contracts/avro: readers of its topics lose its schema (release with --force to drop it)'],
      });
    }
  }
  return reports;
}

/**
 * What is wrong with the schema id manifest against the released schemas: every released version
 * needs an id, and no live entry may name a schema that is not released. Empty when all is well.
 */
export function schemaIdProblems(released: ReleasedContracts): string[] {
  let manifest: SchemaIdManifest | undefined;
  try {
    manifest = released.schemaIds();
  } catch (e) {
    return e instanceof SchemaIdManifestError ? e.problems.map((p) => `${SCHEMA_ID_MANIFEST_FILE}: ${p}`) : [(e as Error).message];
  }
  const subjects = released.subjects();
  if (!manifest) return subjects.length ? [`contracts/released has no ${SCHEMA_ID_MANIFEST_FILE}: run npm run contracts:release`] : [];
  const problems: string[] = [];
  const live = new Set(manifest.schemas.filter((e) => !e.retired).map((e) => `${e.subject}\u0000${e.fingerprint}`));
  for (const subject of subjects) {
    released.versions(subject).forEach((schema, i) => {
      if (!live.delete(`${subject}\u0000${schemaFingerprint(schema)}`)) problems.push(`${subject}: released v${i + 1} has no schema id`);
    });
  }
  for (const subject of new Set(manifest.schemas.map((e) => e.subject))) {
    for (const e of releasedVersionsOf(manifest, subject)) {
      if (live.has(`${subject}\u0000${e.fingerprint}`))
        problems.push(`${subject}: id ${e.id} names a schema that is not released (mark it retired, never delete it)`);
    }
  }
  return problems.map((p) => `${p}; run npm run contracts:release`);
}
