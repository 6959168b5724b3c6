import { spawn, ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, RowDataPacket } from 'mysql2/promise';
import { repoRoot } from '@tongban/config';
import { checkCharacter } from '@tongban/regions';
import { SideBroker } from '../stack/side-broker';
import { childEnv, RunningService, ServiceSpec, spawnService, stackServices, stopService, waitForHealth } from '../stack/stack';

/** What the chaos runs share: their own broker, MariaDB and Redis, and the municipal client. */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The stack a chaos run kills: `npm start`'s services without the ops console and partner delivery (neither is on
 * the path under test), on the run's own names and ports from `portBase`, against the run's own broker.
 */
export function chaosStackSpecs(o: {
  namespace: string;
  databasePrefix: string;
  portBase: number;
  gatewayPort: number;
  nodePorts: Record<string, number>;
  brokers: string[];
  extraEnv?: Record<string, string>;
}): ServiceSpec[] {
  return stackServices({
    namespace: o.namespace,
    databasePrefix: o.databasePrefix,
    gatewayPort: o.gatewayPort,
    registryPort: o.portBase + 81,
    nodePorts: o.nodePorts,
    relayPort: o.portBase + 30,
    opsPort: o.portBase + 31,
    extraEnv: { TONGBAN_KAFKA_BROKERS: o.brokers.join(','), TONGBAN_LOG_LEVEL: 'warn', TONGBAN_RETRY_DELAYS: '2s,5s,10s', ...(o.extraEnv ?? {}) },
  }).filter((s) => s.name !== 'ops' && s.name !== 'delivery');
}

/**
 * The services a run starts, by name: each waited for until healthy (its log named when it does not get there) and
 * stopped last first. An interrupted run (Ctrl-C, SIGTERM) stops them and then the broker; whatever still runs when
 * the process exits is killed.
 */
export class ChaosServices {
  readonly running = new Map<string, RunningService>();

  constructor(
    private readonly logDir: string,
    private readonly healthTimeoutMs: number,
    broker: SideBroker,
  ) {
    process.once('exit', () => this.running.forEach((s) => s.child.exitCode === null && s.child.kill('SIGKILL')));
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        void this.stopAll()
          .then(() => broker.stop())
          .finally(() => process.exit(130));
      });
    }
  }

  /** Starts the service (again, after a kill) and resolves once it is healthy. */
  async start(spec: ServiceSpec): Promise<RunningService> {
    const service = spawnService(spec, this.logDir);
    this.running.set(spec.name, service);
    await waitForHealth(spec.healthUrl, this.healthTimeoutMs, service.child).catch((e) => {
      throw new Error(`${spec.name} ${(e as Error).message}; see ${join(this.logDir, spec.name + '.log')}`);
    });
    return service;
  }

  async stopAll(): Promise<void> {
    for (const s of [...this.running.values()].reverse()) await stopService(s).catch(() => undefined);
  }
}

/** The machine's MariaDB, as infra.sh sets it up (root, no password), where the chaos runs keep their databases. */
export const MACHINE_MYSQL = {
  host: process.env.TONGBAN_MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.TONGBAN_MYSQL_PORT ?? 3306),
  user: 'root',
  password: '',
};

/** Runs `fn` with a query function on a connection of its own to `database` (on MACHINE_MYSQL), closed after. */
export async function withDb<T>(database: string, fn: (q: <R = RowDataPacket>(sql: string, params?: unknown[]) => Promise<R[]>) => Promise<T>): Promise<T> {
  const conn = await createConnection({ ...MACHINE_MYSQL, database });
  try {
    return await fn(async (sql, params = []) => (await conn.query(sql, params))[0] as never);
  } finally {
    await conn.end();
  }
}

/** How many of the events `ids` a node's database has applied (has in its case history). */
export async function appliedCount(database: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  return withDb(database, async (q) =>
    Number((await q<{ n: number }>('SELECT COUNT(DISTINCT event_id) AS n FROM case_events WHERE event_id IN (?)', [ids]))[0].n),
  );
}

/** The chaos broker: a side broker with its own ports, data and run folder, so no other run is disturbed. */
export class ChaosBroker extends SideBroker {
  constructor(port: number) {
    super(port, process.env.TONGBAN_CHAOS_DIR ?? join(tmpdir(), `tongban-chaos-${port}`), {
      // A broker restarted on a loaded machine (recovering its logs beside the whole stack) may take minutes.
      TONGBAN_KAFKA_START_TIMEOUT: process.env.TONGBAN_KAFKA_START_TIMEOUT ?? '300',
    });
  }
}

