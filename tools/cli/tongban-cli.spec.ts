import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditRecordContent, entryHash, merkleProof, merkleRoot, RECORD_GROUP_ACTION, recordLeafHash } from '@tongban/audit';
import { checkProof, EXIT, run } from './tongban-cli';

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

describe('tongban audit proof: the local check of an inclusion proof', () => {
  // Built with the audit library; checked by the CLI's own code, which trusts only hashes.
  const records: AuditRecordContent[] = Array.from({ length: 5 }, (_, i) => ({
    chain: 'disclosures',
    recordId: `00000000-0000-4000-8000-00000000000${i}`,
    at: '2026-11-30T06:00:00.000Z',
    actor: 'municipal:510104:k1',
    actorKind: 'service',
    action: 'personal-data-disclosed',
    subject: { messages: [`e${i}`], cases: ['SUB-1'], persons: ['ab'.repeat(32)], regions: ['500000'] },
    details: { eventType: 'X', fieldsByPerson: { ['ab'.repeat(32)]: ['name'] }, withheld: [] },
    before: null,
    after: null,
  }));
  const leaves = records.map(recordLeafHash);
  const content = {
    chain: 'disclosures',
    seq: 7,
    entryId: '00000000-0000-4000-8000-0000000000aa',
    at: '2026-11-30T06:00:00.000Z',
    actor: 'gateway',
    actorKind: 'service' as const,
    action: RECORD_GROUP_ACTION,
    subject: { messages: [], cases: [], persons: [], regions: [] },
    details: { merkleRoot: merkleRoot(leaves), count: 5, tree: 'sha256-rfc6962' },
    before: null,
    after: null,
  };
  const prevHash = 'cd'.repeat(32);
  const entry = { ...content, prevHash, hash: entryHash(prevHash, content) };
  const proof = (pos: number) => ({
    record: records[pos],
    leafHash: leaves[pos],
    pos,
    count: 5,
    path: merkleProof(leaves, pos),
    merkleRoot: merkleRoot(leaves),
    entry,
  });

  it.each([0, 1, 2, 3, 4])('holds for the record at position %i', (pos) => {
    expect(checkProof(proof(pos) as never)).toBeUndefined();
  });

  it.each([
    ['an altered record', (p: ReturnType<typeof proof>) => ({ ...p, record: { ...p.record, actor: 'mallory' } }), /^leaf-altered/],
    ['a wrong sibling', (p: ReturnType<typeof proof>) => ({ ...p, path: [leaves[4], ...p.path.slice(1)] }), /^root-mismatch/],
    ['another position', (p: ReturnType<typeof proof>) => ({ ...p, pos: 2 }), /^root-mismatch/],
    [
      'a root the entry does not carry',
      (p: ReturnType<typeof proof>) => ({ ...p, entry: { ...p.entry, details: { ...p.entry.details, merkleRoot: 'ee'.repeat(32) } } }),
      /^root-mismatch/,
    ],
    ['an entry that does not match its hash', (p: ReturnType<typeof proof>) => ({ ...p, entry: { ...p.entry, actor: 'mallory' } }), /^changed/],
  ])('fails for %s', (_what, tamper, problem) => {
    expect(checkProof(tamper(proof(1)) as never)).toMatch(problem);
  });
});

describe('tongban replay-jobs, holds and deliveries: usage', () => {
  const JOB = '3f2b8c1e-6a7d-4e21-9b0c-5d4e3f2a1b0c';
  it.each([
    [['replay-jobs', 'show']],
    [['replay-jobs', 'cancel']],
    [['replay-jobs', 'cancel', '17']],
    [['replay-jobs', 'cancel', JOB, '--wait', 'soon']],
    [['replay-jobs', 'list', '--limit', '0']],
    [['replay-jobs', 'pause', JOB]],
    [['holds', 'release']],
    [['holds', 'release', 'SUB-1']],
    [['holds', 'release', 'SUB-1', '--resolution', 'applied']],
    [['holds', 'release', 'SUB-1', '--resolution', 'discarded']],
    [['holds', 'list', '--limit', '5000']],
    [['deliveries', 'list', '--state', 'failed']],
    [['deliveries', 'redeliver']],
    [['deliveries', 'redeliver', 'abc']],
    [['deliveries', 'list', '--items=yes']],
  ])('%j is a usage error (2), asking nothing', async (argv) => {
    // An unreachable URL: a call would end in 7, not 2.
    const r = await cli(argv, { TONGBAN_OPS_URL: 'http://127.0.0.1:1', TONGBAN_DELIVERY_URL: 'http://127.0.0.1:1' });
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(/^tongban: /);
  });

  it('lists the new verbs in --help', async () => {
    const r = await cli(['--help']);
    for (const verb of [
      'replay-jobs cancel <id>',
      'holds list',
      'holds release <case key>',
      'deliveries list',
      'deliveries redeliver <id>',
      '--delivery-token',
      'pipeline',
    ]) {
      expect(r.out).toContain(verb);
    }
  });

  it('names the unreachable service: 7', async () => {
    const ops = await cli(['replay-jobs', 'list'], { TONGBAN_OPS_URL: 'http://127.0.0.1:1' });
    expect(ops).toMatchObject({ code: EXIT.unreachable, err: expect.stringContaining('ops service at http://127.0.0.1:1') });
    const delivery = await cli(['deliveries', 'list', '--delivery-url', 'http://127.0.0.1:1']);
    expect(delivery).toMatchObject({ code: EXIT.unreachable, err: expect.stringContaining('delivery service at http://127.0.0.1:1') });
  });
});

