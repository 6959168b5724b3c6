import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { TongbanError } from '@tongban/errors';
import { api, exampleEvent, OpsTestStack, parkEvent, startOpsStack, TOKENS } from '../ops/ops-support';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';

const PERSON = '510104199001091234';

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(__dirname, '../../tools/cli/tongban.js'), ...args],
      { env: { ...process.env, ...env }, timeout: 90_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** An operator looking up a person's audit entries: the ID number goes in a POST body, never in the URL. */
describe('attack: ID numbers in URLs of the ops service', () => {
  let t: OpsTestStack;

  beforeAll(async () => {
    t = await startOpsStack();
    const event = exampleEvent('SubsidyApplicationSubmitted', uniqueId(), (p) => {
      p.applicant = { idNumber: PERSON, name: '张德明', hukouDivision: '510104' };
    });
    await parkEvent(t, '500000', event, new TongbanError('NO_HANDLER', 'no handler'));
    const item = await waitFor(
      async () => (await api(t, 'GET', `/v1/dlq?eventId=${event.envelope.eventId}`, TOKENS.viewer)).body.items?.[0],
      'the dead letter',
    );
    expect((await api(t, 'GET', `/v1/dlq/${item.id}?view=clear&reason=${encodeURIComponent('data-subject request check')}`, TOKENS.admin)).status).toBe(200);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('GET /v1/audit?person= answers 400 naming POST /v1/audit:search, which finds the person’s entries', async () => {
    const inUrl = await api(t, 'GET', `/v1/audit?person=${PERSON}`, TOKENS.operator);
    expect(inUrl.status).toBe(400);
    expect(JSON.stringify(inUrl.body)).toContain('POST /v1/audit:search');
    const found = await api(t, 'POST', '/v1/audit:search', TOKENS.operator, { person: PERSON, action: 'dlq.view-clear' });
    expect(found.status).toBe(200);
    expect(found.body.entries).toHaveLength(1);
    expect(JSON.stringify(found.body)).not.toContain(PERSON);
    expect((await api(t, 'POST', '/v1/audit:search', TOKENS.viewer, { person: PERSON })).status).toBe(403);
  });

  it('the CLI’s audit list --person sends the number in the body and finds the entry', async () => {
    const env = { TONGBAN_OPS_URL: t.url, TONGBAN_OPS_TOKEN: TOKENS.operator };
    const r = await cli(['audit', 'list', '--person', PERSON, '--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).entries.map((e: { action: string }) => e.action)).toContain('dlq.view-clear');
    expect((await cli(['audit', 'list', '--person', PERSON, '--actor', 'alice'], env)).code).toBe(2);
  });
});
