import { DataSource } from 'typeorm';
import {
  AuditLog,
  AuditLogSchema1764300000000,
  AuditRecordGroups1768000000000,
  canonicalJson,
  checkRecordProof,
  entryHash,
  merkleRoot,
  RECORD_GROUP_ACTION,
  recordLeafHash,
} from '@tongban/audit';
import { dropDatabase, openDatabase } from '@tongban/persistence';
import { MYSQL } from '../support/test-stack';
import { uniqueId } from '../support/unique';

const KEY = 'test-person-key-0123456789';

describe('audit log (MariaDB)', () => {
  const database = `tb_${uniqueId()}_audit`;
  let a: DataSource;
  let b: DataSource;

  beforeAll(async () => {
    a = await openDatabase({ mysql: MYSQL, database, entities: [], migrations: [AuditLogSchema1764300000000] });
    b = await openDatabase({ mysql: MYSQL, database, entities: [], migrations: [AuditLogSchema1764300000000] });
  });

  afterAll(async () => {
    await a?.destroy();
    await b?.destroy();
    await dropDatabase(MYSQL, database);
  });

  it('keeps one unbroken chain when two writers append at once', async () => {
    const logA = new AuditLog(a, { personKey: KEY, chain: 'concurrent' });
    const logB = new AuditLog(b, { personKey: KEY, chain: 'concurrent' });
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? logA : logB).record({ actor: i % 2 ? 'alice' : 'bob', action: 'test.append', details: { i } })),
    );
    const result = await logA.verify();
    expect(result).toEqual({ ok: true, chain: 'concurrent', checked: 40, headSeq: 40 });
    const seqs = (await logA.list({ order: 'asc', limit: 100 })).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('writes the entry in the caller transaction, so a rollback leaves no entry', async () => {
    const log = new AuditLog(a, { personKey: KEY, chain: 'tx' });
    await log.record({ actor: 'alice', action: 'first' });
    await expect(
      a.transaction(async (manager) => {
        await log.append(manager, { actor: 'alice', action: 'rolled-back' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect((await log.list()).map((e) => e.action)).toEqual(['first']);
    expect((await log.verify()).ok).toBe(true);
  });

  it('appends an entry queued at commit only when the transaction commits, and keeps the chain whole under concurrency', async () => {
    const log = new AuditLog(a, { personKey: KEY, chain: 'at-commit' });
    await expect(
      a.transaction(async (manager) => {
        await log.appendAtCommit(manager, { actor: 'alice', action: 'rolled-back' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await a.transaction(async (manager) => {
      await log.appendAtCommit(manager, { actor: 'alice', action: 'queued' });
      // Not written yet: the head is locked only when the transaction commits.
      expect(Number((await manager.query("SELECT COUNT(*) AS n FROM audit_entries WHERE chain = 'at-commit'"))[0].n)).toBe(0);
    });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => a.transaction((manager) => log.appendAtCommit(manager, { actor: 'bob', action: 'concurrent', details: { i } }))),
    );
    expect((await log.list({ order: 'asc', limit: 100 })).map((e) => e.action)).toEqual(['queued', ...Array(20).fill('concurrent')]);
    expect(await log.verify()).toEqual({ ok: true, chain: 'at-commit', checked: 21, headSeq: 21 });
  });

  it('records a person by a keyed hash and finds the entries for a data-subject request', async () => {
    const log = new AuditLog(a, { personKey: KEY, chain: 'persons' });
    await log.record({
      actor: 'delivery',
      actorKind: 'service',
      action: 'disclosure',
      subject: { persons: ['500111196804170022'], cases: ['SUB-1'], regions: ['510000'] },
    });
    await log.record({ actor: 'alice', action: 'dlq.show-clear', subject: { persons: ['512021199611080033'] } });
    const [row] = await a.query("SELECT subject FROM audit_entries WHERE chain = 'persons' AND seq = 1");
    expect(row.subject).not.toContain('500111196804170022');
    const found = await log.list({ personIdNumber: '500111196804170022' });
    expect(found.map((e) => e.action)).toEqual(['disclosure']);
    expect(found[0].subject.persons).toEqual([log.personRef('500111196804170022')]);
    expect((await log.list({ caseId: 'SUB-1' })).length).toBe(1);
  });

  it.each([
    ['changed', 'UPDATE audit_entries SET details = \'{"i":99}\' WHERE chain = ? AND seq = 3', 3],
    ['missing', 'DELETE FROM audit_entries WHERE chain = ? AND seq = 2', 2],
    ['truncated', 'DELETE FROM audit_entries WHERE chain = ? AND seq = 5', 5],
  ])('verify names the first entry when one was %s', async (problem, sql, seq) => {
    const chain = `tamper-${problem}`;
    const log = new AuditLog(a, { personKey: KEY, chain });
    for (let i = 1; i <= 5; i++) await log.record({ actor: 'alice', action: 'test', details: { i }, before: { v: i - 1 }, after: { v: i } });
    expect((await log.verify()).ok).toBe(true);
    await a.query(sql, [chain]);
    const result = await log.verify();
    expect(result.ok).toBe(false);
    expect(result.firstBroken).toMatchObject({ seq, problem });
  });

  it('verifies a chain that is being appended to while it walks, and names an entry written past the head', async () => {
    const log = new AuditLog(a, { personKey: KEY, chain: 'live' });
    const writer = new AuditLog(b, { personKey: KEY, chain: 'live' });
    for (let i = 1; i <= 600; i++) await log.record({ actor: 'alice', action: 'test', details: { i } });
    // Another writer keeps appending while the verifier walks (in pages of 50): what it adds lies past the head the
    // verifier read first, and is no truncation.
    let writing = true;
    const appended = (async () => {
      let n = 0;
      while (writing) n += (await writer.record({ actor: 'bob', action: 'live', details: { n } })) ? 1 : 0;
      return n;
    })();
    const results = [];
    for (let k = 0; k < 3; k++) results.push(await log.verify(50));
    writing = false;
    expect(await appended).toBeGreaterThan(0);
    for (const r of results) expect(r).toMatchObject({ ok: true, chain: 'live' });
    expect((await log.verify()).ok).toBe(true);
    // An entry slipped in after the last one without moving the head (not through the log) is named.
    const last = (await log.list({ limit: 1 }))[0];
    await a.query(
      "INSERT INTO audit_entries (chain, seq, entry_id, recorded_at, actor, actor_kind, action, subject, details, before_state, after_state, prev_hash, hash) SELECT chain, seq + 1, UUID(), recorded_at, actor, actor_kind, 'forged', subject, details, before_state, after_state, hash, hash FROM audit_entries WHERE chain = 'live' AND seq = ?",
      [last.seq],
    );
    expect((await log.verify()).firstBroken).toMatchObject({ seq: last.seq + 1, problem: 'beyond-head' });
  });

  it('notices an entry that was changed and re-hashed, at the entry after it', async () => {
    const log = new AuditLog(a, { personKey: KEY, chain: 'rehashed' });
    for (let i = 1; i <= 4; i++) await log.record({ actor: 'alice', action: 'test', details: { i } });
    const third = (await log.list({ order: 'asc' }))[2];
    const { prevHash, hash: _h, ...content } = { ...third, details: { i: 42 } };
    await a.query('UPDATE audit_entries SET details = ?, hash = ? WHERE chain = ? AND seq = 3', ['{"i":42}', entryHash(prevHash, content), 'rehashed']);
    expect((await log.verify()).firstBroken).toMatchObject({ seq: 4, problem: 'out-of-order' });
  });
});

describe('audit log record groups (MariaDB)', () => {
  const database = `tb_${uniqueId()}_auditgrp`;
  let ds: DataSource;
  const person = (i: number) => `51010419900101${String(1000 + i).slice(-4)}`;
  const record = (i: number) => ({
    actor: `municipal:510104:key-${i % 2}`,
    actorKind: 'service' as const,
    action: 'personal-data-disclosed',
    subject: { messages: [`evt-${i}`], cases: [`SUB-${i}`], persons: [person(i)], regions: ['500000'] },
    details: { i, fieldsByPerson: { any: ['name'] } },
  });
  const group = async (log: AuditLog, from: number, n: number) =>
    log.appendGroup(
      ds,
      Array.from({ length: n }, (_, k) => record(from + k)),
      'gateway',
    );

  beforeAll(async () => {
    ds = await openDatabase({ mysql: MYSQL, database, entities: [], migrations: [AuditLogSchema1764300000000, AuditRecordGroups1768000000000] });
  });

  afterAll(async () => {
    await ds?.destroy();
    await dropDatabase(MYSQL, database);
  });

  it('writes a group as ONE chain entry with the Merkle root of its records, each kept with its leaf and found by person', async () => {
    const log = new AuditLog(ds, { personKey: KEY, chain: 'grouped' });
    await log.record({ actor: 'alice', action: 'before-groups' });
    const entry = await group(log, 0, 5);
    await log.record({ actor: 'alice', action: 'between' });
    await group(log, 5, 1);
    expect(entry).toMatchObject({ seq: 2, action: RECORD_GROUP_ACTION, actor: 'gateway', details: { count: 5, tree: 'sha256-rfc6962' } });
    const leaves: Array<{ leaf_hash: string }> = await ds.query("SELECT leaf_hash FROM audit_records WHERE chain = 'grouped' AND seq = 2 ORDER BY pos");
    expect(leaves).toHaveLength(5);
    expect(entry!.details.merkleRoot).toBe(merkleRoot(leaves.map((l) => l.leaf_hash)));
    expect(Number((await ds.query("SELECT COUNT(*) AS n FROM audit_entries WHERE chain = 'grouped'"))[0].n)).toBe(4);

    expect(await log.verify()).toEqual({ ok: true, chain: 'grouped', checked: 4, records: 6, headSeq: 4 });
    const found = await log.list({ personIdNumber: person(3) });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      seq: 2,
      action: 'personal-data-disclosed',
      subject: { messages: ['evt-3'], persons: [log.personRef(person(3))] },
      record: { pos: 3 },
    });
    expect(found[0].entryId).toBe(found[0].record!.id);
    expect((await log.list({ caseId: 'SUB-5' }))[0]).toMatchObject({ seq: 4, record: { pos: 0 } });
    expect(JSON.stringify(await ds.query("SELECT * FROM audit_records WHERE chain = 'grouped'"))).not.toContain(person(3));
    // Newest first, a group's records after (below) its entry; asc the other way round.
    expect((await log.list({ order: 'asc' })).map((e) => `${e.seq}:${e.record?.pos ?? e.action}`)).toEqual([
      '1:before-groups',
      `2:${RECORD_GROUP_ACTION}`,
      '2:0',
      '2:1',
      '2:2',
      '2:3',
      '2:4',
      '3:between',
      `4:${RECORD_GROUP_ACTION}`,
      '4:0',
    ]);
  });

  it('never ends a page inside a group: the cursor loses no record', async () => {
    const log = new AuditLog(ds, { personKey: KEY, chain: 'paged' });
    await group(log, 0, 3);
    await group(log, 3, 3);
    await group(log, 6, 3);
    const seen: string[] = [];
    let before: number | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await log.listPage({ action: 'personal-data-disclosed', limit: 4, beforeSeq: before });
      seen.push(...page.entries.map((e) => String(e.details.i)));
      if (page.next === null) break;
      before = page.next;
    }
    expect(seen.sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8']);
    // A group larger than the page comes whole.
    expect(await log.list({ action: 'personal-data-disclosed', limit: 2 })).toHaveLength(3);
  });

  it('queues a group at commit: one entry per committed transaction, none for a rolled-back one', async () => {
    const log = new AuditLog(ds, { personKey: KEY, chain: 'grouped-at-commit' });
    await expect(
      ds.transaction(async (m) => {
        await log.appendGroupAtCommit(m, [record(0), record(1)], 'gateway');
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await Promise.all(
      Array.from({ length: 8 }, (_, t) => ds.transaction((m) => log.appendGroupAtCommit(m, [record(t * 3), record(t * 3 + 1), record(t * 3 + 2)], 'gateway'))),
    );
    expect(await log.verify()).toEqual({ ok: true, chain: 'grouped-at-commit', checked: 8, records: 24, headSeq: 8 });
  });

  it('proves one record without the rest of its group', async () => {
    const log = new AuditLog(ds, { personKey: KEY, chain: 'proofs' });
    await group(log, 0, 7);
    for (const e of await log.list({ action: 'personal-data-disclosed' })) {
      const proof = (await log.proof(e.record!.id))!;
      expect(proof).toMatchObject({ pos: e.record!.pos, count: 7, leafHash: e.record!.leafHash, entry: { seq: 1 } });
      expect(checkRecordProof(proof)).toEqual({ ok: true });
      expect(checkRecordProof({ ...proof, record: { ...proof.record, actor: 'mallory' } })).toMatchObject({ ok: false, problem: 'leaf-altered' });
      expect(checkRecordProof({ ...proof, path: [proof.leafHash, ...proof.path.slice(1)] })).toMatchObject({ ok: false, problem: 'root-mismatch' });
      expect(checkRecordProof({ ...proof, entry: { ...proof.entry, at: new Date(0).toISOString() } })).toMatchObject({ ok: false, problem: 'changed' });
    }
    expect(await log.proof('no-such-record')).toBeUndefined();
  });

  const tamper = async (chain: string, sql: string) => {
    const log = new AuditLog(ds, { personKey: KEY, chain });
    await log.record({ actor: 'alice', action: 'first' });
    await group(log, 0, 4);
    await group(log, 4, 3);
    await log.record({ actor: 'alice', action: 'last' });
    expect((await log.verify()).ok).toBe(true);
    await ds.query(sql, [chain]);
    return log.verify();
  };

  it.each([
    ['leaf-altered', 'UPDATE audit_records SET details = REPLACE(details, \'"i":5\', \'"i":50\') WHERE chain = ? AND seq = 3 AND pos = 1', 3, 1],
    ['record-missing', 'DELETE FROM audit_records WHERE chain = ? AND seq = 2 AND pos = 2', 2, 2],
    [
      'record-added',
      'INSERT INTO audit_records SELECT chain, seq, 3, UUID(), recorded_at, actor, actor_kind, action, subject, details, before_state, after_state, leaf_hash FROM audit_records WHERE chain = ? AND seq = 3 AND pos = 0',
      3,
      3,
    ],
    ['root-mismatch', 'UPDATE audit_entries SET details = REPLACE(details, \'"merkleRoot":"\', \'"merkleRoot":"0\') WHERE chain = ? AND seq = 2', 2, undefined],
  ])('verify names a group whose record was %s', async (problem, sql, seq, pos) => {
    const result = await tamper(`grp-${problem}-${seq}`, sql);
    expect(result.ok).toBe(false);
    expect(result.firstBroken).toMatchObject({ seq, problem, ...(pos === undefined ? {} : { pos }) });
  });

  it('names a record rewritten with a matching leaf hash as a root mismatch of its group', async () => {
    const chain = 'grp-releafed';
    const log = new AuditLog(ds, { personKey: KEY, chain });
    await group(log, 0, 4);
    const target = (await log.list({ order: 'asc' })).find((e) => e.record?.pos === 2)!;
    const { record: ref, seq: _s, prevHash: _p, hash: _h, entryId, ...rest } = { ...target, details: { ...target.details, i: 99 } };
    const leaf = recordLeafHash({ ...rest, recordId: entryId });
    await ds.query('UPDATE audit_records SET details = ?, leaf_hash = ? WHERE chain = ? AND record_id = ?', [
      canonicalJson(rest.details),
      leaf,
      chain,
      ref!.id,
    ]);
    expect((await log.verify()).firstBroken).toMatchObject({ seq: 1, problem: 'root-mismatch' });
  });
});