describe('tongban replay-jobs, holds and deliveries: what is asked and the exit codes', () => {
  const JOB = '3f2b8c1e-6a7d-4e21-9b0c-5d4e3f2a1b0c';
  const seen: Array<{ method: string; url: string; authorization?: string; body: string }> = [];
  const answers = new Map<string, [number, unknown]>();
  let server: Server;
  let url = '';
  const job = (state: string, extra: Record<string, unknown> = {}) => ({
    id: JOB,
    state,
    createdBy: 'olga',
    createdAt: '2026-11-30T06:00:00.000Z',
    finishedAt: null,
    filter: { state: 'parked' },
    ratePerSecond: 1,
    total: 5,
    published: 2,
    summary: { applied: 1, alreadyApplied: 0, failedAgain: 0, publishFailed: 1, pending: 0, queued: 0, skipped: 3 },
    cancelRequested: { at: '2026-11-30T06:00:02.000Z', by: 'olga' },
    error: null,
    ...extra,
  });

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
        const [status, answer] = answers.get(`${req.method} ${req.url}`) ?? [404, { code: 'REQUEST.NOT_FOUND', detail: `no ${req.url}` }];
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    seen.length = 0;
    answers.clear();
  });
  const env = () => ({
    TONGBAN_OPS_URL: url,
    TONGBAN_OPS_TOKEN: 'ops-operator-token',
    TONGBAN_DELIVERY_URL: url,
    TONGBAN_DELIVERY_TOKEN: 'delivery-admin-token',
  });

  it('cancel: posts the reason with the ops token, then 0 once the job is cancelled, with honest counts', async () => {
    answers.set(`POST /v1/dlq/replay-jobs/${JOB}/cancel`, [202, job('cancelled')]);
    const r = await cli(['replay-jobs', 'cancel', JOB, '--reason', 'wrong filter'], env());
    expect(r.code).toBe(EXIT.ok);
    expect(seen[0]).toMatchObject({ method: 'POST', authorization: 'Bearer ops-operator-token', body: JSON.stringify({ reason: 'wrong filter' }) });
    expect(r.out).toContain(
      `bulk replay ${JOB} cancelled: 2/5 sent; applied 1, already applied 0, failed again 0, not published 1, no outcome yet 0, skipped 3`,
    );
  });

  it('cancel: 1 when the job has not stopped within --wait (the request stands), 5 when ops says it has ended', async () => {
    answers.set(`POST /v1/dlq/replay-jobs/${JOB}/cancel`, [202, job('running')]);
    answers.set(`GET /v1/dlq/replay-jobs/${JOB}`, [200, job('running')]);
    const waiting = await cli(['replay-jobs', 'cancel', JOB, '--wait', '0'], env());
    expect(waiting.code).toBe(EXIT.failed);
    expect(waiting.out).toContain('the cancel stands');
    answers.set(`POST /v1/dlq/replay-jobs/${JOB}/cancel`, [409, { code: 'OPS.REPLAY_JOB_ENDED', detail: 'the bulk replay has finished already' }]);
    const ended = await cli(['replay-jobs', 'cancel', JOB, '--json'], env());
    expect(ended.code).toBe(EXIT.conflict);
    expect(JSON.parse(ended.out)).toMatchObject({ code: 'OPS.REPLAY_JOB_ENDED' });
    expect(ended.err).toContain('(OPS.REPLAY_JOB_ENDED)');
  });

  it('show --items asks for the job and its items; an unknown job is 3', async () => {
    answers.set(`GET /v1/dlq/replay-jobs/${JOB}`, [200, job('cancelled')]);
    answers.set(`GET /v1/dlq/replay-jobs/${JOB}/items`, [
      200,
      { jobId: JOB, items: [{ deadLetterId: 7, outcome: 'skipped', detail: null, updatedAt: '2026-11-30T06:00:03.000Z' }] },
    ]);
    const r = await cli(['replay-jobs', 'show', JOB, '--items', '--json'], env());
    expect(r.code).toBe(EXIT.ok);
    expect(JSON.parse(r.out)).toMatchObject({ id: JOB, state: 'cancelled', items: [{ deadLetterId: 7, outcome: 'skipped' }] });
    answers.clear();
    expect((await cli(['replay-jobs', 'show', JOB], env())).code).toBe(EXIT.notFound);
  });

  it('dlq counts: the filters in the query (reason text as q), the groups per line, or the answer as JSON', async () => {
    const counts = {
      total: 3,
      byWorkflow: [
        { value: 'disability-subsidy', count: 2 },
        { value: null, count: 1 },
      ],
      byEventType: [
        { value: 'SubsidyApplicationSubmitted', count: 2 },
        { value: 'CaseRejected', count: 1 },
      ],
      byErrorCode: [{ value: 'STORE_UNAVAILABLE', count: 3 }],
      byRegion: [{ value: '500000', count: 3 }],
      byAge: [
        { bucket: '<1h', count: 1 },
        { bucket: '1h-1d', count: 2 },
        { bucket: '1d-7d', count: 0 },
        { bucket: '>7d', count: 0 },
      ],
    };
    answers.set('GET /v1/dlq/counts?state=parked&correlationId=c-1&q=100%25+full', [200, counts]);
    const r = await cli(['dlq', 'counts', '--state', 'parked', '--correlation-id', 'c-1', '--text', '100% full'], env());
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toContain('3 dead letter(s)\n');
    expect(r.out).toContain('workflow   disability-subsidy 2  (none) 1\n');
    expect(r.out).toContain('age        <1h 1  1h-1d 2  1d-7d 0  >7d 0\n');
    const asJson = await cli(['dlq', 'counts', '--state', 'parked', '--correlation-id', 'c-1', '--text', '100% full', '--json'], env());
    expect(JSON.parse(asJson.out)).toEqual(counts);
    answers.set('GET /v1/dlq/counts?q=xx', [
      400,
      { code: 'VALIDATION_FAILED', detail: 'invalid', problems: [{ path: 'q', problem: 'must be at most 200 characters' }] },
    ]);
    expect((await cli(['dlq', 'counts', '--text', 'xx'], env())).code).toBe(EXIT.invalid);
  });

  it('holds list: 1 when a node did not answer, the holds of the others still shown', async () => {
    answers.set('GET /v1/holds?all=true&node=510000', [
      200,
      {
        holds: [
          {
            node: '510000',
            caseKey: 'SUB-9',
            status: 'parked',
            heldCount: 2,
            errorCode: 'STORE_UNAVAILABLE',
            blockerEventId: 'e-1',
            updatedAt: '2026-11-30T06:00:00.000Z',
          },
        ],
        nodes: [
          { node: '510000', ok: true, count: 1 },
          { node: '500000', ok: false, error: 'timeout' },
        ],
      },
    ]);
    const r = await cli(['holds', 'list', '--all', '--node', '510000'], env());
    expect(r.code).toBe(EXIT.failed);
    expect(r.out).toMatch(/510000\s+SUB-9\s+parked\s+2/);
    expect(r.err).toContain('node 500000 did not answer: timeout');
  });

  it('holds release: the resolution, node and reason in the body; a hold ops has a dead letter for is 5', async () => {
    answers.set('POST /v1/holds/SUB%2F9/release', [409, { code: 'HOLD.NOT_RELEASABLE', detail: 'dead letter 4 is the parked blocker' }]);
    const r = await cli(['holds', 'release', 'SUB/9', '--resolution', 'discarded', '--reason', 'sent twice', '--node', '510000'], env());
    expect(r.code).toBe(EXIT.conflict);
    expect(JSON.parse(seen[0].body)).toEqual({ resolution: 'discarded', node: '510000', reason: 'sent twice' });
  });

  it('deliveries with a delivery token: straight to the delivery service with it, never the ops token; a delivery not parked is 5', async () => {
    answers.set('GET /v1/deliveries?state=parked&caseId=SUB-9', [
      200,
      {
        deliveries: [
          {
            deliveryId: '12',
            state: 'parked',
            eventType: 'SubsidyTransferred',
            caseId: 'SUB-9',
            targetRegion: '500000',
            attempts: 9,
            lastStatus: 503,
            createdAt: '2026-11-30T06:00:00.000Z',
          },
        ],
      },
    ]);
    const list = await cli(['deliveries', 'list', '--state', 'parked', '--case-id', 'SUB-9'], env());
    expect(list.code).toBe(EXIT.ok);
    expect(list.out).toMatch(/12\s+parked\s+-\s+SubsidyTransferred\s+SUB-9/);
    answers.set('POST /v1/deliveries/12/redeliver', [409, { code: 'DELIVERY.NOT_PARKED', detail: 'delivery 12 is delivered' }]);
    expect((await cli(['deliveries', 'redeliver', '12'], env())).code).toBe(EXIT.conflict);
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer delivery-admin-token', 'Bearer delivery-admin-token']);
  });

  it('deliveries through ops: the ops token, the partner shown, the reason in the body; no delivery token', async () => {
    const opsOnly = { TONGBAN_OPS_URL: url, TONGBAN_OPS_TOKEN: 'ops-operator-token' };
    answers.set('GET /v1/deliveries?state=parked', [
      200,
      {
        deliveries: [
          {
            deliveryId: '12',
            partner: 'dazu-minzheng',
            state: 'parked',
            eventType: 'DeathRegistered',
            caseId: 'FUN-9',
            attempts: 9,
            lastStatus: 503,
            parkedAt: '2026-11-30T06:00:00.000Z',
          },
        ],
      },
    ]);
    const list = await cli(['deliveries', 'list', '--state', 'parked'], opsOnly);
    expect(list.code).toBe(EXIT.ok);
    expect(list.out).toMatch(/12\s+parked\s+dazu-minzheng\s+DeathRegistered\s+FUN-9\s+9\s+503\s+2026-11-30T06:00:00/);
    answers.set('POST /v1/deliveries/12/redeliver', [202, { deliveryId: '12', state: 'queued', caseId: 'FUN-9' }]);
    const again = await cli(['deliveries', 'redeliver', '12', '--reason', 'the partner renewed its certificate'], opsOnly);
    expect(again).toMatchObject({ code: EXIT.ok, out: 'delivery 12 (FUN-9) is queued to be sent again\n' });
    expect(seen.map((x) => x.authorization)).toEqual(['Bearer ops-operator-token', 'Bearer ops-operator-token']);
    expect(JSON.parse(seen[1].body)).toEqual({ reason: 'the partner renewed its certificate' });
  });

  it('pipeline: both tables, the partitions over the limit marked, and 1 while anything is behind', async () => {
    const pipeline = (alerts: number) => ({
      readAt: '2026-11-30T10:00:00.000Z',
      threshold: { outboxPending: 1000, outboxOldestSeconds: 60, consumerLag: 10 },
      outbox: [
        { database: 'tongban_gateway', pending: 1500, oldestSeconds: 90.4, behind: alerts ? '1500 rows not sent (limit 1000)' : null },
        { database: 'tongban_node_500000', behind: null, error: 'access denied' },
      ],
      consumers: [
        {
          group: 'tongban.delivery',
          state: 'Empty',
          members: 0,
          topic: 'tongban.500000.inbox',
          lag: 12,
          partitions: [
            { partition: 0, lag: 0, behind: false },
            { partition: 1, lag: 12, behind: true },
          ],
          behind: 'no consumer in the group and 12 records waiting',
        },
      ],
      alerts,
    });
    answers.set('GET /v1/pipeline', [200, pipeline(3)]);
    const r = await cli(['pipeline'], env());
    expect(r.code).toBe(EXIT.failed);
    expect(r.out).toMatch(/tongban_gateway\s+1500\s+90\s+BEHIND: 1500 rows not sent/);
    expect(r.out).toMatch(/tongban_node_500000\s+-\s+-\s+UNREADABLE: access denied/);
    expect(r.out).toMatch(/tongban\.delivery\s+Empty\/0\s+tongban\.500000\.inbox\s+12\s+0:0 1:12!\s+BEHIND: no consumer/);
    expect(r.out).toContain('3 behind or unreadable');
    answers.set('GET /v1/pipeline', [200, { ...pipeline(0), outbox: [], consumers: [] }]);
    const quiet = await cli(['pipeline', '--json'], env());
    expect(quiet.code).toBe(EXIT.ok);
    expect(JSON.parse(quiet.out)).toMatchObject({ alerts: 0, outbox: [], consumers: [] });
    expect(seen.every((x) => x.authorization === 'Bearer ops-operator-token')).toBe(true);
  });
});
