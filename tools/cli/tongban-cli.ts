/**
 * `tongban` — the operators' command line, a client of the ops API (plain Node, no dependencies).
 *
 *   tongban dlq list [filters] [--limit N] [--cursor C] [--json]
 *   tongban dlq counts [filters] [--json]
 *   tongban dlq show <id> [--clear --reason TEXT] [--json]
 *   tongban dlq replay <id> [--note TEXT]
 *   tongban dlq replay (--all | filters) [--rate N] [--limit N] [--wait SECONDS]   bulk, with a progress bar
 *   tongban dlq edit <id> --file corrected.json [--dry-run] [--reason TEXT]
 *   tongban dlq discard <id> --reason TEXT
 *   tongban replay-jobs list [--limit N] | show <id> [--items] | cancel <id> [--reason TEXT] [--wait SECONDS]
 *   tongban holds list [--all] [--node N] [--limit N]
 *   tongban holds release <case key> --resolution replayed|discarded [--node N] [--reason TEXT]
 *   tongban deliveries list [--state parked|waiting|queued|delivered] [--case-id C] [--limit N]
 *   tongban deliveries redeliver <id> [--reason TEXT]
 *   tongban pipeline                                   outbox backlog and consumer lag (1 when anything is behind)
 *   tongban audit list [--actor A] [--action A] [--case-id C] [--person ID] [--limit N]
 *   tongban audit verify [--witness]
 *   tongban audit proof <record-id>
 *   tongban calendar check [--dir DIR] [--years FROM..TO]   which years have no published holiday schedule (local)
 *
 * Filters: --state --region --topic --workflow --event-type --error-class --error-code --case-id --event-id --correlation-id
 * --text (in the failure reason) --from --to
 * Connection: --url (TONGBAN_OPS_URL, default http://127.0.0.1:3100), --token (TONGBAN_OPS_TOKEN); `deliveries` asks
 * ops (which asks its delivery service, and audits a redelivery under the operator) unless given --delivery-token
 * (TONGBAN_DELIVERY_TOKEN: the delivery service's admin token, or a partner's API key for its own), which talks to the
 * delivery service itself at --delivery-url (TONGBAN_DELIVERY_URL, default http://127.0.0.1:3400).
 * Exit codes: 0 ok, 1 failed (including a broken audit chain, a bulk replay with failures, a node that did not
 * answer), 2 usage, 3 not found, 4 not authenticated or not allowed, 5 conflict (e.g. already discarded, a finished
 * job), 6 invalid input, 7 service unreachable.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A JSON answer read loosely, member by member. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

export const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3, denied: 4, conflict: 5, invalid: 6, unreachable: 7 } as const;

const FILTERS: Record<string, string> = {
  state: 'state',
  region: 'region',
  topic: 'topic',
  workflow: 'workflow',
  'event-type': 'eventType',
  'error-class': 'errorClass',
  'error-code': 'errorCode',
  'case-id': 'caseId',
  'event-id': 'eventId',
  'correlation-id': 'correlationId',
  text: 'q',
  from: 'from',
  to: 'to',
};
const VALUE_FLAGS = new Set([
  ...Object.keys(FILTERS),
  'url',
  'token',
  'limit',
  'cursor',
  'note',
  'reason',
  'rate',
  'wait',
  'file',
  'actor',
  'action',
  'person',
  'before',
  'dir',
  'years',
  'node',
  'resolution',
  'delivery-url',
  'delivery-token',
]);
const BOOLEAN_FLAGS = new Set(['json', 'clear', 'all', 'dry-run', 'help', 'witness', 'items']);
const DELIVERY_STATES = ['waiting', 'queued', 'delivered', 'parked'];

const USAGE = `usage: tongban <command> [options]

  dlq list [filters] [--limit N] [--cursor C]      dead letters, newest first
  dlq counts [filters]                             how many, by workflow, event type, error code, region and age
  dlq show <id> [--clear --reason TEXT]            one dead letter (personal data masked; --clear needs admin and
                                                   a reason, both audited)
  dlq replay <id> [--note TEXT]                    re-publish the original bytes to the original topic
  dlq replay (--all | filters) [--rate N] [--limit N] [--wait S]
                                                   bulk replay of the parked letters matching the filters
  dlq edit <id> --file event.json [--dry-run] [--reason TEXT]
                                                   replay a corrected copy of a parked letter, once (payload
                                                   fields only; checked and minimised as at the gateway)
  dlq discard <id> --reason TEXT                   drop a dead letter, saying why
  replay-jobs list [--limit N]                     the latest bulk replays, newest first
  replay-jobs show <id> [--items]                  one bulk replay's progress and summary (--items: each letter)
  replay-jobs cancel <id> [--reason TEXT] [--wait S]
                                                   stop a running bulk replay at its next letter (any ops replica);
                                                   waits up to S seconds (default 30) for it to stop
  holds list [--all] [--node N] [--limit N]        messages the nodes hold behind a failed one of the same case
                                                   (--all: closed holds too)
  holds release <case key> --resolution replayed|discarded [--node N] [--reason TEXT]
                                                   settle a hold whose blocker has no parked dead letter in ops
                                                   (one that has: dlq replay|discard it); discarding needs --reason
  deliveries list [--state parked|waiting|queued|delivered] [--case-id C] [--limit N]
                                                   webhook deliveries of the province's delivery service, with
                                                   their partner system (through ops)
  deliveries redeliver <id> [--reason TEXT]        send a parked delivery again (operator; audited)
  pipeline                                         outbox rows not yet sent, per database, and consumer lag per
                                                   group and partition; 1 when anything is over its threshold
  audit list [--actor A] [--action A] [--case-id C] [--person ID] [--limit N]
  audit verify [--witness]                         check every audit chain (ops, gateway, nodes, delivery) and
                                                   the person index they cover (admin); --witness also against
                                                   the heads the other province witnessed (finds a chain cut
                                                   short or rewritten however consistent it is in itself)
  audit proof <record-id>                          check here that one record of a group is in its chain: its leaf,
                                                   the path to the group's Merkle root, the root in the chain entry
  calendar check [--dir DIR] [--years FROM..TO]    years without a published holiday schedule (a file per year in
                                                   TONGBAN_CALENDAR_DIR, default libs/calendar/data; this year and next)

filters: --state parked|replayed|discarded --region --topic --workflow --event-type --error-class
         --error-code --case-id --event-id --correlation-id --text TEXT (in the failure reason) --from ISO --to ISO
options: --url URL (TONGBAN_OPS_URL, default http://127.0.0.1:3100)  --token TOKEN (TONGBAN_OPS_TOKEN)  --json
         deliveries straight to the delivery service instead of through ops (a partner with its own API key):
                     --delivery-token TOKEN (TONGBAN_DELIVERY_TOKEN: its admin token, or a partner's key)
                     --delivery-url URL (TONGBAN_DELIVERY_URL, default http://127.0.0.1:3400)
exit codes: 0 ok, 1 failed, 2 usage, 3 not found, 4 denied, 5 conflict, 6 invalid input, 7 unreachable
`;

export class UsageError extends Error {}

/** An inclusion proof as ops answers it (GET /v1/audit/records/:id/proof). */
interface RecordProof {
  record: { recordId: string; action: string; at: string } & Record<string, unknown>;
  leafHash: string;
  pos: number;
  count: number;
  path: string[];
  merkleRoot: string;
  entry: { seq: number; action: string; details: Record<string, unknown>; prevHash: string; hash: string } & Record<string, unknown>;
}

