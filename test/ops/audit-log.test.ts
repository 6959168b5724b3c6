import { DataSource } from 'typeorm';
import { AuditLog, AuditLogSchema1764300000000, entryHash } from '@tongban/audit';
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
    await log.record({ actor: 'delivery', actorKind: 'service', action: 'disclosure', subject: { persons: ['500111196804170022'], cases: ['SUB-1'], regions: ['510000'] } });
    await log.record({ actor: 'alice', action: 'dlq.show-clear', subject: { persons: ['512021199611080033'] } });
    const [row] = await a.query("SELECT subject FROM audit_entries WHERE chain = 'persons' AND seq = 1");
    expect(row.subject).not.toContain('500111196804170022');
    const found = await log.list({ personIdNumber: '500111196804170022' });
    expect(found.map((e) => e.action)).toEqual(['disclosure']);
    expect(found[0].subject.persons).toEqual([log.personRef('500111196804170022')]);
    expect((await log.list({ caseId: 'SUB-1' })).length).toBe(1);
  });

  it.each([
    ['changed', "UPDATE audit_entries SET details = '{\"i\":99}' WHERE chain = ? AND seq = 3", 3],
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

  it('notices an entry that was changed and re-hashed, at the entry after it', async () => {
    const log = new AuditLog(a, { personKey: KEY, chain: 'rehashed' });
    for (let i = 1; i <= 4; i++) await log.record({ actor: 'alice', action: 'test', details: { i } });
    const third = (await log.list({ order: 'asc' }))[2];
    const { prevHash, hash: _h, ...content } = { ...third, details: { i: 42 } };
    await a.query('UPDATE audit_entries SET details = ?, hash = ? WHERE chain = ? AND seq = 3', ['{"i":42}', entryHash(prevHash, content), 'rehashed']);
    expect((await log.verify()).firstBroken).toMatchObject({ seq: 4, problem: 'out-of-order' });
  });
});
