import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SchemaCatalogue, SCHEMA_ID_MANIFEST_FILE, readSchemaIdManifest, type SchemaIdManifest } from '@tongban/avro';
import { minimisationPolicyPath, readMinimisationPolicy, type MinimisationPolicyFile } from '@tongban/masking';

/** One row of the "Events" table of contracts/README.md: who sends an event to whom, and what happened. */
export interface EventRoute {
  /** The sending side, e.g. `accepting`, `registering office`. */
  from: string;
  /** The receiving side, e.g. `responsible`, `its node`. */
  to: string;
  /** What happened, in a few words. */
  summary: string;
}

/** Subject compatibility modes, as in contracts/released/compatibility.json. */
export interface CompatibilityModes {
  default: string;
  subjects: Record<string, string>;
}

/** Everything the generated documents are made of; all of it under contracts/. */
export interface ContractSources {
  catalogue: SchemaCatalogue;
  policy: MinimisationPolicyFile;
  /** `POST /v1/events` bodies by event type (contracts/examples). */
  examples: Record<string, Record<string, unknown>>;
  /** The released schema ids; undefined before the first release. */
  manifest?: SchemaIdManifest;
  compatibility?: CompatibilityModes;
  /** Sender and receiver of every event type (contracts/README.md). */
  routes: Map<string, EventRoute>;
  /** The project's version (package.json), the documents' version. */
  version: string;
}

/**
 * The "Events" table of contracts/README.md (`| event | from → to | what happened |`), the one place the
 * direction of each event type is written down. Rows of other tables are not read.
 */
export function parseEventRoutes(markdown: string): Map<string, EventRoute> {
  const routes = new Map<string, EventRoute>();
  const section = /^## Events\s*$([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(markdown);
  if (!section) throw new Error('contracts/README.md has no "## Events" section');
  for (const line of section[1].split('\n')) {
    const cells = /^\|(.*)\|\s*$/
      .exec(line.trim())?.[1]
      .split('|')
      .map((c) => c.trim());
    if (!cells || cells.length !== 3 || !/^[A-Z][A-Za-z]+$/.test(cells[0])) continue;
    const [from, to] = cells[1].split('→').map((s) => s.trim());
    if (!from || !to) throw new Error(`contracts/README.md: the row of ${cells[0]} has no "from → to"`);
    if (routes.has(cells[0])) throw new Error(`contracts/README.md: ${cells[0]} has two rows`);
    routes.set(cells[0], { from, to, summary: cells[2] });
  }
  return routes;
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Reads the contracts under `contractsDir` (the repository's `contracts/`); `packageFile` gives the version. */
export function readContractSources(contractsDir: string, packageFile: string): ContractSources {
  const catalogue = new SchemaCatalogue(join(contractsDir, 'avro'));
  const eventTypes = new Set(catalogue.eventTypes());
  const examplesDir = join(contractsDir, 'examples');
  const examples: ContractSources['examples'] = {};
  if (existsSync(examplesDir)) {
    for (const file of readdirSync(examplesDir)
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      const eventType = file.slice(0, -'.json'.length);
      if (eventTypes.has(eventType)) examples[eventType] = readJson(join(examplesDir, file));
    }
  }
  const released = join(contractsDir, 'released');
  const manifestFile = join(released, SCHEMA_ID_MANIFEST_FILE);
  const compatibilityFile = join(released, 'compatibility.json');
  const routes = parseEventRoutes(readFileSync(join(contractsDir, 'README.md'), 'utf8'));
  const unrouted = [...eventTypes].filter((t) => !routes.has(t));
  if (unrouted.length) throw new Error(`contracts/README.md: the Events table has no row for ${unrouted.join(', ')}`);
  const unknown = [...routes.keys()].filter((t) => !eventTypes.has(t));
  if (unknown.length) throw new Error(`contracts/README.md: the Events table names event types the contracts do not define: ${unknown.join(', ')}`);
  return {
    catalogue,
    policy: readMinimisationPolicy(minimisationPolicyPath(contractsDir)),
    examples,
    manifest: existsSync(manifestFile) ? readSchemaIdManifest(manifestFile) : undefined,
    compatibility: existsSync(compatibilityFile) ? readJson<CompatibilityModes>(compatibilityFile) : undefined,
    routes,
    version: readJson<{ version: string }>(packageFile).version,
  };
}