/** JSON with object keys sorted at every depth: the canonical text the audit hashes cover. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const sha256 = (...parts: Array<string | Buffer>) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest('hex');

/**
 * Checks an inclusion proof: leaf = SHA-256(0x00 ‖ record), node = SHA-256(0x01 ‖ left ‖ right), sides from the
 * position and count (a last odd node goes up unchanged), the root and count those of the entry, and the entry's
 * hash over its content. Answers what fails, or undefined.
 */
export function checkProof(p: RecordProof): string | undefined {
  if (sha256(Buffer.from([0]), canonical(p.record)) !== p.leafHash) return 'leaf-altered: the record does not give its leaf hash';
  let hash = p.leafHash;
  let [i, size, used] = [p.pos, p.count, 0];
  const node = (l: string, r: string) => sha256(Buffer.from([1]), Buffer.from(l, 'hex'), Buffer.from(r, 'hex'));
  if (!(Number.isInteger(i) && i >= 0 && i < size)) return `root-mismatch: position ${p.pos} is not in a group of ${p.count}`;
  for (; size > 1; i = Math.floor(i / 2), size = Math.ceil(size / 2)) {
    if (i % 2 === 1 || i + 1 < size) {
      const sibling = p.path[used++];
      if (typeof sibling !== 'string' || !/^[0-9a-f]{64}$/.test(sibling)) return 'root-mismatch: the path is too short';
      hash = i % 2 === 1 ? node(sibling, hash) : node(hash, sibling);
    }
  }
  if (used !== p.path.length || hash !== p.merkleRoot) return 'root-mismatch: the leaf and its path do not give the root';
  if (p.entry.details.merkleRoot !== p.merkleRoot || p.entry.details.count !== p.count) return 'root-mismatch: the chain entry carries another root or count';
  const { prevHash, hash: entryHash, record: _r, ...content } = p.entry;
  if (sha256(prevHash, '\n', canonical(content)) !== entryHash) return 'changed: the chain entry does not match its hash';
  return undefined;
}

/** The calendar data directory: --dir, TONGBAN_CALENDAR_DIR, or libs/calendar/data of the checkout. */
function calendarDir(flags: Record<string, string | true>, env: Record<string, string | undefined>): string {
  if (typeof flags.dir === 'string') return flags.dir;
  if (env.TONGBAN_CALENDAR_DIR) return env.TONGBAN_CALENDAR_DIR;
  let dir = __dirname;
  while (dir !== dirname(dir)) {
    if (existsSync(join(dir, 'libs', 'calendar', 'data'))) return join(dir, 'libs', 'calendar', 'data');
    dir = dirname(dir);
  }
  return join(process.cwd(), 'libs', 'calendar', 'data');
}

/**
 * Which years of a range have no schedule file (`<year>.json`): the nodes count those with weekends only.
 * Local: reads the directory the nodes read, no ops API needed.
 */
