import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localSecret } from './local-secrets';

describe('localSecret', () => {
  let dir: string;
  const saved = process.env.TONGBAN_SECRETS_DIR;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tongban-secrets-spec-'));
    process.env.TONGBAN_SECRETS_DIR = dir;
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env.TONGBAN_SECRETS_DIR;
    else process.env.TONGBAN_SECRETS_DIR = saved;
  });

  it('generates a value on first use, keeps it in the folder, and gives the same value again', () => {
    const first = localSecret('registry-admin-password');
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(localSecret('registry-admin-password')).toBe(first);
    expect(readFileSync(join(dir, 'registry-admin-password'), 'utf8').trim()).toBe(first);
    expect(readdirSync(dir)).toEqual(['registry-admin-password']);
  });

  it('refuses a name that could leave the folder', () => {
    expect(() => localSecret('../x')).toThrow(/lowercase letters, digits and -/);
  });

  it('gives processes that start together one value, never an empty one', async () => {
    // Each process asks for the same new secrets at once, as both provinces' services do when `npm start` begins.
    // The child compiles the TypeScript sources itself (no build needed for a unit test).
    const script = `
      const ts = require('typescript');
      const fs = require('node:fs');
      require.extensions['.ts'] = (m, file) =>
        m._compile(ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText, file);
      const { localSecret } = require(${JSON.stringify(require.resolve('./local-secrets'))});
      const out = [];
      for (let i = 0; i < 20; i++) out.push(localSecret('race-' + i));
      process.stdout.write(JSON.stringify(out));
    `;
    const run = () =>
      new Promise<string[]>((resolve, reject) => {
        const child = spawn(process.execPath, ['-e', script], {
          env: { ...process.env, TONGBAN_SECRETS_DIR: dir },
          cwd: process.cwd(),
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(`exit ${code}`))));
      });
    const answers = await Promise.all(Array.from({ length: 6 }, run));
    for (const values of answers) {
      expect(values.every((v) => v.length === 43)).toBe(true);
      expect(values).toEqual(answers[0]);
    }
    // Nothing but the secrets themselves is left in the folder.
    expect(readdirSync(dir).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `race-${i}`).sort());
  }, 60_000);
});
