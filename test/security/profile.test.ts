import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@tongban/config';

/** The compiled services (npm test builds before it runs these), as an operator would start them. */
const SERVICES: Array<{ name: string; main: string; missing: string[] }> = [
  {
    name: 'gateway',
    main: 'services/gateway/src/main.js',
    missing: [
      'TONGBAN_ADMIN_TOKEN',
      'TONGBAN_API_KEY_ID_KEY',
      'TONGBAN_AUDIT_PERSON_KEY',
      'TONGBAN_NODE_SERVICE_TOKEN',
      'TONGBAN_MYSQL_PASSWORD',
      'TONGBAN_KAFKA_USERNAME',
      'TONGBAN_KAFKA_PASSWORD',
      'TONGBAN_SCHEMA_REGISTRY_USERNAME',
      'TONGBAN_SCHEMA_REGISTRY_PASSWORD',
    ],
  },
  {
    name: 'region node',
    main: 'services/region-node/src/main.js',
    missing: [
      'TONGBAN_PERSON_INDEX_KEY',
      'TONGBAN_AUDIT_PERSON_KEY',
      'TONGBAN_NODE_SERVICE_TOKEN',
      'TONGBAN_MYSQL_PASSWORD',
      'TONGBAN_KAFKA_USERNAME',
      'TONGBAN_KAFKA_PASSWORD',
      'TONGBAN_SCHEMA_REGISTRY_USERNAME',
      'TONGBAN_SCHEMA_REGISTRY_PASSWORD',
    ],
  },
  { name: 'relay', main: 'services/relay/src/main.js', missing: ['TONGBAN_MYSQL_PASSWORD', 'TONGBAN_KAFKA_USERNAME', 'TONGBAN_KAFKA_PASSWORD'] },
  {
    name: 'ops',
    main: 'services/ops/src/main.js',
    missing: [
      'TONGBAN_OPERATORS',
      'TONGBAN_AUDIT_PERSON_KEY',
      'TONGBAN_NODE_SERVICE_TOKEN',
      'TONGBAN_MYSQL_PASSWORD',
      'TONGBAN_KAFKA_USERNAME',
      'TONGBAN_KAFKA_PASSWORD',
      'TONGBAN_SCHEMA_REGISTRY_USERNAME',
      'TONGBAN_SCHEMA_REGISTRY_PASSWORD',
    ],
  },
  {
    name: 'delivery',
    main: 'services/delivery/src/main.js',
    missing: [
      'TONGBAN_ADMIN_TOKEN',
      'TONGBAN_API_KEY_ID_KEY',
      'TONGBAN_DELIVERY_SECRET_KEY',
      'TONGBAN_AUDIT_PERSON_KEY',
      'TONGBAN_MYSQL_PASSWORD',
      'TONGBAN_KAFKA_USERNAME',
      'TONGBAN_KAFKA_PASSWORD',
      'TONGBAN_SCHEMA_REGISTRY_USERNAME',
      'TONGBAN_SCHEMA_REGISTRY_PASSWORD',
    ],
  },
  { name: 'schema registry', main: 'services/schema-registry/src/main.js', missing: ['TONGBAN_MYSQL_PASSWORD', 'TONGBAN_SCHEMA_REGISTRY_USERS'] },
];

function start(main: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const root = repoRoot();
  return new Promise((resolve) => {
    // Only what an operator's unit file would give: no TONGBAN_* from the shell running the tests.
    const clean = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env };
    execFile(
      process.execPath,
      ['-r', join(root, 'tools/runtime/register-aliases.js'), join(root, 'dist', main)],
      { cwd: root, env: clean, timeout: 30_000 },
      (error, _stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stderr });
      },
    );
  });
}

describe('attack: start a service in production with the development secrets left out', () => {
  let secrets: string;
  beforeAll(() => {
    if (!existsSync(join(repoRoot(), 'dist/services/gateway/src/main.js'))) throw new Error('build first: npx tsc -p tsconfig.build.json');
    secrets = mkdtempSync(join(tmpdir(), 'tongban-profile-'));
  });
  afterAll(() => rmSync(secrets, { recursive: true, force: true }));

  it.each(SERVICES)('$name without TONGBAN_PROFILE refuses to start and names every missing secret at once', async ({ main, missing }) => {
    const { code, stderr } = await start(main, { TONGBAN_SECRETS_DIR: secrets });
    expect(code).toBe(2);
    for (const name of missing) expect(stderr).toContain(`${name} is required: the production profile takes no development secret`);
    // Nothing was generated for it: a replica on another host could never agree with it.
    expect(readdirSync(secrets)).toEqual([]);
  });

  it('an unknown profile is production too, and a secret set empty is refused, not replaced by the dev value', async () => {
    const { code, stderr } = await start('services/gateway/src/main.js', {
      TONGBAN_SECRETS_DIR: secrets,
      TONGBAN_PROFILE: 'staging',
      TONGBAN_ADMIN_TOKEN: '',
      TONGBAN_AUDIT_PERSON_KEY: '',
    });
    expect(code).toBe(2);
    expect(stderr).toContain('TONGBAN_ADMIN_TOKEN is set but empty');
    expect(stderr).toContain('TONGBAN_AUDIT_PERSON_KEY is set but empty');
    expect(stderr).toContain('TONGBAN_API_KEY_ID_KEY is required: the staging profile');
  });

  it('development-only switches are refused in production: plain http and loopback webhooks', async () => {
    const { code, stderr } = await start('services/delivery/src/main.js', {
      TONGBAN_SECRETS_DIR: secrets,
      TONGBAN_DELIVERY_ALLOW_HTTP: 'true',
      TONGBAN_DELIVERY_ALLOW_LOOPBACK: 'true',
    });
    expect(code).toBe(2);
    expect(stderr).toContain('TONGBAN_DELIVERY_ALLOW_HTTP=true is refused in the production profile');
    expect(stderr).toContain('TONGBAN_DELIVERY_ALLOW_LOOPBACK=true is refused in the production profile');
  });
});