export function calendarCheck(dir: string, from: number, to: number): { dir: string; published: Array<{ year: number; source: string }>; missing: number[] } {
  if (!existsSync(dir)) throw new UsageError(`calendar directory ${dir} does not exist`);
  const published = readdirSync(dir)
    .filter((f) => /^\d{4}\.json$/.test(f))
    .map((f) => {
      let source = '';
      try {
        source = String((JSON.parse(readFileSync(join(dir, f), 'utf8')) as { source?: unknown }).source ?? '');
      } catch {
        source = '(not readable JSON)';
      }
      return { year: Number(f.slice(0, 4)), source };
    })
    .sort((a, b) => a.year - b.year);
  const have = new Set(published.map((p) => p.year));
  const missing: number[] = [];
  for (let y = from; y <= to; y++) if (!have.has(y)) missing.push(y);
  return { dir, published, missing };
}

interface Parsed {
  positional: string[];
  flags: Record<string, string | true>;
}

export function parseArgs(argv: string[]): Parsed {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq > 0 ? eq : undefined);
    if (BOOLEAN_FLAGS.has(name)) {
      if (eq > 0) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
    } else if (VALUE_FLAGS.has(name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
      flags[name] = value;
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { positional, flags };
}

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
  isTty: boolean;
}

/** A refusal from ops: an RFC 9457 problem (`code`, `detail`, `problems`); older servers answered `error` alone. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    const legacy = body.error as { code?: string; message?: string } | undefined;
    const code = typeof body.code === 'string' ? body.code : legacy?.code;
    const detail = typeof body.detail === 'string' ? body.detail : legacy?.message;
    super(detail ? `${detail}${code ? ` (${code})` : ''}` : `HTTP ${status}`);
  }

  get problems(): Array<{ path: string; problem: string }> {
    if (Array.isArray(this.body.problems)) return this.body.problems as Array<{ path: string; problem: string }>;
    return (this.body.error as { details?: Array<{ path: string; problem: string }> } | undefined)?.details ?? [];
  }
}

class Client {
  constructor(
    private readonly url: string,
    private readonly token: string | undefined,
    private readonly service = 'ops service',
  ) {}

  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers: { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30000),
      });
    } catch (e) {
      throw new ApiError(0, { error: { message: `${this.service} at ${this.url} is unreachable: ${(e as Error).message}` } });
    }
    const text = await res.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { error: { message: text.slice(0, 200) } };
    }
    if (!res.ok) throw new ApiError(res.status, parsed);
    return parsed as T;
  }
}

function exitFor(e: ApiError): number {
  if (e.status === 0) return EXIT.unreachable;
  if (e.status === 404) return EXIT.notFound;
  if (e.status === 401 || e.status === 403) return EXIT.denied;
  if (e.status === 409) return EXIT.conflict;
  if (e.status === 400) return EXIT.invalid;
  return EXIT.failed;
}

function filterQuery(flags: Record<string, string | true>): URLSearchParams {
  const q = new URLSearchParams();
  for (const [flag, field] of Object.entries(FILTERS)) if (typeof flags[flag] === 'string') q.set(field, flags[flag] as string);
  return q;
}

function table(rows: Array<Record<string, unknown>>, columns: Array<[string, (r: Record<string, unknown>) => unknown]>): string {
  const cells = rows.map((r) => columns.map(([, get]) => String(get(r) ?? '')));
  const widths = columns.map(([h], i) => Math.min(48, Math.max(h.length, ...cells.map((c) => c[i].length))));
  const line = (values: string[]) =>
    values
      .map((v, i) => (v.length > widths[i] ? `${v.slice(0, widths[i] - 1)}…` : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(columns.map(([h]) => h)), ...cells.map(line)].join('\n') + '\n';
}

function idArg(positional: string[], what: string): string {
  const id = positional[2];
  if (!id) throw new UsageError(`${what} needs the dead letter's id`);
  if (!/^\d+$/.test(id)) throw new UsageError(`"${id}" is not a dead letter id (a number)`);
  return id;
}

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function jobIdArg(positional: string[], what: string): string {
  const id = positional[2];
  if (!id) throw new UsageError(`${what} needs the bulk replay's id`);
  if (!JOB_ID.test(id)) throw new UsageError(`"${id}" is not a bulk replay id (a UUID, as replay-jobs list shows)`);
  return id;
}

function wholeNumber(flags: Record<string, string | true>, name: string, min: number, max: number): number | undefined {
  if (typeof flags[name] !== 'string') return undefined;
  const n = Number(flags[name]);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
}

/** A bulk replay in one line: where it stands and its outcomes so far. */
function jobLine(job: Json): string {
  const s = job.summary;
  return (
    `bulk replay ${job.id} ${job.state}${job.cancelRequested && (job.state === 'running' || job.state === 'waiting') ? ` (cancel asked by ${job.cancelRequested.by})` : ''}: ` +
    `${job.published}/${job.total} sent; applied ${s.applied}, already applied ${s.alreadyApplied}, failed again ${s.failedAgain}, ` +
    `not published ${s.publishFailed}, no outcome yet ${s.pending}, skipped ${s.skipped ?? 0}${job.error ? `; error: ${job.error}` : ''}\n`
  );
}

const LIVE = new Set(['running', 'waiting']);
const outcomes = (job: Record<string, unknown>) => job.summary as Record<string, number>;

