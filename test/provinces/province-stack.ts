import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import * as kafkajs from 'kafkajs';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaTlsConfig, repoRoot } from '@tongban/config';
import { KafkaCredentials, kafkaCredentialsFile, kafkaSecurityOptions } from '@tongban/kafka';
import { grantMirrorLink, MirrorEnd } from '../../tools/stack/provinces';

const script = join(repoRoot(), 'infra/scripts/infra.sh');
const MIRRORED = ['kafka-sichuan', 'kafka-chongqing', 'mirror-chongqing', 'mirror-sichuan'];

function statusJson(env: NodeJS.ProcessEnv): Component[] {
  let out: string;
  try {
    out = execFileSync('bash', [script, 'status', '--json'], { env, stdio: 'pipe', timeout: 180_000 }).toString();
  } catch (e) {
    // status exits 1 when something is down; its JSON is still on stdout
    out = ((e as { stdout?: Buffer }).stdout ?? Buffer.from('')).toString();
  }
  try {
    return (JSON.parse(out) as { components: Component[] }).components;
  } catch {
    return [];
  }
}

/**
 * The provinces under test: the ones `npm run infra:up` started when both clusters and both mirrors are up
 * (as in `npm test`), otherwise a pair of this test's own on side ports with its own run dir, data and
 * secrets, started by infra.sh exactly as infra:up starts the real ones (TONGBAN_PROVINCES_TEST_SIDE=1
 * forces that), so a shared single broker is never touched.
 */
const useInfra =
  !process.env.TONGBAN_PROVINCES_TEST_SIDE &&
  statusJson({ ...process.env, TONGBAN_PROVINCES: 'two' }).filter((c) => MIRRORED.includes(c.name) && c.state === 'up').length === MIRRORED.length;
const base = process.env.TONGBAN_PROVINCES_TEST_DIR ?? '/tmp/tongban-provinces-test';
export const SIDE = useInfra
  ? {
      sichuan: { division: '510000', port: 9092, link: 9093, controller: 19192, alias: 'sichuan' },
      chongqing: { division: '500000', port: 9094, link: 9095, controller: 19194, alias: 'chongqing' },
      secrets: process.env.TONGBAN_SECRETS_DIR ?? join(repoRoot(), '.tongban', 'secrets'),
    }
  : {
      sichuan: { division: '510000', port: 29492, link: 29493, controller: 29592, alias: 'sichuan' },
      chongqing: { division: '500000', port: 29494, link: 29495, controller: 29594, alias: 'chongqing' },
      secrets: join(base, 'secrets'),
    };
export type Province = typeof SIDE.sichuan;

const infraEnv: Record<string, string> = useInfra
  ? { TONGBAN_PROVINCES: 'two' }
  : {
      TONGBAN_PROVINCES: 'two',
      TONGBAN_KAFKA_SECURITY: 'sasl',
      TONGBAN_INFRA_RUN_DIR: join(base, 'run'),
      TONGBAN_SECRETS_DIR: SIDE.secrets,
      TONGBAN_KAFKA_PORT: String(SIDE.sichuan.port),
      TONGBAN_KAFKA_LINK_PORT: String(SIDE.sichuan.link),
      TONGBAN_KAFKA_CONTROLLER_PORT: String(SIDE.sichuan.controller),
      TONGBAN_KAFKA_DATA_DIR: join(base, 'data-510000'),
      TONGBAN_KAFKA_CQ_PORT: String(SIDE.chongqing.port),
      TONGBAN_KAFKA_CQ_LINK_PORT: String(SIDE.chongqing.link),
      TONGBAN_KAFKA_CQ_CONTROLLER_PORT: String(SIDE.chongqing.controller),
      TONGBAN_KAFKA_CQ_DATA_DIR: join(base, 'data-500000'),
      TONGBAN_KAFKA_HEAP_OPTS: '-Xms128m -Xmx512m',
      TONGBAN_MIRROR_TOPICS_REFRESH: '2',
    };

/** Runs an infra.sh command against the test's provinces; returns its output. */
export function infra(...args: string[]): string {
  return execFileSync('bash', [script, ...args], {
    env: { ...process.env, ...infraEnv },
    stdio: 'pipe',
    timeout: 540_000,
  }).toString();
}

/** infra() without blocking the event loop (records keep flowing while a mirror restarts). */
export async function infraAsync(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [script, ...args], {
    env: { ...process.env, ...infraEnv },
    timeout: 540_000,
  });
  return stdout;
}

export interface Component {
  name: string;
  pid: number | null;
  ports: number[];
  state: string;
  note: string;
}

/** `infra.sh status --json` of the test's provinces; `env` adds settings of the status command's own. */
export function components(env: Record<string, string> = {}): Component[] {
  return statusJson({ ...process.env, ...infraEnv, ...env });
}

/** Starts the two provinces and their mirrors unless they run; true if this call started anything. */
export function ensureProvinces(): boolean {
  if (useInfra) return false;
  const up = components().filter((c) => MIRRORED.includes(c.name) && c.state === 'up').length;
  if (up === MIRRORED.length) return false;
  infra('kafka-up');
  return true;
}

export const local = (p: Province) => [`127.0.0.1:${p.port}`];
export const linkAddress = (p: Province) => [`127.0.0.1:${p.link}`];
export const caFile = (p: Province) => join(SIDE.secrets, 'tls', p.division, 'ca.pem');

/** A user's credentials in the province's generated credentials file. */
export function credentials(p: Province, username: string): KafkaCredentials {
  const found = kafkaCredentialsFile(local(p), { TONGBAN_SECRETS_DIR: SIDE.secrets });
  const password = found?.content.users?.[username];
  if (!password) throw new Error(`no password for ${username} in the credentials of province ${p.division}`);
  return { username, password, mechanism: 'scram-sha-512' };
}

/** A kafkajs client that fails fast: one attempt, short timeouts (for refusals). */
export function client(
  brokers: string[],
  clientId: string,
  creds: KafkaCredentials | undefined,
  tls: KafkaTlsConfig | { raw: kafkajs.KafkaConfig['ssl'] },
): Kafka {
  const security = 'raw' in tls ? { ...(creds ? kafkaSecurityOptions(creds, { enabled: false }) : {}), ssl: tls.raw } : kafkaSecurityOptions(creds, tls);
  return new Kafka({
    clientId,
    brokers,
    ...security,
    connectionTimeout: 4000,
    authenticationTimeout: 4000,
    requestTimeout: 8000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
}

/** The province's admin on its local listener (the way its own services connect). */
export const admin = (p: Province) =>
  new Kafka({
    clientId: `provinces-test-${p.alias}`,
    brokers: local(p),
    ...kafkaSecurityOptions(credentials(p, 'admin'), { enabled: false }),
    logLevel: logLevel.NOTHING,
    retry: { retries: 5 },
  });

/**
 * Gives a test namespace the mirror ACLs infra.sh gives `tongban`: in the source province, the target's
 * mirror reads the target's inbox; in the target province, its mirror writes it.
 */
export async function grantMirror(ns: string, source: Province, target: Province): Promise<void> {
  const end = (p: Province): MirrorEnd => ({ code: p.division, alias: p.alias, admin: () => admin(p) });
  await grantMirrorLink(ns, end(source), end(target));
}
