import { TongbanError } from '@tongban/errors';
import { createOpsApp } from '../../services/ops/src/app';
import { readOpsConfig } from '../../services/ops/src/ops.config';
import { queryRows, testLogger } from '../support/test-stack';
import { uniqueId } from '../support/unique';
import { waitFor } from '../support/wait';
import { api, exampleEvent, OpsTestStack, parkEvent, residentId, startOpsStack, TOKENS, undocumentedIn } from './ops-support';

describe('dead-letter triage: counts, searches, a person by keyed hash, bulk-replay preview and bulk discard', () => {
  let t: OpsTestStack;

  beforeAll(async () => {
    t = await startOpsStack();
  });

  afterAll(async () => {
    await t?.stop();
  });

  const parkedWith = (code: string, n: number) =>
    waitFor(async () => ((await api(t, 'GET', `/v1/dlq?errorCode=${code}`, TOKENS.viewer)).body.total === n ? true : undefined), `${n} letters of ${code}`);

  it('counts the letters of a filter by workflow, event type, error code, region and age, for a viewer', async () => {
    const code = `COUNT_${uniqueId()}`.toUpperCase();
    await parkEvent(t, '500000', exampleEvent('SubsidyApplicationSubmitted', uniqueId()), new TongbanError(code, 'down'));
    await parkEvent(t, '500000', exampleEvent('SubsidyApplicationSubmitted', uniqueId()), new TongbanError(code, 'down'));
    await parkEvent(t, '510000', exampleEvent('MarriageRegistrationRequested', uniqueId()), new TongbanError(code, 'no handler'));
    await parkedWith(code, 3);

    const counts = await api(t, 'GET', `/v1/dlq/counts?errorCode=${code}`, TOKENS.viewer);
    expect(counts.status).toBe(200);
    expect(counts.body).toEqual({
      total: 3,
      byWorkflow: [
        { value: 'disability-subsidy', count: 2 },
        { value: 'marriage-registration', count: 1 },
      ],
      byEventType: [
        { value: 'SubsidyApplicationSubmitted', count: 2 },
        { value: 'MarriageRegistrationRequested', count: 1 },
      ],
      byErrorCode: [{ value: code, count: 3 }],
      byRegion: [
        { value: '500000', count: 2 },
        { value: '510000', count: 1 },
      ],
      byAge: [
        { bucket: '<1h', count: 3 },
        { bucket: '1h-1d', count: 0 },
        { bucket: '1d-7d', count: 0 },
        { bucket: '>7d', count: 0 },
      ],
    });
    expect(await undocumentedIn(t, 'GET', '/v1/dlq/counts', counts)).toEqual([]);
    // The same filters as the list: narrowed by region, and by a time window that ends before these letters.
    expect((await api(t, 'GET', `/v1/dlq/counts?errorCode=${code}&region=510000`, TOKENS.viewer)).body.byEventType).toEqual([
      { value: 'MarriageRegistrationRequested', count: 1 },
    ]);
    expect((await api(t, 'GET', `/v1/dlq/counts?errorCode=${code}&to=2020-01-01T00:00:00Z`, TOKENS.viewer)).body).toMatchObject({ total: 0, byWorkflow: [] });

    expect((await api(t, 'GET', '/v1/dlq/counts')).status).toBe(401);
    const bad = await api(t, 'GET', '/v1/dlq/counts?state=lost&workflow=subsidy', TOKENS.viewer);
    expect(bad.status).toBe(400);
    expect(bad.body.problems.map((p: { path: string }) => p.path)).toEqual(['state', 'workflow']);
  });

  it('finds letters by text in their reason, matching % and _ literally, and by correlation id', async () => {
    const u = uniqueId();
    const code = `TEXT_${u}`.toUpperCase();
    const literal = exampleEvent('SubsidyApplicationSubmitted', uniqueId());
    const other = exampleEvent('SubsidyApplicationSubmitted', uniqueId());
    await parkEvent(t, '500000', literal, new TongbanError(code, `quota 100%_${u} exceeded`));
    await parkEvent(t, '500000', other, new TongbanError(code, `quota 1000x${u} exceeded`));
    await parkedWith(code, 2);

    const find = async (q: string) => (await api(t, 'GET', `/v1/dlq?errorCode=${code}&q=${encodeURIComponent(q)}`, TOKENS.viewer)).body;
    // Unescaped, `%_` would match the other letter's `0x` as well.
    expect((await find(`100%_${u}`)).items.map((i: { eventId: string }) => i.eventId)).toEqual([literal.envelope.eventId]);
    expect((await find(`quota`)).total).toBe(2);
    expect((await find('%')).total).toBe(1);
    expect((await find('_x_')).total).toBe(0);
    expect((await api(t, 'GET', `/v1/dlq/counts?errorCode=${code}&q=${encodeURIComponent(`1000x${u}`)}`, TOKENS.viewer)).body.total).toBe(1);

    const correlationId = (other.envelope as unknown as { correlationId: string }).correlationId;
    const byCorrelation = await api(t, 'GET', `/v1/dlq?correlationId=${correlationId}`, TOKENS.viewer);
    expect(byCorrelation.body.items.map((i: { eventId: string }) => i.eventId)).toEqual([other.envelope.eventId]);
    expect(byCorrelation.body.items[0].correlationId).toBe(correlationId);

    const long = await api(t, 'GET', `/v1/dlq?q=${'a'.repeat(201)}`, TOKENS.viewer);
    expect(long.status).toBe(400);
    expect(long.body.problems).toEqual([{ path: 'q', problem: 'must be at most 200 characters' }]);
  });

  it("finds a person's letters by the ID number in a POST body, matched by keyed hash, never echoed, and audited", async () => {
    const idNumber = residentId();
    const code = `PERSON_${uniqueId()}`.toUpperCase();
    const mine = exampleEvent('SubsidyApplicationSubmitted', uniqueId(), (p) => {
      (p.applicant as Record<string, string>).idNumber = idNumber;
    });
    await parkEvent(t, '500000', mine, new TongbanError(code, 'down'));
    await parkEvent(t, '500000', exampleEvent('SubsidyApplicationSubmitted', uniqueId()), new TongbanError(code, 'down'));
    await parkedWith(code, 2);

    const found = await api(t, 'POST', '/v1/dlq:search', TOKENS.viewer, { idNumber: idNumber.toLowerCase(), errorCode: code });
    expect(await undocumentedIn(t, 'POST', '/v1/dlq:search', found)).toEqual([]);
    expect(found.status).toBe(200);
    expect(found.body.total).toBe(1);
    expect(found.body.items[0]).toMatchObject({ eventId: mine.envelope.eventId, caseId: mine.envelope.caseId });
    expect(JSON.stringify(found.body)).not.toContain(idNumber);
    // Other filters still apply; another person has no letters here.
    expect((await api(t, 'POST', '/v1/dlq:search', TOKENS.viewer, { idNumber, errorCode: code, region: '510000' })).body.total).toBe(0);
    expect((await api(t, 'POST', '/v1/dlq:search', TOKENS.viewer, { idNumber: residentId(), errorCode: code })).body.total).toBe(0);

    // The index holds keyed hashes only.
    const rows = await queryRows<{ person_hash: string }>(
      t.opsDatabase,
      'SELECT p.person_hash FROM dead_letter_persons p JOIN dead_letters d ON d.id = p.dead_letter_id WHERE d.event_id = ?',
      [mine.envelope.eventId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].person_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(idNumber.slice(6, 14));

    const malformed = await api(t, 'POST', '/v1/dlq:search', TOKENS.viewer, { idNumber: `${idNumber.slice(0, 17)}Y`, errorCode: code });
    expect(malformed.status).toBe(400);
    expect(malformed.body.problems.map((p: { path: string }) => p.path)).toEqual(['idNumber']);
    expect(JSON.stringify(malformed.body)).not.toContain(idNumber.slice(0, 17));
    expect((await api(t, 'POST', '/v1/dlq:search', TOKENS.viewer, { errorCode: code })).status).toBe(400);
    expect((await api(t, 'POST', '/v1/dlq:search', TOKENS.viewer, { idNumber, personHash: 'a'.repeat(64) })).status).toBe(400);
    expect((await api(t, 'POST', '/v1/dlq:search', undefined, { idNumber })).status).toBe(401);

    // The counts narrow to the person the same way (the console's strip during a person search).
    const counts = await api(t, 'POST', '/v1/dlq/counts:search', TOKENS.viewer, { idNumber, errorCode: code });
    expect(counts.status).toBe(200);
    expect(counts.body).toMatchObject({
      total: 1,
      byEventType: [{ value: 'SubsidyApplicationSubmitted', count: 1 }],
      byRegion: [{ value: '500000', count: 1 }],
    });
    expect(JSON.stringify(counts.body)).not.toContain(idNumber);
    expect(await undocumentedIn(t, 'POST', '/v1/dlq/counts:search', counts)).toEqual([]);
    expect((await api(t, 'GET', `/v1/dlq/counts?errorCode=${code}`, TOKENS.viewer)).body.total).toBe(2);
    expect((await api(t, 'POST', '/v1/dlq/counts:search', TOKENS.viewer, { idNumber: residentId(), errorCode: code })).body.total).toBe(0);
    const badCounts = await api(t, 'POST', '/v1/dlq/counts:search', TOKENS.viewer, { idNumber: `${idNumber.slice(0, 17)}Y`, state: 'lost' });
    expect(badCounts.status).toBe(400);
    expect(badCounts.body.problems.map((p: { path: string }) => p.path).sort()).toEqual(['idNumber', 'state']);
    expect((await api(t, 'POST', '/v1/dlq/counts:search', undefined, { idNumber })).status).toBe(401);

    // The lookup is in the audit log under the person (hashed there too).
    const audit = await api(t, 'POST', '/v1/audit:search', TOKENS.operator, { person: idNumber, action: 'dlq.search-person' });
    expect(audit.status).toBe(200);
    expect(audit.body.entries).toContainEqual(
      expect.objectContaining({ actor: 'victor', action: 'dlq.search-person', details: expect.objectContaining({ found: 1 }) }),
    );
    expect(audit.body.entries).toContainEqual(
      expect.objectContaining({ actor: 'victor', action: 'dlq.search-person', details: expect.objectContaining({ found: 1, counts: true }) }),
    );
    expect(JSON.stringify(audit.body)).not.toContain(idNumber);
  });

  it('previews a bulk replay: how many and which, at what rate, without starting anything', async () => {
    const code = `PREVIEW_${uniqueId()}`.toUpperCase();
    const events = Array.from({ length: 4 }, () => exampleEvent('SubsidyApplicationSubmitted', uniqueId()));
    for (const e of events) await parkEvent(t, '500000', e, new TongbanError(code, 'down'));
    await parkedWith(code, 4);

    const preview = await api(t, 'POST', '/v1/dlq/replay-jobs:preview', TOKENS.operator, { filter: { errorCode: code }, ratePerSecond: 2, limit: 3 });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ matching: 4, willReplay: 3, ratePerSecond: 2, estimatedSeconds: 2, more: 0 });
    expect(preview.body.sample.map((s: { caseId: string }) => s.caseId)).toEqual(events.slice(0, 3).map((e) => e.envelope.caseId));
    expect(Object.keys(preview.body.sample[0]).sort()).toEqual(['caseId', 'errorCode', 'eventType', 'id', 'parkedAt', 'region']);
    expect(await undocumentedIn(t, 'POST', '/v1/dlq/replay-jobs:preview', preview)).toEqual([]);
    // Nothing started, nothing replayed.
    expect((await api(t, 'GET', `/v1/dlq?errorCode=${code}&state=parked`, TOKENS.viewer)).body.total).toBe(4);
    expect(
      (await api(t, 'GET', '/v1/dlq/replay-jobs', TOKENS.viewer)).body.jobs.filter((j: { filter: { errorCode?: string } }) => j.filter.errorCode === code),
    ).toEqual([]);

    expect((await api(t, 'POST', '/v1/dlq/replay-jobs:preview', TOKENS.viewer, { filter: { errorCode: code } })).status).toBe(403);
    const bad = await api(t, 'POST', '/v1/dlq/replay-jobs:preview', TOKENS.operator, { filter: { state: 'discarded' } });
    expect(bad.status).toBe(400);
    const rate = await api(t, 'POST', '/v1/dlq/replay-jobs:preview', TOKENS.operator, { filter: { errorCode: code }, ratePerSecond: 100000 });
    expect(rate.status).toBe(400);
    expect(rate.body.problems.map((p: { path: string }) => p.path)).toEqual(['ratePerSecond']);
  });

  it('discards the selected letters with one reason, each audited, reporting per id what was not parked or not there', async () => {
    const code = `BULKDISCARD_${uniqueId()}`.toUpperCase();
    const events = Array.from({ length: 3 }, () => exampleEvent('SubsidyApplicationSubmitted', uniqueId()));
    for (const e of events) await parkEvent(t, '500000', e, new TongbanError(code, 'down'));
    await parkedWith(code, 3);
    const ids: number[] = (await api(t, 'GET', `/v1/dlq?errorCode=${code}`, TOKENS.viewer)).body.items
      .map((i: { id: number }) => i.id)
      .sort((a: number, b: number) => a - b);
    expect((await api(t, 'POST', `/v1/dlq/${ids[2]}/discard`, TOKENS.operator, { reason: 'first' })).status).toBe(200);

    expect((await api(t, 'POST', '/v1/dlq:discard', TOKENS.viewer, { ids, reason: 'test data' })).status).toBe(403);
    const noReason = await api(t, 'POST', '/v1/dlq:discard', TOKENS.operator, { ids: [...ids, 'x'] });
    expect(noReason.status).toBe(400);
    expect(noReason.body.problems.map((p: { path: string }) => p.path)).toEqual(['ids[3]', 'reason']);
    expect((await api(t, 'POST', '/v1/dlq:discard', TOKENS.operator, { ids: [], reason: 'x' })).status).toBe(400);
    expect((await api(t, 'POST', '/v1/dlq:discard', TOKENS.operator, { ids: Array.from({ length: 201 }, (_, i) => i + 1), reason: 'x' })).status).toBe(400);

    const missing = 999_999_999;
    const done = await api(t, 'POST', '/v1/dlq:discard', TOKENS.operator, { ids: [ids[0], ids[1], ids[2], missing], reason: 'test data from a load run' });
    expect(done.status).toBe(200);
    expect(done.body.discarded).toBe(2);
    expect(done.body.items.map((i: { id: number; status: number }) => [i.id, i.status])).toEqual([
      [ids[0], 200],
      [ids[1], 200],
      [ids[2], 409],
      [missing, 404],
    ]);
    expect(await undocumentedIn(t, 'POST', '/v1/dlq:discard', done)).toEqual([]);
    expect((await api(t, 'GET', `/v1/dlq?errorCode=${code}&state=discarded`, TOKENS.viewer)).body.total).toBe(3);
    const audit = (await api(t, 'GET', '/v1/audit?action=dlq.discard&limit=50', TOKENS.operator)).body.entries;
    for (const id of ids.slice(0, 2)) {
      expect(audit).toContainEqual(expect.objectContaining({ actor: 'olga', details: { deadLetterId: id, reason: 'test data from a load run' } }));
    }
  });

  it('indexes by person, when ops starts, the letters stored before the index existed', async () => {
    const idNumber = residentId();
    const event = exampleEvent('SubsidyApplicationSubmitted', uniqueId(), (p) => {
      (p.applicant as Record<string, string>).idNumber = idNumber;
    });
    await parkEvent(t, '500000', event, new TongbanError('STORE_UNAVAILABLE', 'down'));
    const found = () => api(t, 'POST', '/v1/dlq:search', TOKENS.viewer, { idNumber, eventId: event.envelope.eventId });
    await waitFor(async () => ((await found()).body.total === 1 ? true : undefined), 'the letter found by person');
    // As a letter stored by an ops without the index: no rows, not marked.
    const [{ id }] = await queryRows<{ id: number }>(t.opsDatabase, 'SELECT id FROM dead_letters WHERE event_id = ?', [event.envelope.eventId]);
    await queryRows(t.opsDatabase, 'DELETE FROM dead_letter_persons WHERE dead_letter_id = ?', [id]);
    await queryRows(t.opsDatabase, 'UPDATE dead_letters SET persons_indexed = 0 WHERE id = ?', [id]);
    expect((await found()).body.total).toBe(0);

    // Another ops process starting on the same database (a restart, or a new replica) indexes it.
    const second = await createOpsApp(readOpsConfig(t.env), testLogger('ops'));
    try {
      const url = await second.start(0, '127.0.0.1');
      await waitFor(async () => ((await found()).body.total === 1 ? true : undefined), 'the letter indexed by the starting ops');
      expect((await api({ url }, 'POST', '/v1/dlq:search', TOKENS.viewer, { idNumber, eventId: event.envelope.eventId })).body.items[0].id).toBe(id);
      expect(await queryRows(t.opsDatabase, 'SELECT persons_indexed FROM dead_letters WHERE persons_indexed = 0 AND decoded IS NOT NULL')).toEqual([]);
    } finally {
      await second.close();
    }
  });
});
