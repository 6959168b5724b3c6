import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditRecordContent, entryHash, merkleProof, merkleRoot, RECORD_GROUP_ACTION, recordLeafHash } from '@tongban/audit';
import { checkProof, EXIT, run } from './tongban-cli';

async function cli(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t), env, isTty: false });
  return { code, out, err };
}

describe('tongban calendar check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tongban-cli-calendar-'));
  writeFileSync(join(dir, '2026.json'), JSON.stringify({ year: 2026, source: '国务院办公厅通知 2025-11-04', holidays: [], workdays: [] }));

  it('names the years of the range without a published schedule, and fails', async () => {
    const r = await cli(['calendar', 'check', '--dir', dir, '--years', '2026..2028']);
    expect(r.code).toBe(EXIT.failed);
    expect(r.out).toContain('2026  published: 国务院办公厅通知 2025-11-04');
    expect(r.out).toContain('missing for 2026..2028: 2027, 2028');
  });

  it('passes when every year has one, reading TONGBAN_CALENDAR_DIR', async () => {
    const r = await cli(['calendar', 'check', '--years', '2026', '--json'], { TONGBAN_CALENDAR_DIR: dir });
    expect(r.code).toBe(EXIT.ok);
    expect(JSON.parse(r.out)).toMatchObject({ missing: [], from: 2026, to: 2026, published: [{ year: 2026 }] });
  });

  it('reads the checkout’s libs/calendar/data by default', async () => {
    const r = await cli(['calendar', 'check', '--years', '2026..2027', '--json']);
    expect(JSON.parse(r.out)).toMatchObject({ missing: [2027], published: [{ year: 2026 }] });
    expect(r.code).toBe(EXIT.failed);
  });

  it('refuses a malformed range', async () => {
    expect((await cli(['calendar', 'check', '--years', '2028..2026'])).code).toBe(EXIT.usage);
  });
});

describe('tongban audit proof: the local check of an inclusion proof', () => {
  // Built with the audit library; checked by the CLI's own code, which trusts only hashes.
  const records: AuditRecordContent[] = Array.from({ length: 5 }, (_, i) => ({
    chain: 'disclosures', recordId: `00000000-0000-4000-8000-00000000000${i}`, at: '2026-11-30T06:00:00.000Z', actor: 'municipal:510104:k1',
    actorKind: 'service', action: 'personal-data-disclosed', subject: { messages: [`e${i}`], cases: ['SUB-1'], persons: ['ab'.repeat(32)], regions: ['500000'] },
    details: { eventType: 'X', fieldsByPerson: { ['ab'.repeat(32)]: ['name'] }, withheld: [] }, before: null, after: null,
  }));
  const leaves = records.map(recordLeafHash);
  const content = {
    chain: 'disclosures', seq: 7, entryId: '00000000-0000-4000-8000-0000000000aa', at: '2026-11-30T06:00:00.000Z', actor: 'gateway', actorKind: 'service' as const,
    action: RECORD_GROUP_ACTION, subject: { messages: [], cases: [], persons: [], regions: [] },
    details: { merkleRoot: merkleRoot(leaves), count: 5, tree: 'sha256-rfc6962' }, before: null, after: null,
  };
  const prevHash = 'cd'.repeat(32);
  const entry = { ...content, prevHash, hash: entryHash(prevHash, content) };
  const proof = (pos: number) => ({ record: records[pos], leafHash: leaves[pos], pos, count: 5, path: merkleProof(leaves, pos), merkleRoot: merkleRoot(leaves), entry });

  it.each([0, 1, 2, 3, 4])('holds for the record at position %i', (pos) => {
    expect(checkProof(proof(pos) as never)).toBeUndefined();
  });

  it.each([
    ['an altered record', (p: ReturnType<typeof proof>) => ({ ...p, record: { ...p.record, actor: 'mallory' } }), /^leaf-altered/],
    ['a wrong sibling', (p: ReturnType<typeof proof>) => ({ ...p, path: [leaves[4], ...p.path.slice(1)] }), /^root-mismatch/],
    ['another position', (p: ReturnType<typeof proof>) => ({ ...p, pos: 2 }), /^root-mismatch/],
    ['a root the entry does not carry', (p: ReturnType<typeof proof>) => ({ ...p, entry: { ...p.entry, details: { ...p.entry.details, merkleRoot: 'ee'.repeat(32) } } }), /^root-mismatch/],
    ['an entry that does not match its hash', (p: ReturnType<typeof proof>) => ({ ...p, entry: { ...p.entry, actor: 'mallory' } }), /^changed/],
  ])('fails for %s', (_what, tamper, problem) => {
    expect(checkProof(tamper(proof(1)) as never)).toMatch(problem);
  });
});
