import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { TongbanError } from '@tongban/errors';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';
import { api, exampleEvent, OpsTestStack, parkEvent, startOpsStack, TOKENS } from './ops-support';

const LAUNCHER = join(__dirname, '../../tools/cli/tongban.js');

/** Runs the real `tongban` launcher as a child process. */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [LAUNCHER, ...args], { env: { ...process.env, ...env }, timeout: 90_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('tongban CLI against the ops service', () => {
  let t: OpsTestStack;
  let env: Record<string, string>;

  beforeAll(async () => {
    t = await startOpsStack();
    env = { TONGBAN_OPS_URL: t.url, TONGBAN_OPS_TOKEN: TOKENS.operator };
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('answers usage errors with exit code 2 and unknown ids with 3', async () => {
    expect((await cli(['dlq'], env)).code).toBe(2);
    expect((await cli(['dlq', 'list', '--bogus'], env)).code).toBe(2);
    expect((await cli(['dlq', 'replay'], env)).code).toBe(2);
    expect((await cli(['dlq', 'discard', '5'], env)).code).toBe(2);
    const missing = await cli(['dlq', 'show', '999999'], env);
    expect(missing.code).toBe(3);
    // The problem's detail and its code, as ops answered them.
    expect(missing.stderr).toMatch(/^tongban: .*999999.* \([A-Z]+\.[A-Z_]+\)$/m);
    expect((await cli(['dlq', 'list', '--url', 'http://127.0.0.1:1'], env)).code).toBe(7);
  });

  it('lists by filters, shows masked, refuses a viewer, replays one and discards one', async () => {
    const code = `CLI_${uniqueId()}`.toUpperCase();
    const events = [exampleEvent('SubsidyApplicationSubmitted', uniqueId()), exampleEvent('SubsidyApplicationSubmitted', uniqueId())];
    for (const e of events) await parkEvent(t, '500000', e, new TongbanError(code, 'case store down'));
    const listed = await waitFor(
      async () => {
        const r = await cli(['dlq', 'list', '--error-code', code, '--json'], env);
        const page = JSON.parse(r.stdout);
        return r.code === 0 && page.total === 2 ? page : undefined;
      },
      'the CLI to list two dead letters',
      30_000,
      300,
    );
    const [second, first] = listed.items;
    const human = await cli(['dlq', 'list', '--error-code', code, '--region', '500000'], env);
    expect(human.stdout).toMatch(/ID\s+STATE\s+PARKED/);
    expect(human.stdout).toContain('2 of 2');

    const shown = await cli(['dlq', 'show', String(first.id), '--json'], env);
    expect(JSON.parse(shown.stdout).payload.applicant).toMatchObject({ idNumber: '500111********0022', name: '李*' });
    expect((await cli(['dlq', 'show', String(first.id), '--clear', '--reason', 'checking the applicant'], env)).code).toBe(4);

    expect((await cli(['dlq', 'replay', String(first.id)], { ...env, TONGBAN_OPS_TOKEN: TOKENS.viewer })).code).toBe(4);
    const replayed = await cli(['dlq', 'replay', String(first.id), '--json'], env);
    expect(replayed.code).toBe(0);
    expect(JSON.parse(replayed.stdout)).toMatchObject({ state: 'replayed', alreadyApplied: 'no' });

    const discarded = await cli(['dlq', 'discard', String(second.id), '--reason', 'duplicate sent by mistake'], env);
    expect(discarded).toMatchObject({ code: 0, stdout: expect.stringContaining(`discarded dead letter ${second.id}`) });
    expect((await cli(['dlq', 'discard', String(second.id), '--reason', 'again'], env)).code).toBe(5);
  });

  it('bulk-replays a filtered set with a progress bar and a summary', async () => {
    const code = `CLIBULK_${uniqueId()}`.toUpperCase();
    for (let i = 0; i < 3; i++) await parkEvent(t, '500000', exampleEvent('SubsidyApplicationSubmitted', uniqueId()), new TongbanError(code, 'down'));
    await waitFor(async () => ((await api(t, 'GET', `/v1/dlq?errorCode=${code}`, TOKENS.viewer)).body.total === 3 ? true : undefined), 'three parked');
    const r = await cli(['dlq', 'replay', '--error-code', code, '--rate', '10', '--wait', '30'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\[#+\] 3\/3 100% done/);
    expect(r.stdout).toMatch(/3 dead letter\(s\); applied 3, already applied 0, failed again 0/);
  });

  it('verifies the audit chain: exit 0 when intact, 1 naming the entry when tampered with', async () => {
    const admin = { ...env, TONGBAN_OPS_TOKEN: TOKENS.admin };
    expect((await cli(['audit', 'verify'], env)).code).toBe(4);
    const ok = await cli(['audit', 'verify'], admin);
    expect(ok).toMatchObject({ code: 0, stdout: expect.stringMatching(/audit chain intact: \d+ entries/) });
    const list = await cli(['audit', 'list', '--action', 'dlq.discard', '--json'], admin);
    expect(JSON.parse(list.stdout).entries[0]).toMatchObject({ actor: 'olga', details: { reason: 'duplicate sent by mistake' } });
    await t.ops.dataSource.query("UPDATE audit_entries SET details = '{\"reason\":\"nothing to see\"}' WHERE chain = 'ops' AND action = 'dlq.discard'");
    const broken = await cli(['audit', 'verify', '--json'], admin);
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, firstBroken: { problem: 'changed' } });
  });
});
