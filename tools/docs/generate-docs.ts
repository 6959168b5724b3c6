import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { contractsDir, repoRoot } from '@tongban/config';
import { buildAsyncApiDocument, formatAsyncApi } from './asyncapi';
import { readContractSources } from './contract-sources';
import { buildEventReference } from './event-reference';

/**
 * Writes the documents generated from the contracts:
 *
 *   docs/asyncapi.json          the Kafka interface (AsyncAPI 3.0)
 *   docs/events/README.md       the event reference's index
 *   docs/events/<EventType>.md  one page per event type
 *
 *   npm run docs:generate            regenerate them
 *   npm run -s contracts:check       (runs this with --check) exit 1 when a committed file is stale, missing or left over
 *
 * `--contracts <dir>` and `--docs <dir>` point it elsewhere (tests).
 */
export function generatedDocs(contracts: string, packageFile: string): Map<string, string> {
  const sources = readContractSources(contracts, packageFile);
  const files = new Map<string, string>();
  files.set('asyncapi.json', formatAsyncApi(buildAsyncApiDocument(sources)));
  for (const [name, text] of buildEventReference(sources)) files.set(`events/${name}`, text.endsWith('\n') ? text : `${text}\n`);
  return files;
}

/** The Markdown files under docs/events that the generator did not write (a removed event type). */
function leftOver(docsDir: string, files: Map<string, string>): string[] {
  const dir = join(docsDir, 'events');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md') && !files.has(`events/${f}`))
    .map((f) => `events/${f}`);
}

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

export function main(argv: string[] = process.argv.slice(2), out: (line: string) => void = (l) => void process.stderr.write(`${l}\n`)): number {
  const check = argv.includes('--check');
  const contracts = option(argv, '--contracts') ?? contractsDir();
  const docsDir = option(argv, '--docs') ?? join(repoRoot(), 'docs');
  const files = generatedDocs(contracts, join(repoRoot(), 'package.json'));
  const shown = (name: string) => relative(process.cwd(), join(docsDir, name)) || name;
  const extra = leftOver(docsDir, files);
  if (check) {
    const problems: string[] = [];
    for (const [name, text] of files) {
      const file = join(docsDir, name);
      if (!existsSync(file)) problems.push(`${shown(name)} is missing`);
      else if (readFileSync(file, 'utf8') !== text) problems.push(`${shown(name)} is stale`);
    }
    for (const name of extra) problems.push(`${shown(name)} is left over: no event type of that name`);
    if (problems.length === 0) return 0;
    for (const p of problems) out(`docs: ${p}`);
    out('docs: the documents are not what contracts/ gives. Regenerate them with `npm run docs:generate` and commit the result.');
    return 1;
  }
  for (const [name, text] of files) {
    const file = join(docsDir, name);
    mkdirSync(dirname(file), { recursive: true });
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileSync(file, text);
  }
  for (const name of extra) rmSync(join(docsDir, name));
  out(`docs: wrote ${files.size} files under ${relative(process.cwd(), docsDir) || docsDir}${extra.length ? `, removed ${extra.join(', ')}` : ''}`);
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main();
  } catch (e) {
    process.stderr.write(`docs: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}
