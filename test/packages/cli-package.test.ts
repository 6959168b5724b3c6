import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TongbanError } from '@tongban/errors';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';
import { exampleEvent, OpsTestStack, parkEvent, startOpsStack, TOKENS } from '../ops/ops-support';

const ROOT = join(__dirname, '../..');

describe('the tongban CLI installed from its tarball, outside a checkout', () => {
  let dir: string;
  let bin: string;
  let t: OpsTestStack;

  /** Runs the installed `tongban` with only what an operator's shell would have. */
  function tongban(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(bin, args, { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  beforeAll(async () => {
    const tarball = execFileSync(process.execPath, [join(ROOT, 'tools/packaging/pack.js'), 'cli'], { cwd: ROOT, encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop()!;
    dir = mkdtempSync(join(tmpdir(), 'tongban-cli-'));
    writeFileSync(join(dir, 'package.json'), '{"name":"ops-desk","version":"1.0.0","private":true}\n');
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: dir, stdio: 'pipe' });
    bin = join(dir, 'node_modules', '.bin', 'tongban');
    t = await startOpsStack();
  }, 180_000);

  afterAll(async () => {
    await t?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('installs compiled JavaScript only, with no TypeScript and no dependencies', () => {
    expect(existsSync(bin)).toBe(true);
    expect(existsSync(join(dir, 'node_modules', 'typescript'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules', 'tongban-cli', 'lib', 'tongban-cli.js'))).toBe(true);
  });

  it('prints its usage, refuses an unknown option with 2 and an unreachable ops service with 7', async () => {
    const help = await tongban(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout + help.stderr).toContain('usage: tongban');
    expect((await tongban(['dlq', 'list', '--bogus'])).code).toBe(2);
    expect((await tongban(['dlq', 'list', '--url', 'http://127.0.0.1:1'])).code).toBe(7);
  });

  it('lists a dead letter of a real ops service by its error code', async () => {
    const code = `PKG_${uniqueId()}`.toUpperCase();
    await parkEvent(t, '500000', exampleEvent('SubsidyApplicationSubmitted', uniqueId()), new TongbanError(code, 'case store down'));
    const env = { TONGBAN_OPS_URL: t.url, TONGBAN_OPS_TOKEN: TOKENS.operator };
    const page = await waitFor(
      async () => {
        const r = await tongban(['dlq', 'list', '--error-code', code, '--json'], env);
        const parsed = r.code === 0 ? JSON.parse(r.stdout) : undefined;
        return parsed?.total === 1 ? parsed : undefined;
      },
      'the installed CLI to list the dead letter',
      30_000,
      300,
    );
    expect(page.items[0]).toMatchObject({ errorCode: code });
  });
});