function bar(done: number, total: number, width = 30): string {
  const ratio = total === 0 ? 1 : done / total;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${Math.round(ratio * 100)}%`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(argv: string[], io: Io): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    io.err(`tongban: ${(e as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const { positional, flags } = parsed;
  if (flags.help || positional.length === 0) {
    (flags.help ? io.out : io.err)(USAGE);
    return flags.help ? EXIT.ok : EXIT.usage;
  }
  const url = String(flags.url ?? io.env.TONGBAN_OPS_URL ?? 'http://127.0.0.1:3100').replace(/\/+$/, '');
  const token = (flags.token as string | undefined) ?? io.env.TONGBAN_OPS_TOKEN;
  const client = new Client(url, token);
  const json = flags.json === true;
  const print = (value: unknown, human: () => string) => io.out(json ? `${JSON.stringify(value, null, 2)}\n` : human());
  try {
    const [group, command] = positional;
    if (group === 'dlq' && command === 'list') {
      const q = filterQuery(flags);
      if (typeof flags.limit === 'string') q.set('limit', flags.limit);
      if (typeof flags.cursor === 'string') q.set('cursor', flags.cursor);
      const page = await client.call<{ items: Array<Record<string, unknown>>; total: number; nextCursor: string | null }>('GET', `/v1/dlq?${q}`);
      print(
        page,
        () =>
          table(page.items, [
            ['ID', (r) => r.id],
            ['STATE', (r) => r.state],
            ['PARKED', (r) => String(r.parkedAt).slice(0, 19)],
            ['REGION', (r) => r.region],
            ['EVENT TYPE', (r) => r.eventType],
            ['CASE', (r) => r.caseId],
            ['ERROR', (r) => r.errorCode],
          ]) + `${page.items.length} of ${page.total}${page.nextCursor ? `; next page: --cursor ${page.nextCursor}` : ''}\n`,
      );
      return EXIT.ok;
    }
    if (group === 'dlq' && command === 'counts') {
      type Group = Array<{ value: string | null; count: number }>;
      const c = await client.call<{
        total: number;
        byWorkflow: Group;
        byEventType: Group;
        byErrorCode: Group;
        byRegion: Group;
        byAge: Array<{ bucket: string; count: number }>;
      }>('GET', `/v1/dlq/counts?${filterQuery(flags)}`);
      print(c, () => {
        const line = (label: string, groups: Array<{ label: string; count: number }>) =>
          `${label.padEnd(11)}${groups.length ? groups.map((g) => `${g.label} ${g.count}`).join('  ') : '-'}\n`;
        const named = (g: Group) => g.map((x) => ({ label: x.value ?? '(none)', count: x.count }));
        return (
          `${c.total} dead letter(s)\n` +
          line('workflow', named(c.byWorkflow)) +
          line('event type', named(c.byEventType)) +
          line('error code', named(c.byErrorCode)) +
          line('region', named(c.byRegion)) +
          line(
            'age',
            c.byAge.map((a) => ({ label: a.bucket, count: a.count })),
          )
        );
      });
      return EXIT.ok;
    }
    if (group === 'dlq' && command === 'show') {
      const id = idArg(positional, 'show');
      if (flags.clear && (typeof flags.reason !== 'string' || !flags.reason.trim()))
        throw new UsageError('show --clear needs --reason: why the personal data must be seen (it is audited)');
      const query = flags.clear ? `?${new URLSearchParams({ view: 'clear', reason: flags.reason as string })}` : '';
      const d = await client.call<Json>('GET', `/v1/dlq/${id}${query}`);
      print(d, () =>
        [
          `dead letter ${d.id}  ${d.state}  (${d.view})`,
          `event      ${d.eventType ?? '?'}  ${d.eventId ?? ''}`,
          `case       ${d.caseId ?? '?'}  ${d.sourceRegion ?? '?'} → ${d.targetRegion ?? '?'}`,
          `where      ${d.original.topic} [${d.original.partition ?? '?'}] @ ${d.original.offset ?? '?'}  → ${d.dlq.topic} @ ${d.dlq.offset}`,
          `error      ${d.failure.errorClass} ${d.failure.errorCode}: ${d.failure.errorMessage}`,
          `attempts   ${d.failure.attempts}, parked ${d.parkedAt}`,
          ...(d.decodeError ? [`decode     ${d.decodeError}`] : []),
          ...(d.resolution ? [`resolved   ${d.resolution.at} by ${d.resolution.by}${d.resolution.note ? `: ${d.resolution.note}` : ''}`] : []),
          `payload    ${d.payload ? JSON.stringify(d.payload, null, 2).replace(/\n/g, '\n           ') : '(not decodable)'}`,
          '',
        ].join('\n'),
      );
      return EXIT.ok;
    }
    if (group === 'dlq' && command === 'replay') {
      if (positional[2]) {
        const id = idArg(positional, 'replay');
        const r = await client.call<Json>('POST', `/v1/dlq/${id}/replay`, { note: flags.note });
        print(
          r,
          () =>
            `replayed dead letter ${r.id} to ${r.replayedTo.topic} [${r.replayedTo.partition}] @ ${r.replayedTo.offset}; already applied at the node: ${r.alreadyApplied}\n`,
        );
        return EXIT.ok;
      }
      const filter = Object.fromEntries(filterQuery(flags));
      if (Object.keys(filter).length === 0 && !flags.all) throw new UsageError('replay needs an id, or filters (or --all) for a bulk replay');
      const num = (name: string) => {
        if (typeof flags[name] !== 'string') return undefined;
        const n = Number(flags[name]);
        if (!Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number`);
        return n;
      };
      let job = await client.call<Json>('POST', '/v1/dlq/replay-jobs', { filter, ratePerSecond: num('rate'), limit: num('limit'), waitSeconds: num('wait') });
      let shown = '';
      while (LIVE.has(job.state)) {
        const text = `${bar(job.published, job.total)} ${job.state === 'waiting' ? 'waiting for outcomes' : 'replaying'}`;
        if (text !== shown) io.err(io.isTty ? `\r${text}` : `${text}\n`);
        shown = text;
        await sleep(300);
        job = await client.call('GET', `/v1/dlq/replay-jobs/${job.id}`);
      }
      io.err(io.isTty ? `\r${bar(job.published, job.total)} done\n` : `${bar(job.published, job.total)} done\n`);
      const s = job.summary;
      print(
        job,
        () =>
          `bulk replay ${job.id}: ${job.total} dead letter(s); applied ${s.applied}, already applied ${s.alreadyApplied}, failed again ${s.failedAgain}, ` +
          `not published ${s.publishFailed}, no outcome yet ${s.pending}${s.skipped ? `, skipped ${s.skipped} (cancelled by ${job.cancelRequested?.by ?? '?'})` : ''}` +
          `${job.error ? `; error: ${job.error}` : ''}\n`,
      );
      // A job cancelled (from the console or another terminal) did not replay everything it was asked to.
      return job.state !== 'finished' || s.failedAgain > 0 || s.publishFailed > 0 ? EXIT.failed : EXIT.ok;
    }
    if (group === 'dlq' && command === 'edit') {
      const id = idArg(positional, 'edit');
      if (typeof flags.file !== 'string') throw new UsageError('edit needs --file with the corrected event as JSON');
      let event: unknown;
      try {
        event = JSON.parse(readFileSync(flags.file === '-' ? 0 : flags.file, 'utf8'));
      } catch (e) {
        throw new UsageError(`cannot read ${flags.file}: ${(e as Error).message}`);
      }
      const r = await client.call<Json>('POST', `/v1/dlq/${id}/edit`, { event, note: flags.reason ?? flags.note, dryRun: flags['dry-run'] === true });
      print(r, () =>
        r.valid
          ? `the corrected event is valid; nothing was sent\n`
          : `replayed a corrected copy of dead letter ${r.id}; already applied at the node: ${r.alreadyApplied}\n`,
      );
      return EXIT.ok;
    }
    if (group === 'dlq' && command === 'discard') {
      const id = idArg(positional, 'discard');
      if (typeof flags.reason !== 'string' || !flags.reason.trim()) throw new UsageError('discard needs --reason');
      const r = await client.call<Record<string, unknown>>('POST', `/v1/dlq/${id}/discard`, { reason: flags.reason });
      print(r, () => `discarded dead letter ${r.id}\n`);
      return EXIT.ok;
    }
    if (group === 'replay-jobs' && command === 'list') {
      const limit = wholeNumber(flags, 'limit', 1, 100);
      const r = await client.call<{ jobs: Array<Json> }>('GET', `/v1/dlq/replay-jobs${limit ? `?limit=${limit}` : ''}`);
      print(r, () =>
        table(r.jobs, [
          ['ID', (j) => j.id],
          ['STATE', (j) => j.state],
          ['CREATED', (j) => String(j.createdAt).slice(0, 19)],
          ['BY', (j) => j.createdBy],
          ['SENT', (j) => `${j.published}/${j.total}`],
          ['APPLIED', (j) => outcomes(j).applied + outcomes(j).alreadyApplied],
          ['FAILED', (j) => outcomes(j).failedAgain + outcomes(j).publishFailed],
          ['SKIPPED', (j) => outcomes(j).skipped ?? 0],
        ]),
      );
      return EXIT.ok;
    }
    if (group === 'replay-jobs' && command === 'show') {
      const id = jobIdArg(positional, 'show');
      const job = await client.call<Json>('GET', `/v1/dlq/replay-jobs/${id}`);
      const items = flags.items ? (await client.call<{ items: Array<Record<string, unknown>> }>('GET', `/v1/dlq/replay-jobs/${id}/items`)).items : undefined;
      print(
        items ? { ...job, items } : job,
        () =>
          jobLine(job) +
          `created ${job.createdAt} by ${job.createdBy}, ${job.ratePerSecond}/s, filter ${JSON.stringify(job.filter)}${job.finishedAt ? `; ended ${job.finishedAt}` : ''}\n` +
          (items
            ? table(items, [
                ['DEAD LETTER', (i) => i.deadLetterId],
                ['OUTCOME', (i) => i.outcome],
                ['AT', (i) => String(i.updatedAt).slice(0, 19)],
                ['DETAIL', (i) => i.detail],
              ])
            : ''),
      );
      return EXIT.ok;
    }
    if (group === 'replay-jobs' && command === 'cancel') {
      const id = jobIdArg(positional, 'cancel');
      const wait = wholeNumber(flags, 'wait', 0, 600) ?? 30;
      let job = await client.call<Json>('POST', `/v1/dlq/replay-jobs/${id}/cancel`, { reason: flags.reason });
      // The job stops at its next letter, in whichever ops process runs it: wait to see it stopped.
      const deadline = Date.now() + wait * 1000;
      while (LIVE.has(job.state) && Date.now() < deadline) {
        await sleep(300);
        job = await client.call('GET', `/v1/dlq/replay-jobs/${id}`);
      }
      print(job, () => jobLine(job) + (LIVE.has(job.state) ? `the cancel stands; the job stops at its next letter (replay-jobs show ${id})\n` : ''));
      if (job.state === 'cancelled') return EXIT.ok;
      if (LIVE.has(job.state)) return EXIT.failed;
      io.err(`tongban: bulk replay ${id} ${job.state} before it saw the cancel\n`);
      return EXIT.conflict;
    }
    if (group === 'holds' && command === 'list') {
      const q = new URLSearchParams();
      if (flags.all) q.set('all', 'true');
      if (typeof flags.node === 'string') q.set('node', flags.node);
      const limit = wholeNumber(flags, 'limit', 1, 1000);
      if (limit) q.set('limit', String(limit));
      const r = await client.call<{ holds: Array<Json>; nodes: Array<{ node: string; ok: boolean; count?: number; error?: string }> }>(
        'GET',
        `/v1/holds${q.size ? `?${q}` : ''}`,
      );
      const silent = r.nodes.filter((n) => !n.ok);
      print(
        r,
        () =>
          table(r.holds, [
            ['NODE', (h) => h.node],
            ['CASE', (h) => h.caseKey],
            ['STATUS', (h) => h.status],
            ['HELD', (h) => h.heldCount],
            ['ERROR', (h) => h.errorCode],
            ['BLOCKER EVENT', (h) => h.blockerEventId],
            ['UPDATED', (h) => String(h.updatedAt).slice(0, 19)],
          ]) + `${r.holds.length} hold(s) from ${r.nodes.length - silent.length} of ${r.nodes.length} node(s)\n`,
      );
      for (const n of silent) io.err(`tongban: node ${n.node} did not answer: ${n.error}\n`);
      return silent.length ? EXIT.failed : EXIT.ok;
    }
    if (group === 'holds' && command === 'release') {
      const key = positional[2];
      if (!key) throw new UsageError('release needs the case key of the hold (holds list shows it)');
      if (flags.resolution !== 'replayed' && flags.resolution !== 'discarded')
        throw new UsageError('release needs --resolution replayed (the node re-sends the blocker) or discarded');
      if (flags.resolution === 'discarded' && (typeof flags.reason !== 'string' || !flags.reason.trim()))
        throw new UsageError('release --resolution discarded needs --reason');
      const r = await client.call<Json>('POST', `/v1/holds/${encodeURIComponent(key)}/release`, {
        resolution: flags.resolution,
        node: flags.node,
        reason: flags.reason,
      });
      print(r, () => `hold of ${r.caseKey ?? key} at node ${r.node}: ${r.outcome}${r.applied ? `, ${r.applied} held message(s) applied` : ''}\n`);
      return EXIT.ok;
    }
    if (group === 'deliveries' && (command === 'list' || command === 'redeliver')) {
      // Through ops by default (the operator's token; a redelivery audited under the operator). With a delivery
      // token, straight to the delivery service: it knows no operator tokens, so the ops token never goes there.
      const deliveryToken = (flags['delivery-token'] as string | undefined) ?? io.env.TONGBAN_DELIVERY_TOKEN;
      const deliveryUrl = String(flags['delivery-url'] ?? io.env.TONGBAN_DELIVERY_URL ?? 'http://127.0.0.1:3400').replace(/\/+$/, '');
      const direct = deliveryToken !== undefined || flags['delivery-url'] !== undefined;
      const target = direct ? new Client(deliveryUrl, deliveryToken, 'delivery service') : client;
      if (command === 'list') {
        const q = new URLSearchParams();
        if (typeof flags.state === 'string') {
          if (!DELIVERY_STATES.includes(flags.state)) throw new UsageError(`--state of a delivery is one of ${DELIVERY_STATES.join(', ')}`);
          q.set('state', flags.state);
        }
        if (typeof flags['case-id'] === 'string') q.set('caseId', flags['case-id']);
        const limit = wholeNumber(flags, 'limit', 1, 1000);
        if (limit) q.set('limit', String(limit));
        const r = await target.call<{ deliveries: Array<Record<string, unknown>> }>('GET', `/v1/deliveries${q.size ? `?${q}` : ''}`);
        print(
          r,
          () =>
            table(r.deliveries, [
              ['ID', (d) => d.deliveryId],
              ['STATE', (d) => d.state],
              ['PARTNER', (d) => d.partner ?? d.systemName ?? '-'],
              ['EVENT TYPE', (d) => d.eventType],
              ['CASE', (d) => d.caseId],
              ['TRIES', (d) => d.attempts],
              ['LAST', (d) => d.lastStatus ?? d.lastError],
              ['PARKED', (d) => (d.parkedAt ? String(d.parkedAt).slice(0, 19) : '-')],
            ]) + `${r.deliveries.length} deliver${r.deliveries.length === 1 ? 'y' : 'ies'}\n`,
        );
        return EXIT.ok;
      }
      const id = positional[2];
      if (!id) throw new UsageError('redeliver needs the delivery id (deliveries list shows it)');
      if (!/^\d{1,18}$/.test(id)) throw new UsageError(`"${id}" is not a delivery id (a number)`);
      const r = await target.call<Record<string, unknown>>('POST', `/v1/deliveries/${id}/redeliver`, direct ? undefined : { reason: flags.reason });
      print(r, () => `delivery ${r.deliveryId}${r.caseId ? ` (${r.caseId})` : ''} is ${r.state} to be sent again\n`);
      return EXIT.ok;
    }
    if (group === 'pipeline' && command === undefined) {
      type Outbox = { database: string; pending?: number; oldestSeconds?: number; behind: string | null; error?: string };
      type Consumer = {
        group: string;
        state: string | null;
        members: number | null;
        topic: string;
        lag: number;
        partitions: Array<{ partition: number; lag: number; behind: boolean }>;
        behind: string | null;
      };
      const p = await client.call<{
        readAt: string;
        threshold: Record<string, number>;
        outbox: Outbox[];
        consumers: Consumer[];
        consumersError?: string;
        alerts: number;
      }>('GET', '/v1/pipeline');
      const flag = (row: { behind: string | null; error?: string }) => (row.error ? `UNREADABLE: ${row.error}` : row.behind ? `BEHIND: ${row.behind}` : 'ok');
      print(
        p,
        () =>
          `outbox (rows the relay has not sent; behind over ${p.threshold.outboxPending} rows or ${p.threshold.outboxOldestSeconds} s)\n` +
          table(p.outbox as unknown as Array<Record<string, unknown>>, [
            ['DATABASE', (o) => o.database],
            ['NOT SENT', (o) => o.pending ?? '-'],
            ['OLDEST S', (o) => (o.oldestSeconds === undefined ? '-' : Math.round(o.oldestSeconds as number))],
            ['STATUS', (o) => flag(o as Outbox)],
          ]) +
          `\nconsumer lag (behind over ${p.threshold.consumerLag} records on a partition)\n` +
          (p.consumersError
            ? `UNREADABLE: ${p.consumersError}\n`
            : table(p.consumers as unknown as Array<Record<string, unknown>>, [
                ['GROUP', (c) => c.group],
                ['STATE', (c) => `${c.state ?? '?'}${c.members === null ? '' : `/${c.members}`}`],
                ['TOPIC', (c) => c.topic],
                ['LAG', (c) => c.lag],
                ['PARTITIONS', (c) => (c as Consumer).partitions.map((x) => `${x.partition}:${x.lag}${x.behind ? '!' : ''}`).join(' ')],
                ['STATUS', (c) => flag(c as Consumer)],
              ])) +
          `${p.alerts ? `${p.alerts} behind or unreadable` : 'nothing behind'} (read ${p.readAt})\n`,
      );
      return p.alerts ? EXIT.failed : EXIT.ok;
    }
    if (group === 'audit' && command === 'verify') {
      type Chain = { database?: string; chain: string; ok: boolean; checked: number };
      type Index = { database: string; ok: boolean; rows: number };
      type Witnessed = { database: string; chain: string; status: string; length: number | null; witnessedLength: number | null; witnessedAt: string | null };
      type Witness = {
        ok: boolean;
        witness: string;
        lastAcknowledgedAt: string | null;
        chains: Witnessed[];
        partnerConflicts: Array<{ database: string; chain: string; conflict: string }>;
      };
      const r = await client.call<{
        ok: boolean;
        checked: number;
        headSeq: number;
        chains?: Chain[];
        indexes?: Index[];
        witness?: Witness;
        firstBroken?: { seq: number; problem: string; message: string; database?: string; chain?: string; recordId?: string; pos?: number };
      }>('GET', flags.witness === true ? '/v1/audit/verify?witness=true' : '/v1/audit/verify');
      const where = (c: { database?: string; chain?: string }) => [c.database, c.chain].filter(Boolean).join(' / ');
      const w = r.witness;
      const witnessed = (c: Witnessed) =>
        c.status === 'unwitnessed'
          ? `  -       ${where(c)}: not witnessed yet by ${w!.witness}`
          : `  ${c.status === 'ok' ? 'ok    ' : c.status.toUpperCase()}  ${where(c)}: ${c.length ?? '?'} entries; ${w!.witness} witnessed ${c.witnessedLength} on ${c.witnessedAt ?? '?'}`;
      const lines = [
        ...(r.chains ?? []).map((c) => `  ${c.ok ? 'ok    ' : 'BROKEN'}  ${where(c)}: ${c.checked} entries`),
        ...(r.indexes ?? []).map((i) => `  ${i.ok ? 'ok    ' : 'BROKEN'}  ${i.database} / person index: ${i.rows} rows covered by the chain`),
        ...(w
          ? [
              `witnessed by province ${w.witness} (last acknowledged ${w.lastAcknowledgedAt ?? 'never'}):`,
              ...w.chains.map(witnessed),
              ...w.partnerConflicts.map((c) => `  CONFLICT  province ${w.witness}'s ${where(c)}: ${c.conflict}`),
            ]
          : []),
      ].join('\n');
      print(
        r,
        () =>
          (r.ok
            ? `audit chain intact: ${r.checked} entries in ${(r.chains ?? []).length || 1} chain(s)\n`
            : `audit chain BROKEN at entry ${r.firstBroken!.seq}${r.firstBroken!.database ? ` of ${where(r.firstBroken!)}` : ''}${
                r.firstBroken!.recordId ? `, record ${r.firstBroken!.recordId}` : r.firstBroken!.pos !== undefined ? `, position ${r.firstBroken!.pos}` : ''
              } (${r.firstBroken!.problem}): ${r.firstBroken!.message}\n`) + (lines ? `${lines}\n` : ''),
      );
      return r.ok ? EXIT.ok : EXIT.failed;
    }
    if (group === 'audit' && command === 'proof') {
      const id = positional[2];
      if (!id) throw new UsageError("proof needs the record's id");
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw new UsageError(`"${id}" is not a record id (a UUID)`);
      const r = await client.call<RecordProof & { database: string; chain: string }>('GET', `/v1/audit/records/${id.toLowerCase()}/proof`);
      // Checked here, not taken from the answer: only hashes are trusted.
      const failure = checkProof(r);
      print({ ...r, ok: !failure, ...(failure ? { problem: failure } : {}) }, () =>
        [
          `record ${r.record.recordId} (${r.record.action}, ${r.record.at}) in ${r.database} / ${r.chain}`,
          `  position ${r.pos} of ${r.count} in the group of entry ${r.entry.seq}; path of ${r.path.length} hash(es)`,
          `  leaf  ${r.leafHash}`,
          `  root  ${r.merkleRoot}`,
          `  entry ${r.entry.hash} (after ${r.entry.prevHash})`,
          failure ? `proof FAILS: ${failure}` : 'proof holds: the record is in the group whose root the chain entry carries',
          '',
        ].join('\n'),
      );
      return failure ? EXIT.failed : EXIT.ok;
    }
    if (group === 'audit' && command === 'list') {
      const q = new URLSearchParams();
      for (const [flag, field] of [
        ['actor', 'actor'],
        ['action', 'action'],
        ['case-id', 'caseId'],
        ['limit', 'limit'],
        ['before', 'before'],
        ['from', 'from'],
        ['to', 'to'],
      ]) {
        if (typeof flags[flag] === 'string') q.set(field, flags[flag] as string);
      }
      // An ID number never goes into a URL: a person's entries are asked for in a POST body.
      const byPerson = typeof flags.person === 'string';
      if (byPerson && ['actor', 'case-id', 'from', 'to'].some((f) => flags[f] !== undefined))
        throw new UsageError('--person combines only with --action, --limit and --before');
      const r = byPerson
        ? await client.call<{ entries: Array<Json> }>('POST', '/v1/audit:search', {
            person: flags.person,
            action: flags.action,
            limit: flags.limit === undefined ? undefined : Number(flags.limit),
            before: flags.before === undefined ? undefined : Number(flags.before),
          })
        : await client.call<{ entries: Array<Json> }>('GET', `/v1/audit?${q}`);
      print(r, () =>
        table(r.entries, [
          ['SEQ', (e) => e.seq],
          ['AT', (e) => String(e.at).slice(0, 19)],
          ['ACTOR', (e) => e.actor],
          ['ACTION', (e) => e.action],
          ['CASES', (e) => (e.subject as { cases: string[] }).cases.join(',')],
          ['DETAILS', (e) => JSON.stringify(e.details)],
        ]),
      );
      return EXIT.ok;
    }
    if (group === 'calendar' && command === 'check') {
      const thisYear = Number(new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 4));
      let [from, to] = [thisYear, thisYear + 1];
      if (typeof flags.years === 'string') {
        const m = /^(\d{4})(?:\.\.(\d{4}))?$/.exec(flags.years);
        if (!m || (m[2] && Number(m[2]) < Number(m[1]))) throw new UsageError('--years is YEAR or FROM..TO, e.g. 2026..2028');
        [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
      }
      const r = calendarCheck(calendarDir(flags, io.env), from, to);
      print({ ...r, from, to }, () =>
        [
          `calendar data: ${r.dir}`,
          ...r.published.map((p) => `  ${p.year}  published${p.source ? `: ${p.source}` : ''}`),
          r.missing.length
            ? `missing for ${from}..${to}: ${r.missing.join(', ')} — the nodes count only weekends as rest days there; add <year>.json from the State Council notice`
            : `every year of ${from}..${to} has a published schedule`,
          '',
        ].join('\n'),
      );
      return r.missing.length ? EXIT.failed : EXIT.ok;
    }
    throw new UsageError(`unknown command "${positional.join(' ')}"`);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`tongban: ${e.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (e instanceof ApiError) {
      const details = e.problems.map((d) => `\n  ${d.path || '(event)'}: ${d.problem}`).join('');
      if (json) io.out(`${JSON.stringify(e.body, null, 2)}\n`);
      io.err(`tongban: ${e.message}${details}\n`);
      return exitFor(e);
    }
    io.err(`tongban: ${(e as Error).message}\n`);
    return EXIT.failed;
  }
}

/** The command as a process runs it: its arguments, standard output and error, environment and exit code. */
export function main(): void {
  void run(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    env: process.env,
    isTty: process.stderr.isTTY === true,
  }).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) main();
