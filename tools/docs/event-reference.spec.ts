import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releasedVersionsOf } from '@tongban/avro';
import { contractsDir, repoRoot } from '@tongban/config';
import { HEADERS, CLOUDEVENTS_HEADERS } from '@tongban/kafka';
import { parseEventRoutes, readContractSources, type ContractSources } from './contract-sources';
import { passingOf } from './event-fields';
import { buildEventReference, cell } from './event-reference';

const PACKAGE = join(repoRoot(), 'package.json');

/** The table row of `path` on an event page, split into cells (field, Avro, JSON, required, marks, addressee, webhook, description). */
function row(page: string, path: string): string[] {
  const line = page.split('\n').find((l) => l.includes(`\`${path}\` |`));
  if (!line) throw new Error(`no row for ${path}`);
  return line
    .split(/(?<!\\)\|/)
    .slice(1, -1)
    .map((c) => c.trim());
}

describe('the event reference', () => {
  let sources: ContractSources;
  let pages: Map<string, string>;

  beforeAll(() => {
    sources = readContractSources(contractsDir(), PACKAGE);
    pages = buildEventReference(sources);
  });

  it('has an index and one page per event type, and the index links each event type once', () => {
    const types = sources.catalogue.eventTypes();
    expect([...pages.keys()].sort()).toEqual(['README.md', ...types.map((t) => `${t}.md`)].sort());
    const index = pages.get('README.md')!;
    for (const t of types) {
      const lines = index.split('\n').filter((l) => l.startsWith(`| [${t}](${t}.md) |`));
      expect({ t, lines: lines.length }).toEqual({ t, lines: 1 });
      const route = sources.routes.get(t)!;
      expect(lines[0]).toContain(`${cell(route.from)} → ${cell(route.to)}`);
    }
  });

  it('lists the Kafka headers of libs/kafka in the index', () => {
    const index = pages.get('README.md')!;
    for (const h of [...Object.values(HEADERS), ...Object.values(CLOUDEVENTS_HEADERS)]) expect(index).toContain(`| \`${h}\` |`);
  });

  it('gives each page its fields with types, requiredness and markings', () => {
    const page = pages.get('DeathRegistered.md')!;
    expect(row(page, 'birthDate').slice(1, 5)).toEqual(['`int · date`', 'string (date)', 'yes', 'pii `birth-date`']);
    expect(row(page, 'causeOfDeath').slice(1, 4)).toEqual(['`string`', 'string or null', 'no']);
    expect(row(page, 'deceased.idNumber')[4]).toBe('format `id-number`, pii `id-number`');
    expect(row(page, 'placeOfDeath')[1]).toBe('`record Address`');
    expect(page).toContain('### Relation');
  });

  it('flags the fields the policy withholds from the addressee and from webhooks', () => {
    const page = pages.get('DeathRegistered.md')!;
    // addressee: causeOfDeath is not listed; webhook: only placeOfDeath.division of the place, informant without phone.
    expect(row(page, 'causeOfDeath').slice(5, 7)).toEqual(['**withheld**', '**withheld**']);
    expect(row(page, 'placeOfDeath').slice(5, 7)).toEqual(['passes', 'in part']);
    expect(row(page, 'placeOfDeath.detail').slice(5, 7)).toEqual(['passes', '**withheld**']);
    expect(row(page, 'informant.phone').slice(5, 7)).toEqual(['passes', '**withheld**']);
  });

  it('follows a change of the policy', () => {
    const policy = structuredClone(sources.policy);
    policy.events.SubsidyApproved.addressee = policy.events.SubsidyApproved.addressee!.filter((p) => p !== 'decisionRef');
    const before = row(pages.get('SubsidyApproved.md')!, 'decisionRef');
    const after = row(buildEventReference({ ...sources, policy }).get('SubsidyApproved.md')!, 'decisionRef');
    expect(before[5]).toBe('passes');
    expect(after[5]).toBe('**withheld**');
  });

  it('shows the example body, the schema id and the released versions', () => {
    const page = pages.get('SubsidyApproved.md')!;
    expect(page).toContain(JSON.stringify(sources.examples.SubsidyApproved, null, 2));
    const versions = releasedVersionsOf(sources.manifest!, 'cn.tongban.subsidy.v1.SubsidyApproved');
    expect(versions.length).toBeGreaterThan(0);
    expect(page).toContain(`- **Schema id:** ${versions[versions.length - 1].id} (the latest released version)`);
    versions.forEach((v, i) => expect(page).toMatch(new RegExp(`^\\| ${i + 1} \\| ${v.id} \\| `, 'm')));
    // The second release added the envelope's targetOffice.
    expect(page).toContain('added `envelope.targetOffice`');
  });

  it('says so when an event type is not released', () => {
    const page = buildEventReference({ ...sources, manifest: undefined }).get('SubsidyApproved.md')!;
    expect(page).toContain('- **Schema id:** not released yet');
    expect(page).toContain('None: this event type is not released yet');
  });

  it('keeps table cells on one line and Avro docs visible', () => {
    expect(cell('a | b\nc')).toBe('a \\| b c');
    expect(cell('the v<n> of `tongban.<node>.inbox`')).toBe('the v&lt;n&gt; of `tongban.<node>.inbox`');
  });
});

describe('passingOf', () => {
  it('passes a listed field and its subtree, passes a field above a listed one in part, withholds the rest', () => {
    expect(passingOf('informant', ['informant'])).toBe('passes');
    expect(passingOf('informant.phone', ['informant'])).toBe('passes');
    expect(passingOf('informant', ['informant.name'])).toBe('partly');
    expect(passingOf('informant.phone', ['informant.name'])).toBe('withheld');
    expect(passingOf('informantX', ['informant'])).toBe('withheld');
    expect(passingOf('anything', ['*'])).toBe('passes');
  });
});

describe('the Events table of contracts/README.md', () => {
  it('is read for sender, receiver and summary', () => {
    const routes = parseEventRoutes(
      '# x\n\n## Events\n| event | from → to | what |\n|---|---|---|\n| SubsidyApproved | responsible → accepting | granted |\n\n## Other\n| A | b → c | d |\n',
    );
    expect([...routes.entries()]).toEqual([['SubsidyApproved', { from: 'responsible', to: 'accepting', summary: 'granted' }]]);
  });

  it('must have a row for every event type', () => {
    const dir = mkdtempSync(join(tmpdir(), 'contracts-'));
    try {
      cpSync(contractsDir(), dir, { recursive: true });
      const readme = readFileSync(join(dir, 'README.md'), 'utf8');
      writeFileSync(join(dir, 'README.md'), readme.replace(/^\| SubsidyApproved \|.*\n/m, ''));
      expect(() => readContractSources(dir, PACKAGE)).toThrow(/no row for SubsidyApproved/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
