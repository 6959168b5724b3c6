import { DecodeFailure } from '@tongban/avro';
import { TongbanError } from '@tongban/errors';
import { FAILURE_HEADERS, HEADERS } from '@tongban/kafka';
import { getCase } from '../support/test-stack';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';
import { api, exampleEvent, OpsTestStack, parkEvent, startOpsStack, TOKENS, undocumentedIn } from './ops-support';

describe('ops service: dead letters', () => {
  let t: OpsTestStack;

  beforeAll(async () => {
    t = await startOpsStack();
  });

  afterAll(async () => {
    await t?.stop();
  });

  const list = (query: string, token = TOKENS.viewer) => api(t, 'GET', `/v1/dlq?${query}`, token);
  const findOne = (query: string) =>
    waitFor(async () => {
      const r = await list(query);
      return r.body.items?.length ? r.body.items[0] : undefined;
    }, `a dead letter for ${query}`);

  it('stores undecodable bytes with their failure facts and finds them by filters', async () => {
    const caseId = `CASE-GARBAGE-${uniqueId()}`;
    const before = new Date(Date.now() - 1000).toISOString();
    await t.park(
      '500000',
      Buffer.from('definitely not avro'),
      new DecodeFailure('WIRE_FORMAT_INVALID', 'first byte is 100, expected the magic byte 0'),
      {
        [HEADERS.eventType]: 'SubsidyApplicationSubmitted',
        [HEADERS.eventId]: 'not-a-real-event-id',
      },
      caseId,
    );
    const item = await findOne(`caseId=${caseId}`);
    expect(item).toMatchObject({
      state: 'parked',
      region: '500000',
      eventType: 'SubsidyApplicationSubmitted',
      // named as the nodes name the workflow, from the event type even when the bytes did not decode
      workflow: 'disability-subsidy',
      errorClass: 'DecodeFailure',
      errorCode: 'WIRE_FORMAT_INVALID',
      original: { topic: t.stack.inbox('500000'), key: caseId },
    });
    for (const query of [
      `caseId=${caseId}&errorCode=WIRE_FORMAT_INVALID&region=500000&workflow=disability-subsidy&eventType=SubsidyApplicationSubmitted&errorClass=DecodeFailure&state=parked`,
      `caseId=${caseId}&from=${before}&to=${new Date(Date.now() + 60000).toISOString()}`,
      `caseId=${caseId}&topic=${t.stack.inbox('500000')}`,
    ]) {
      expect((await list(query)).body.total).toBe(1);
    }
    expect((await list(`caseId=${caseId}&region=510000`)).body.total).toBe(0);
    expect((await list(`caseId=${caseId}&to=${before}`)).body.total).toBe(0);
    expect((await list('state=lost')).status).toBe(400);
    expect((await list('workflow=subsidy')).status).toBe(400);
    expect(await undocumentedIn(t, 'GET', '/v1/dlq', await list(`caseId=${caseId}`))).toEqual([]);
    const shown = await api(t, 'GET', `/v1/dlq/${item.id}`, TOKENS.viewer);
    expect(await undocumentedIn(t, 'GET', '/v1/dlq/{id}', shown)).toEqual([]);
    expect(shown.body).toMatchObject({ payload: null, rawBytes: 19, failure: { errorCode: 'WIRE_FORMAT_INVALID' } });
    expect(shown.body.decodeError).toContain('WIRE_FORMAT_INVALID');
  });

  it('asks for an operator token and a role that allows the action', async () => {
    expect((await api(t, 'GET', '/v1/dlq')).status).toBe(401);
    expect((await api(t, 'GET', '/v1/dlq', 'wrong-token-123')).status).toBe(401);
    expect((await api(t, 'POST', '/v1/dlq/1/replay', TOKENS.viewer, {})).status).toBe(403);
    expect((await api(t, 'GET', '/v1/audit/verify', TOKENS.operator)).status).toBe(403);
    expect((await api(t, 'GET', '/v1/me', TOKENS.operator)).body).toMatchObject({ name: 'olga', role: 'operator' });
  });

  it('shows the event masked by its schema, and in the clear only to an admin, audited', async () => {
    const event = exampleEvent('SubsidyApplicationSubmitted', uniqueId(), (p) => {
      p.applicant = { idNumber: '510104199001091234', name: '张德明', hukouDivision: '510104' };
    });
    await parkEvent(t, '500000', event, new TongbanError('NO_HANDLER', 'no handler'));
    const item = await findOne(`eventId=${event.envelope.eventId}`);
    const masked = await api(t, 'GET', `/v1/dlq/${item.id}`, TOKENS.viewer);
    expect(masked.body.view).toBe('masked');
    expect(masked.body.payload.applicant).toEqual({ idNumber: '510104********1234', name: '张*', hukouDivision: '510104' });
    expect(masked.body.payload.contactPhone).toBe('138****1234');
    expect(masked.body.payload.residence.detail).toBe('锦江区***');
    expect(masked.body.payload.certificateNumber).toBe('***');
    expect(JSON.stringify(masked.body)).not.toContain('510104199001091234');
    expect(masked.body.rawBase64).toBeUndefined();
    expect(await undocumentedIn(t, 'GET', '/v1/dlq/{id}', masked)).toEqual([]);

    expect((await api(t, 'GET', `/v1/dlq/${item.id}?view=clear`, TOKENS.operator)).status).toBe(403);
    const clear = await api(t, 'GET', `/v1/dlq/${item.id}?view=clear&reason=checking%20the%20applicant`, TOKENS.admin);
    expect(clear.status).toBe(200);
    expect(clear.body.payload.applicant.idNumber).toBe('510104199001091234');
    expect(await undocumentedIn(t, 'GET', '/v1/dlq/{id}', clear)).toEqual([]);

    const audit = await api(t, 'POST', '/v1/audit:search', TOKENS.operator, { action: 'dlq.view-clear', person: '510104199001091234' });
    expect(audit.body.entries).toHaveLength(1);
    expect(audit.body.entries[0]).toMatchObject({ actor: 'alice', action: 'dlq.view-clear', subject: { cases: [event.envelope.caseId] } });
    expect(audit.body.entries[0].details.fields).toContain('applicant.idNumber');
    expect(await undocumentedIn(t, 'POST', '/v1/audit:search', audit)).toEqual([]);
    expect(JSON.stringify(audit.body)).not.toContain('510104199001091234');
  });

  it('replays a fixed event to its node, and a second replay says it was applied already', async () => {
    const event = exampleEvent('SubsidyApplicationSubmitted', uniqueId());
    await parkEvent(t, '500000', event);
    const item = await findOne(`eventId=${event.envelope.eventId}`);
    const first = await api(t, 'POST', `/v1/dlq/${item.id}/replay`, TOKENS.operator, { note: 'case store is back' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ state: 'replayed', alreadyApplied: 'no', replayedTo: { topic: t.stack.inbox('500000') } });
    expect(await undocumentedIn(t, 'POST', '/v1/dlq/{id}/replay', first)).toEqual([]);
    await waitFor(async () => ((await getCase(t.stack, event.envelope.caseId, 'dev-dazu')).status === 200 ? true : undefined), 'the case at the node');
    const second = await api(t, 'POST', `/v1/dlq/${item.id}/replay`, TOKENS.operator, {});
    expect(second.body).toMatchObject({ state: 'replayed', alreadyApplied: 'yes' });
    const shown = await api(t, 'GET', `/v1/dlq/${item.id}`, TOKENS.viewer);
    expect(shown.body).toMatchObject({ state: 'replayed', replayCount: 2, lastReplayedBy: 'olga' });
    expect(await undocumentedIn(t, 'GET', '/v1/dlq/{id}', shown)).toEqual([]);
    const audit = await api(t, 'GET', `/v1/audit?action=dlq.replay&message=${event.envelope.eventId}`, TOKENS.operator);
    expect(await undocumentedIn(t, 'GET', '/v1/audit', audit)).toEqual([]);
    expect(audit.body.entries.map((e: { details: { alreadyApplied: string } }) => e.details.alreadyApplied)).toEqual(['yes', 'no']);
  });

  it('replays a filtered set at a bounded rate and sums up what happened', async () => {
    const code = `BULK_${uniqueId()}`.toUpperCase();
    const good = [exampleEvent('SubsidyApplicationSubmitted', uniqueId()), exampleEvent('SubsidyApplicationSubmitted', uniqueId())];
    for (const e of good) await parkEvent(t, '500000', e, new TongbanError(code, 'store was down'));
    await t.park('500000', Buffer.from('still garbage'), new TongbanError(code, 'undecodable'), {}, `CASE-BULK-${uniqueId()}`);
    await waitFor(async () => ((await list(`errorCode=${code}`)).body.total === 3 ? true : undefined), 'three parked letters');
    const started = await api(t, 'POST', '/v1/dlq/replay-jobs', TOKENS.operator, { filter: { errorCode: code }, ratePerSecond: 5, waitSeconds: 30 });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ total: 3, ratePerSecond: 5 });
    expect(await undocumentedIn(t, 'POST', '/v1/dlq/replay-jobs', started)).toEqual([]);
    const done = await waitFor(
      async () => {
        const job = await api(t, 'GET', `/v1/dlq/replay-jobs/${started.body.id}`, TOKENS.viewer);
        return job.body.state === 'finished' ? job.body : undefined;
      },
      'the bulk replay to finish',
      60_000,
      250,
    );
    expect(done).toMatchObject({ total: 3, published: 3, summary: { applied: 2, alreadyApplied: 0, failedAgain: 1, publishFailed: 0, pending: 0 } });
    expect(await undocumentedIn(t, 'GET', '/v1/dlq/replay-jobs/{jobId}', { status: 200, body: done })).toEqual([]);
    const items = await api(t, 'GET', `/v1/dlq/replay-jobs/${started.body.id}/items`, TOKENS.viewer);
    expect(items.body.items).toHaveLength(3);
    expect(await undocumentedIn(t, 'GET', '/v1/dlq/replay-jobs/{jobId}/items', items)).toEqual([]);
    expect(await undocumentedIn(t, 'GET', '/v1/dlq/replay-jobs', await api(t, 'GET', '/v1/dlq/replay-jobs', TOKENS.viewer))).toEqual([]);
    expect((await list(`errorCode=${code}&state=parked`)).body.total).toBe(0);
    const refused = await api(t, 'POST', '/v1/dlq/replay-jobs', TOKENS.operator, { filter: { state: 'lost' }, ratePerSecond: 1.5 });
    expect(refused.body.error.details.map((d: { path: string }) => d.path)).toEqual(['filter.state', 'ratePerSecond']);
  });

  it('refuses a corrected event with every problem by field, then replays a valid one and audits the change', async () => {
    const event = exampleEvent('SubsidyApplicationSubmitted', uniqueId(), (p) => {
      (p.applicant as Record<string, string>).idNumber = '500111196804170023';
    });
    await parkEvent(t, '500000', event, new TongbanError('VALIDATION_FAILED', 'check character is 3, expected 2'));
    const item = await findOne(`eventId=${event.envelope.eventId}`);
    const bad = { ...event, applicant: { idNumber: '500111196804170023', name: '李秀英', hukouDivision: '500111' }, contactPhone: 12, unknownField: 'x' };
    const refused = await api(t, 'POST', `/v1/dlq/${item.id}/edit`, TOKENS.operator, { event: bad });
    expect(refused.status).toBe(400);
    const paths = refused.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['applicant.idNumber', 'contactPhone', 'unknownField']));

    const fixed = { ...event, applicant: { idNumber: '500111196804170022', name: '李秀英', hukouDivision: '500111' } };
    const dry = await api(t, 'POST', `/v1/dlq/${item.id}/edit`, TOKENS.operator, { event: fixed, dryRun: true });
    expect(dry.body).toEqual({ id: item.id, valid: true, withheld: [], changedFields: ['applicant.idNumber'] });
    expect(await undocumentedIn(t, 'POST', '/v1/dlq/{id}/edit', dry)).toEqual([]);
    const replayed = await api(t, 'POST', `/v1/dlq/${item.id}/edit`, TOKENS.operator, { event: fixed, note: 'corrected check character' });
    expect(replayed.status).toBe(200);
    expect(replayed.body).toMatchObject({ state: 'replayed', alreadyApplied: 'no' });
    expect(await undocumentedIn(t, 'POST', '/v1/dlq/{id}/edit', replayed)).toEqual([]);
    await waitFor(
      async () => ((await getCase(t.stack, event.envelope.caseId, 'dev-dazu')).status === 200 ? true : undefined),
      'the corrected case at the node',
    );

    const shown = await api(t, 'GET', `/v1/dlq/${item.id}?view=clear&reason=checking%20the%20correction`, TOKENS.admin);
    expect(shown.body.payload.applicant.idNumber).toBe('500111196804170023');
    expect(shown.body.edited.applicant.idNumber).toBe('500111196804170022');
    expect(await undocumentedIn(t, 'GET', '/v1/dlq/{id}', shown)).toEqual([]);
    const [entry] = (await api(t, 'GET', `/v1/audit?action=dlq.edit-replay&caseId=${event.envelope.caseId}`, TOKENS.operator)).body.entries;
    expect(entry.details.changedFields).toEqual(['applicant.idNumber']);
    expect(entry.before.fields).toEqual({ 'applicant.idNumber': '500111********0023' });
    expect(entry.after.fields).toEqual({ 'applicant.idNumber': '500111********0022' });
  });

  it('discards with a reason, once', async () => {
    const caseId = `CASE-DISCARD-${uniqueId()}`;
    await t.park('510000', Buffer.from([0, 0, 0, 0, 99, 1]), new DecodeFailure('SCHEMA_ID_UNKNOWN', 'schema id 99 is not in the registry'), {}, caseId);
    const item = await findOne(`caseId=${caseId}`);
    expect((await api(t, 'POST', `/v1/dlq/${item.id}/discard`, TOKENS.operator, {})).body.error.details).toEqual([
      { path: 'reason', problem: expect.any(String) },
    ]);
    const discarded = await api(t, 'POST', `/v1/dlq/${item.id}/discard`, TOKENS.operator, { reason: 'test message from a misconfigured system' });
    expect(discarded.body).toMatchObject({ id: item.id, state: 'discarded' });
    expect(await undocumentedIn(t, 'POST', '/v1/dlq/{id}/discard', discarded)).toEqual([]);
    expect((await api(t, 'POST', `/v1/dlq/${item.id}/discard`, TOKENS.operator, { reason: 'again' })).status).toBe(409);
    expect((await api(t, 'POST', `/v1/dlq/${item.id}/replay`, TOKENS.operator, {})).status).toBe(409);
    const shown = await api(t, 'GET', `/v1/dlq/${item.id}`, TOKENS.viewer);
    expect(shown.body.resolution).toMatchObject({ by: 'olga', note: 'test message from a misconfigured system' });
    expect(await undocumentedIn(t, 'GET', '/v1/dlq/{id}', shown)).toEqual([]);
  });

  it('lists a letter written twice to its topic once, and a later failure of the same message as a letter of its own', async () => {
    const caseId = `CASE-COPY-${uniqueId()}`;
    const inbox = t.stack.inbox('500000');
    const failure = (at: string) => ({
      [FAILURE_HEADERS.originalTopic]: inbox,
      [FAILURE_HEADERS.originalPartition]: '3',
      [FAILURE_HEADERS.originalOffset]: '41',
      [FAILURE_HEADERS.errorClass]: 'DecodeFailure',
      [FAILURE_HEADERS.errorCode]: 'SCHEMA_ID_UNKNOWN',
      [FAILURE_HEADERS.errorMessage]: 'schema id 98 is not in the registry',
      [FAILURE_HEADERS.attempts]: '1',
      [FAILURE_HEADERS.firstFailureAt]: at,
      [FAILURE_HEADERS.lastFailureAt]: at,
    });
    const letter = { key: caseId, value: Buffer.from([0, 0, 0, 0, 98, 2]), headers: failure('2026-11-30T08:00:00.000Z') };
    const producer = t.stack.kafka.producer();
    await producer.connect();
    try {
      // The same copy twice (a producer that resent it), then the message failing again later, then another case
      // behind them on the one partition: once that one is stored, the three before it were read.
      await producer.send({ topic: `${inbox}.dlq`, acks: -1, messages: [letter] });
      await producer.send({ topic: `${inbox}.dlq`, acks: -1, messages: [letter] });
      await producer.send({ topic: `${inbox}.dlq`, acks: -1, messages: [{ ...letter, headers: failure('2026-11-30T08:05:00.000Z') }] });
      await producer.send({ topic: `${inbox}.dlq`, acks: -1, messages: [{ ...letter, key: `${caseId}-after` }] });
    } finally {
      await producer.disconnect();
    }
    await findOne(`caseId=${caseId}-after`);
    const listed = (await list(`caseId=${caseId}`)).body;
    expect(listed.total).toBe(2);
    const failedAt = await Promise.all(
      listed.items.map(async (i: { id: number }) => (await api(t, 'GET', `/v1/dlq/${i.id}`, TOKENS.viewer)).body.failure.lastFailureAt),
    );
    expect(failedAt.sort()).toEqual(['2026-11-30T08:00:00.000Z', '2026-11-30T08:05:00.000Z']);
  });

  it('answers the holds of its nodes, its link, its pipeline and its liveness as its OpenAPI document describes them', async () => {
    const holds = await api(t, 'GET', '/v1/holds?all=true', TOKENS.viewer);
    expect(holds.status).toBe(200);
    expect(holds.body.nodes.length).toBeGreaterThan(0);
    expect(await undocumentedIn(t, 'GET', '/v1/holds', holds)).toEqual([]);
    for (const [route, answer] of [
      ['/v1/me', await api(t, 'GET', '/v1/me', TOKENS.viewer)],
      ['/v1/link', await api(t, 'GET', '/v1/link', TOKENS.viewer)],
      ['/v1/pipeline', await api(t, 'GET', '/v1/pipeline', TOKENS.admin)],
      ['/health/live', await api(t, 'GET', '/health/live')],
      ['/health', await api(t, 'GET', '/health')],
    ] as const) {
      expect([route, answer.status]).toEqual([route, 200]);
      expect([route, await undocumentedIn(t, 'GET', route, answer)]).toEqual([route, []]);
    }
  });

  it('reports the depth of each dead-letter topic', async () => {
    const res = await fetch(`${t.url}/metrics`);
    expect(await res.text()).toMatch(new RegExp(`tongban_dlq_depth\\{topic="${t.stack.inbox('500000').replace(/\./g, '\\.')}\\.dlq"[^}]*\\} \\d+`));
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
  });

  it('answers a witness check where ops serves both nodes (no partner province) with 409, and a bad flag with 400', async () => {
    const none = await api(t, 'GET', '/v1/audit/verify?witness=true', TOKENS.admin);
    expect(none.status).toBe(409);
    expect(none.body.error.message).toContain('no partner province');
    const bad = await api(t, 'GET', '/v1/audit/verify?witness=yes', TOKENS.admin);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([{ path: 'witness', problem: 'must be true or false' }]);
    expect((await api(t, 'GET', '/v1/audit/witnessed', TOKENS.admin)).status).toBe(409);
  });

  it('verifies the audit chain and names an entry changed in SQL', async () => {
    const ok = await api(t, 'GET', '/v1/audit/verify', TOKENS.admin);
    expect(ok.body).toMatchObject({ ok: true });
    expect(ok.body.checked).toBeGreaterThan(3);
    expect(await undocumentedIn(t, 'GET', '/v1/audit/verify', ok)).toEqual([]);
    await t.ops.dataSource.query("UPDATE audit_entries SET actor = 'mallory' WHERE chain = 'ops' AND seq = 2");
    const broken = await api(t, 'GET', '/v1/audit/verify', TOKENS.admin);
    expect(broken.body).toMatchObject({ ok: false, firstBroken: { seq: 2, problem: 'changed' } });
    expect(await undocumentedIn(t, 'GET', '/v1/audit/verify', broken)).toEqual([]);
  });
});
