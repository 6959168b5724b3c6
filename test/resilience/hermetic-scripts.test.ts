import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { repoRoot } from '@tongban/config';
import { dropDatabase } from '@tongban/persistence';
import { spawnService, stackServices, stopService, waitForHealth } from '../../tools/stack/stack';
import { example } from '../support/examples';
import { MYSQL, post } from '../support/test-stack';
import { startTestRegistry } from '../support/test-registry';
import { uniqueId } from '../support/unique';
import { freePort } from '../support/free-ports';

/** A caller's shell as a new user leaves it after trying `npm start` with keys of their own. */
const HOSTILE = {
  TONGBAN_API_KEYS: 'callers-own-key=510100',
  TONGBAN_TOPIC_NAMESPACE: 'someone-elses',
  TONGBAN_RETRY_DELAYS: 'not-a-delay',
  TONGBAN_GATEWAY_DATABASE: 'someone_elses_gateway',
};

describe("the scripts' stacks do not take TONGBAN_* settings from the caller's shell", () => {
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const [name, value] of Object.entries(HOSTILE)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });
  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('the commands unset every TONGBAN_* setting but where the infrastructure is (npm start keeps the API keys)', () => {
    const envAfter = (extra: string) => {
      const r = spawnSync('bash', ['-c', `source tools/scripts/lib.sh; hermetic_env ${extra}; env`], {
        cwd: repoRoot(),
        env: { ...process.env, TONGBAN_CHAOS_RATE: '5' },
        encoding: 'utf8',
      });
      expect(r.status).toBe(0);
      return new Map(
        r.stdout
          .split('\n')
          .filter((l) => l.startsWith('TONGBAN_'))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
    };
    const hermetic = envAfter('');
    for (const name of Object.keys(HOSTILE)) expect(hermetic.has(name)).toBe(false);
    expect(hermetic.get('TONGBAN_SECRETS_DIR')).toBe(process.env.TONGBAN_SECRETS_DIR);
    expect(hermetic.get('TONGBAN_CHAOS_RATE')).toBe('5');
    const start = envAfter('TONGBAN_API_KEYS');
    expect(start.get('TONGBAN_API_KEYS')).toBe('callers-own-key=510100');
    expect(start.has('TONGBAN_TOPIC_NAMESPACE')).toBe(false);
  });

  describe('a compiled gateway started by the stack builder', () => {
    const id = uniqueId();
    let registry: { url: string; close(): Promise<void> };
    const logDir = join(tmpdir(), `tongban-hermetic-${id}`);
    beforeAll(async () => {
      expect(existsSync(join(repoRoot(), 'dist/services/gateway/src/main.js'))).toBe(true); // npx tsc -p tsconfig.build.json
      registry = await startTestRegistry(`tb_${id}_registry`);
    });
    afterAll(async () => {
      await registry?.close();
      for (const db of [`tb_${id}_gateway`, `tb_${id}_start_gateway`, HOSTILE.TONGBAN_GATEWAY_DATABASE]) await dropDatabase(MYSQL, db).catch(() => undefined);
    });

    const startGateway = async (prefix: string, inheritEnv?: string[]) => {
      const port = await freePort();
      const spec = stackServices({
        namespace: `t-${id}`,
        databasePrefix: prefix,
        gatewayPort: port,
        registryPort: Number(new URL(registry.url).port),
        inheritEnv,
      }).find((s) => s.name === 'gateway')!;
      const running = spawnService(spec, logDir);
      await waitForHealth(spec.healthUrl, 60_000, running.child);
      return { running, url: `http://127.0.0.1:${port}` };
    };

    it("answers the documented local keys and refuses the caller's", async () => {
      const { running, url } = await startGateway(`tb_${id}`);
      try {
        const invalid = { ...example('SubsidyApplicationSubmitted', id), eventType: 'SubsidyGranted' };
        // The documented key is known: the body is judged (400), not the key (401).
        expect((await post({ gatewayUrl: url }, invalid, 'dev-chengdu')).status).toBe(400);
        expect((await post({ gatewayUrl: url }, invalid, 'callers-own-key')).status).toBe(401);
        expect(existsSync(join(logDir, 'gateway.log'))).toBe(true);
      } finally {
        await stopService(running);
      }
    });

    it("takes the caller's TONGBAN_API_KEYS where npm start asks for them", async () => {
      const { running, url } = await startGateway(`tb_${id}_start`, ['TONGBAN_API_KEYS']);
      try {
        const invalid = { ...example('SubsidyApplicationSubmitted', id), eventType: 'SubsidyGranted' };
        expect((await post({ gatewayUrl: url }, invalid, 'callers-own-key')).status).toBe(400);
        expect((await post({ gatewayUrl: url }, invalid, 'dev-chengdu')).status).toBe(401);
      } finally {
        await stopService(running);
      }
    });
  });
});
