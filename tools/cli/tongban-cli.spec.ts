import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, run } from './tongban-cli';

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
