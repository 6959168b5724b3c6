import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { contractsDir } from '@tongban/config';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './generate-docs';

function run(argv: string[]): { code: number; output: string } {
  const lines: string[] = [];
  const code = main(argv, (line) => lines.push(line));
  return { code, output: lines.join('\n') };
}

describe('generate-docs', () => {
  let docs: string;

  beforeAll(() => {
    docs = mkdtempSync(join(tmpdir(), 'docs-'));
  });

  afterAll(() => rmSync(docs, { recursive: true, force: true }));

  it('--check fails while the documents are missing, and passes once they are written', () => {
    const missing = run(['--check', '--docs', docs]);
    expect(missing.code).toBe(1);
    expect(missing.output).toMatch(/asyncapi\.json is missing/);
    expect(missing.output).toMatch(/npm run docs:generate/);
    expect(run(['--docs', docs]).code).toBe(0);
    expect(existsSync(join(docs, 'events', 'README.md'))).toBe(true);
    expect(run(['--check', '--docs', docs])).toEqual({ code: 0, output: '' });
  });

  it('--check names a stale page and a page left over from a removed event type; generating fixes both', () => {
    const page = join(docs, 'events', 'SubsidyApproved.md');
    writeFileSync(page, readFileSync(page, 'utf8').replace('decisionRef', 'decisionReference'));
    writeFileSync(join(docs, 'events', 'SubsidyForgotten.md'), '# gone\n');
    const stale = run(['--check', '--docs', docs]);
    expect(stale.code).toBe(1);
    expect(stale.output).toMatch(/SubsidyApproved\.md is stale/);
    expect(stale.output).toMatch(/SubsidyForgotten\.md is left over/);
    run(['--docs', docs]);
    expect(existsSync(join(docs, 'events', 'SubsidyForgotten.md'))).toBe(false);
    expect(run(['--check', '--docs', docs]).code).toBe(0);
  });

  it('--check finds the committed documents stale when the contracts change', () => {
    const contracts = mkdtempSync(join(tmpdir(), 'contracts-'));
    try {
      cpSync(contractsDir(), contracts, { recursive: true });
      const file = join(contracts, 'policy', 'minimisation.json');
      const policy = JSON.parse(readFileSync(file, 'utf8'));
      policy.events.SubsidyApproved.webhook = policy.events.SubsidyApproved.webhook.filter((p: string) => p !== 'decisionRef');
      writeFileSync(file, JSON.stringify(policy));
      const result = run(['--check', '--contracts', contracts]);
      expect(result.code).toBe(1);
      expect(result.output.split('\n').filter((l) => l.includes(' is stale'))).toEqual([expect.stringMatching(/events\/SubsidyApproved\.md is stale$/)]);
    } finally {
      rmSync(contracts, { recursive: true, force: true });
    }
  });

  it('finds the committed documents up to date', () => {
    expect(run(['--check'])).toEqual({ code: 0, output: '' });
  });
});