export interface Request {
  n: number;
  caseId: string;
  idempotencyKey: string;
  tries: number;
  eventId?: string;
  replayed: boolean;
  refused?: string;
  /** The event type sent (SubsidyApplicationSubmitted, or a follow-up of the same case). */
  eventType: string;
  /** For a follow-up: the request whose event it must come after at every node. */
  follows?: number;
}

/** Birth dates of fictional people: 1940-01-01 onwards for this many days (to 2019), always in the past. */
const BIRTH_DAYS = 29_000;

/**
 * The n-th fictional person of a run (registered in Dazu): a birth date and a 3-digit sequence number that are
 * the same for no two n below 23 million, and a birth date never in the future however long the run streams.
 */
export function fictionalPerson(n: number): { birth: string; sequence: string } {
  const birth = new Date(Date.UTC(1940, 0, 1) + (n % BIRTH_DAYS) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  return { birth, sequence: String(100 + (Math.floor(n / BIRTH_DAYS) % 800)).padStart(3, '0') };
}

/**
 * How long a client waits before its next try: the gateway's Retry-After when it gave one, else 250 ms doubling up to
 * 5 s; then spread between half and one and a half times that, at random ("jitter").
 */
export function retryWait(tries: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const base = retryAfterMs ?? Math.min(5000, 250 * 2 ** Math.max(0, tries - 1));
  return Math.round(base * (0.5 + random()));
}

/** A municipal system's client: one request per event, retried with the same Idempotency-Key until accepted. */
export class Client {
  readonly requests: Request[] = [];
  private readonly template = JSON.parse(readFileSync(join(repoRoot(), 'contracts/examples/SubsidyApplicationSubmitted.json'), 'utf8'));
  private inFlight = new Set<Promise<void>>();
  retriedRequests = 0;
  private stopped = false;
  private aborted = false;
  private readonly withdrawal = JSON.parse(readFileSync(join(repoRoot(), 'contracts/examples/SubsidyApplicationWithdrawn.json'), 'utf8'));

  /** Time the stream spent at its bound of requests in flight (the system answered slower than the rate asked). */
  heldBackMs = 0;
  /** The most requests that were in flight at once. */
  peakInFlight = 0;

  /**
   * `followUpEvery`: every k-th case also gets a withdrawal, sent once its submission was accepted (order per case).
   * `maxInFlight`: requests in flight at most (each retried until accepted); at the bound the stream waits, as a
   * municipal system with a bounded queue would, and sends what it owes once answers come back.
   */
  constructor(
    private readonly gatewayUrl: string,
    private readonly runTag: string,
    private readonly followUpEvery = 0,
    private readonly maxInFlight = 1000,
    /** Events per request: 1 posts each to `/v1/events`, more posts them together to `/v1/events:batch`. */
    private readonly batchSize = 1,
  ) {}

  /** Ends `stream` before its time; the requests in flight still go on until accepted. */
  stop(): void {
    this.stopped = true;
  }

  /** Ends `stream` and gives up every request in flight at its next try (the run is being torn down). */
  abort(): void {
    this.stopped = true;
    this.aborted = true;
  }

  get inFlightNow(): number {
    return this.inFlight.size;
  }

  /** Starts one request every 1/rate seconds until `until`, never more than `maxInFlight` at once. */
  async stream(rate: number, until: number): Promise<void> {
    const interval = 1000 / rate;
    let next = Date.now();
    while (Date.now() < until && !this.stopped) {
      // Every request that is due goes now: a busy event loop that wakes late sends the ones it owes at once,
      // so the rate offered is the rate asked for, not what the loop's wake-ups allow.
      while (next <= Date.now() && !this.stopped && this.inFlight.size < this.maxInFlight) {
        const p = this.batchSize > 1 ? this.sendBatch(this.batchSize) : this.send(this.requests.length);
        this.inFlight.add(p);
        void p.finally(() => this.inFlight.delete(p));
        next += interval * this.batchSize;
      }
      this.peakInFlight = Math.max(this.peakInFlight, this.inFlight.size);
      if (this.inFlight.size >= this.maxInFlight) {
        const t0 = Date.now();
        await Promise.race([...this.inFlight, sleep(250)]);
        this.heldBackMs += Date.now() - t0;
        continue;
      }
      await sleep(Math.max(1, next - Date.now()));
    }
  }

  async settle(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  private body(n: number) {
    const { birth, sequence } = fictionalPerson(n);
    const first17 = `500111${birth}${sequence}`;
    const idNumber = first17 + checkCharacter(first17);
    return {
      ...this.template,
      caseId: `CHAOS-510104-${this.runTag}-${n}`, // the second part names the opener (Jinjiang)
      occurredAt: new Date().toISOString(),
      payload: { ...this.template.payload, applicant: { ...this.template.payload.applicant, idNumber }, certificateNumber: `${idNumber}41` },
    };
  }

  private async send(n: number): Promise<void> {
    const body = this.body(n);
    const request: Request = { n, caseId: body.caseId, idempotencyKey: `chaos-${this.runTag}-${n}`, tries: 0, replayed: false, eventType: body.eventType };
    this.requests.push(request);
    await this.post(request, body);
    await this.followUp(request);
  }

  /** `count` new cases in one upload; each case's follow-up, where it has one, goes singly once the case is accepted. */
  private async sendBatch(count: number): Promise<void> {
    const items = Array.from({ length: count }, () => {
      const n = this.requests.length;
      const body = this.body(n);
      const request: Request = { n, caseId: body.caseId, idempotencyKey: `chaos-${this.runTag}-${n}`, tries: 0, replayed: false, eventType: body.eventType };
      this.requests.push(request);
      return { request, body };
    });
    await this.postBatch(items);
    await Promise.all(items.map((i) => this.followUp(i.request)));
  }

  private async followUp(request: Request): Promise<void> {
    const n = request.n;
    if (this.followUpEvery > 0 && n % this.followUpEvery === 0 && request.eventId) {
      const body = { caseId: request.caseId };
      const followUp = {
        ...this.withdrawal,
        caseId: body.caseId,
        occurredAt: new Date().toISOString(),
      };
      const next: Request = {
        n: -1,
        caseId: body.caseId,
        idempotencyKey: `chaos-${this.runTag}-${n}-w`,
        tries: 0,
        replayed: false,
        eventType: followUp.eventType,
        follows: n,
      };
      this.requests.push(next);
      await this.post(next, followUp);
    }
  }

  /**
   * Uploads the items until each is accepted or refused, as `post` does for one: a 207 settles each item by its
   * own result (an item answered neither 202 nor a final 4xx goes again with the next try, under the same key);
   * an answer for the whole upload (503, 429, no answer) sends the unsettled items again after the wait.
   */
  private async postBatch(items: { request: Request; body: Record<string, unknown> }[]): Promise<void> {
    const deadline = Date.now() + 600_000;
    let pending = items;
    while (pending.length > 0 && Date.now() < deadline && !this.aborted) {
      for (const { request } of pending) {
        request.tries++;
        if (request.tries === 2) this.retriedRequests++;
      }
      let retryAfterMs: number | undefined;
      try {
        const res = await fetch(`${this.gatewayUrl}/v1/events:batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer dev-chengdu' },
          body: JSON.stringify(pending.map((i) => ({ ...i.body, idempotencyKey: i.request.idempotencyKey }))),
          signal: AbortSignal.timeout(30_000),
        });
        const answer = (await res.json().catch(() => ({}))) as {
          results?: { index: number; status: number; eventId?: string; replayed?: boolean; problem?: unknown }[];
        };
        if (res.status === 207 && Array.isArray(answer.results)) {
          const settled = new Set<number>();
          for (const r of answer.results) {
            const item = pending[r.index];
            if (!item) continue;
            if (r.status === 202 && r.eventId) {
              item.request.eventId = r.eventId;
              item.request.replayed = r.replayed === true;
              settled.add(r.index);
            } else if (r.status >= 400 && r.status < 500 && r.status !== 429) {
              item.request.refused = `${r.status} ${JSON.stringify(r.problem ?? {}).slice(0, 200)}`;
              settled.add(r.index);
            }
          }
          pending = pending.filter((_, i) => !settled.has(i));
          if (pending.length === 0) return;
        } else if (res.status >= 400 && res.status < 500 && res.status !== 429) {
          for (const { request } of pending) request.refused = `${res.status} ${JSON.stringify(answer).slice(0, 200)}`;
          return;
        } else {
          const retryAfter = Number(res.headers.get('retry-after'));
          if (Number.isFinite(retryAfter) && retryAfter > 0) retryAfterMs = retryAfter * 1000;
        }
      } catch {
        // the gateway is down or the answer was lost: send again with the same keys
      }
      await sleep(retryWait(pending[0].request.tries, retryAfterMs));
    }
  }

  /**
   * Posts until accepted, as a municipal system keeps a case it has to hand over: up to 10 minutes, waiting as the
   * gateway's Retry-After says (else growing waits up to 5 s), each wait spread by a random part so that the clients
   * held back by a restart do not all come back in the same instant.
   */
  private async post(request: Request, body: Record<string, unknown>): Promise<void> {
    const deadline = Date.now() + 600_000;
    while (Date.now() < deadline && !this.aborted) {
      request.tries++;
      if (request.tries === 2) this.retriedRequests++;
      let retryAfterMs: number | undefined;
      try {
        const res = await fetch(`${this.gatewayUrl}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer dev-chengdu', 'idempotency-key': request.idempotencyKey },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        const answer = (await res.json().catch(() => ({}))) as { eventId?: string };
        if (res.status === 202 && answer.eventId) {
          request.eventId = answer.eventId;
          request.replayed = res.headers.get('idempotent-replayed') === 'true';
          return;
        }
        if (res.status >= 400 && res.status < 500 && res.status !== 429) {
          request.refused = `${res.status} ${JSON.stringify(answer).slice(0, 200)}`;
          return;
        }
        const retryAfter = Number(res.headers.get('retry-after'));
        if (Number.isFinite(retryAfter) && retryAfter > 0) retryAfterMs = retryAfter * 1000;
      } catch {
        // the gateway is down or the answer was lost: ask again with the same key
      }
      await sleep(retryWait(request.tries, retryAfterMs));
    }
  }
}

/** Whether something accepts TCP connections on a loopback port. */
async function answersOn(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A process of the chaos run's own infrastructure, started in the foreground so that it can be killed with -9. */
abstract class OwnServer {
  protected child?: ChildProcess;
  readonly dir: string;

  constructor(
    readonly port: number,
    name: string,
  ) {
    this.dir = join(tmpdir(), `tongban-chaos-${name}-${port}`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  protected abstract command(): { file: string; args: string[] };
  protected abstract ready(): Promise<boolean>;

  async start(): Promise<void> {
    if (await answersOn(this.port)) throw new Error(`something already listens on 127.0.0.1:${this.port}`);
    const { file, args } = this.command();
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'], env: childEnv(process.env, {}) });
    let err = '';
    child.stderr?.on('data', (d) => (err = (err + d).slice(-4000)));
    this.child = child;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${file} exited (${child.exitCode}): ${err}`);
      if (await this.ready().catch(() => false)) return;
      await sleep(200);
    }
    throw new Error(`${file} not ready on ${this.port} after 60 s: ${err}`);
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** kill -9 without waiting (for an owner that is exiting). */
  killNow(): void {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  async remove(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A MariaDB of the run's own: its own data folder and port, root without a password (grant tables skipped). */
export class OwnMariaDb extends OwnServer {
  constructor(port: number) {
    super(port, 'mariadb');
  }

  get mysql() {
    return { host: '127.0.0.1', port: this.port, user: 'root', password: '' };
  }

  async create(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    await new Promise<void>((resolve, reject) => {
      const c = spawn(
        'mariadb-install-db',
        ['--no-defaults', `--datadir=${join(this.dir, 'data')}`, '--user=root', '--skip-test-db', '--auth-root-authentication-method=normal'],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let err = '';
      c.stderr?.on('data', (d) => (err += d));
      c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mariadb-install-db failed (${code}): ${err}`))));
    });
    await this.start();
  }

  protected command() {
    return {
      file: 'mariadbd',
      args: [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        `--port=${this.port}`,
        `--socket=${join(this.dir, 'mysqld.sock')}`,
        '--bind-address=127.0.0.1',
        '--user=root',
        '--skip-grant-tables',
        '--max-connections=1000',
        '--innodb-buffer-pool-size=128M',
        '--innodb-log-file-size=64M',
        '--skip-log-bin',
        `--pid-file=${join(this.dir, 'mysqld.pid')}`,
      ],
    };
  }

  protected async ready(): Promise<boolean> {
    const conn = await createConnection({ ...this.mysql, connectTimeout: 1000 });
    await conn.query('SELECT 1');
    await conn.end();
    return true;
  }
}

/** A Redis of the run's own, with an append-only file so BullMQ's jobs survive a kill -9. */
export class OwnRedis extends OwnServer {
  constructor(port: number) {
    super(port, 'redis');
  }

  async create(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    await this.start();
  }

  protected command() {
    return {
      file: 'redis-server',
      args: ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'yes', '--daemonize', 'no'],
    };
  }

  protected async ready(): Promise<boolean> {
    return answersOn(this.port);
  }
}
