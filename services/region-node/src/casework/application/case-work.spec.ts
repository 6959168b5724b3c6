import type { EntityManager } from 'typeorm';
import type { CaseSnapshot, TimerStart } from '../domain';
import type { CaseRepository, HistoryEntry, PersonFactsRepository } from '../infrastructure/case.repository';
import { CaseWork, mergeCasesOfPerson, personIdsIn } from './case-work';

const snapshot = (caseId: string, change: Partial<CaseSnapshot> = {}): CaseSnapshot => ({
  caseId,
  workflow: 'disability-subsidy',
  state: 'submitted',
  acceptingDivision: '510104',
  acceptingOffice: null,
  responsibleDivision: '500111',
  personKeys: ['500111196804170022'],
  timers: {},
  data: {},
  openedAt: '2026-11-02T09:30:00.000Z',
  updatedAt: '2026-11-02T09:30:00.000Z',
  ...change,
});

describe('mergeCasesOfPerson', () => {
  const person = '500111196804170022';
  it.each<[string, CaseSnapshot[], CaseSnapshot[], string | undefined, Array<[string, string]>]>([
    ['stored cases as they are', [snapshot('A')], [], undefined, [['A', 'submitted']]],
    ['a stored case changed in memory, in its current state', [snapshot('A')], [snapshot('A', { state: 'withdrawn' })], undefined, [['A', 'withdrawn']]],
    ['a case opened in memory for the person', [], [snapshot('B')], undefined, [['B', 'submitted']]],
    ['an id number written otherwise', [], [snapshot('B', { personKeys: [' 500111196804170022 '.toLowerCase()] })], undefined, [['B', 'submitted']]],
    ['a case in memory of another person', [], [snapshot('C', { personKeys: ['510104199001010011'] })], undefined, []],
    ['a case in memory of another workflow', [], [snapshot('D', { workflow: 'economic-check' })], 'disability-subsidy', []],
    [
      'stored and in memory together, each once',
      [snapshot('A')],
      [snapshot('A'), snapshot('B')],
      'disability-subsidy',
      [
        ['A', 'submitted'],
        ['B', 'submitted'],
      ],
    ],
  ])('%s', (_what, stored, inMemory, workflow, expected) => {
    expect(mergeCasesOfPerson(stored, inMemory, person, workflow).map((s) => [s.caseId, s.state])).toEqual(expected);
  });
});

/** A repository that answers from fixed rows and records what is written. */
function fakeRepository(stored: Record<string, { snapshot: CaseSnapshot; version: number }>, maxSeq: Record<string, number>) {
  const calls: string[] = [];
  const written = {
    cases: [] as Array<{ caseId: string; state: string; version: number; lastEventId: string }>,
    history: [] as HistoryEntry[],
    timers: { started: [] as string[], stopped: [] as string[] },
    persons: [] as string[],
  };
  const repository = {
    async loadMany(_m: EntityManager, ids: string[]) {
      calls.push(`loadMany ${ids.join(',')}`);
      return new Map(ids.filter((id) => stored[id]).map((id) => [id, stored[id]]));
    },
    async nextSeqs(_m: EntityManager, ids: string[]) {
      calls.push(`nextSeqs ${ids.join(',')}`);
      return new Map(ids.map((id) => [id, (maxSeq[id] ?? 0) + 1]));
    },
    async casesOfPerson() {
      calls.push('casesOfPerson');
      return Object.values(stored).map((s) => s.snapshot);
    },
    async casesOfPersons(_m: EntityManager, ids: string[]) {
      calls.push(`casesOfPersons ${ids.join(',')}`);
      return new Map(
        ids.map((id) => [
          id,
          Object.values(stored)
            .map((s) => s.snapshot)
            .filter((c) => c.personKeys.includes(id)),
        ]),
      );
    },
    async saveMany(_m: EntityManager, changed: Array<{ snapshot: CaseSnapshot; version: number; lastEventId: string }>) {
      calls.push('saveMany');
      written.cases.push(...changed.map((c) => ({ caseId: c.snapshot.caseId, state: c.snapshot.state, version: c.version, lastEventId: c.lastEventId })));
    },
    async indexPersons(_m: EntityManager, cases: Array<{ caseId: string }>) {
      calls.push('indexPersons');
      written.persons.push(...cases.map((c) => c.caseId));
    },
    async appendHistory(_m: EntityManager, entries: HistoryEntry[]) {
      calls.push('appendHistory');
      written.history.push(...entries);
    },
    async writeTimers(_m: EntityManager, started: Array<{ caseId: string; timer: TimerStart }>, stopped: Array<{ caseId: string; name: string }>) {
      calls.push('writeTimers');
      written.timers.started.push(...started.map((t) => `${t.caseId}:${t.timer.name}`));
      written.timers.stopped.push(...stopped.map((t) => `${t.caseId}:${t.name}`));
    },
  };
  return { repository: repository as unknown as CaseRepository, calls, written };
}

const entry = (eventId: string, caseId: string): Omit<HistoryEntry, 'seq'> => ({
  eventId,
  caseId,
  eventType: 'X',
  sourceRegion: '510104',
  targetRegion: '500111',
  sourceOffice: null,
  targetOffice: null,
  occurredAt: new Date(0),
  correlationId: 'c',
  schemaId: 1,
  outcome: 'applied',
  reason: null,
  stateAfter: 's',
  payload: '{}',
  kafkaTopic: 't',
  kafkaPartition: 0,
  kafkaOffset: '1',
});
const timer = (name: string): TimerStart => ({ name, dueAt: new Date(0), ownerDivision: '500111', mustActDivision: '500111', escalateTo: [] });

describe('CaseWork', () => {
  it('reads the cases and their seqs once, sees its own changes, and writes each case once with its last version', async () => {
    const { repository, calls, written } = fakeRepository({ A: { snapshot: snapshot('A'), version: 4 } }, { A: 7 });
    const work = new CaseWork({} as EntityManager, repository);
    await work.prefetch(['A', 'B', 'A']);
    expect(await work.load('A')).toEqual({ snapshot: snapshot('A'), version: 4 });
    expect(await work.load('B')).toBeUndefined();

    work.save(snapshot('B'), 'e1');
    await work.append(entry('e1', 'B'));
    work.save(snapshot('A', { state: 'under-review' }), 'e2');
    await work.append(entry('e2', 'A'));
    work.save(snapshot('B', { state: 'withdrawn' }), 'e3');
    await work.append(entry('e3', 'B'));
    expect(await work.load('B')).toEqual({ snapshot: snapshot('B', { state: 'withdrawn' }), version: 2 });
    expect((await work.casesOfPerson('500111196804170022')).map((s) => [s.caseId, s.state])).toEqual([
      ['A', 'under-review'],
      ['B', 'withdrawn'],
    ]);

    await work.flush();
    expect(calls).toEqual(['loadMany A,B', 'nextSeqs A,B', 'casesOfPerson', 'saveMany', 'indexPersons', 'appendHistory', 'writeTimers']);
    expect(written.cases).toEqual([
      { caseId: 'A', state: 'under-review', version: 5, lastEventId: 'e2' },
      { caseId: 'B', state: 'withdrawn', version: 2, lastEventId: 'e3' },
    ]);
    expect(written.history.map((h) => [h.eventId, h.caseId, h.seq])).toEqual([
      ['e1', 'B', 1],
      ['e2', 'A', 8],
      ['e3', 'B', 2],
    ]);
  });

  it('writes nothing twice: after a flush only what changed since is written', async () => {
    const { repository, written } = fakeRepository({}, {});
    const work = new CaseWork({} as EntityManager, repository);
    work.save(snapshot('A'), 'e1');
    await work.append(entry('e1', 'A'));
    await work.flush();
    work.save(snapshot('A', { state: 'withdrawn' }), 'e2');
    await work.append(entry('e2', 'A'));
    await work.flush();
    expect(written.cases.map((c) => [c.state, c.version])).toEqual([
      ['submitted', 1],
      ['withdrawn', 2],
    ]);
    expect(written.history.map((h) => [h.eventId, h.seq])).toEqual([
      ['e1', 1],
      ['e2', 2],
    ]);
  });

  it.each<[string, (w: CaseWork) => void, string[], string[]]>([
    ['a timer started', (w) => w.startTimers('A', [timer('t1')], new Date(0)), ['A:t1'], []],
    ['a timer stopped', (w) => w.cancelTimers('A', ['t1']), [], ['A:t1']],
    [
      'stopped, then started again (one event restarting it)',
      (w) => {
        w.cancelTimers('A', ['t1']);
        w.startTimers('A', [timer('t1')], new Date(0));
      },
      ['A:t1'],
      [],
    ],
    [
      'started by one event, stopped by a later one',
      (w) => {
        w.startTimers('A', [timer('t1')], new Date(0));
        w.cancelTimers('A', ['t1']);
      },
      [],
      ['A:t1'],
    ],
  ])('deadlines as they stand at the end: %s', async (_what, act, started, stopped) => {
    const { repository, written } = fakeRepository({}, {});
    const work = new CaseWork({} as EntityManager, repository);
    act(work);
    await work.flush();
    expect(written.timers).toEqual({ started, stopped });
  });
});

describe('personIdsIn', () => {
  it.each<[string, unknown, string[]]>([
    ['an applicant', { applicant: { idNumber: '500111196804170022', name: '李秀英' } }, ['500111196804170022']],
    ['parties in a list', { parties: [{ idNumber: 'A' }, { idNumber: 'B' }] }, ['A', 'B']],
    ['a field named for its party', { withdrawingPartyIdNumber: 'C', concernedPartyIdNumber: 'D' }, ['C', 'D']],
    ['no id numbers', { envelope: { eventId: 'x' }, amount: 3 }, []],
    ['an empty or missing value', { applicant: { idNumber: ' ' }, spouse: { idNumber: null } }, []],
  ])('%s', (_what, payload, expected) => {
    expect(personIdsIn(payload)).toEqual(expected);
  });
});

describe('CaseWork: persons read up front', () => {
  const death = { deathDate: '2026-11-01', sourceCaseId: 'F-1' };
  const facts = (known: Record<string, typeof death>) => {
    const asked: string[] = [];
    return {
      asked,
      repo: {
        async deathsOf(_m: EntityManager, ids: string[]) {
          asked.push(`deathsOf ${ids.join(',')}`);
          return new Map(ids.filter((id) => known[id]).map((id) => [id, known[id]]));
        },
        async deathOf(_m: EntityManager, id: string) {
          asked.push(`deathOf ${id}`);
          return known[id];
        },
      } as unknown as PersonFactsRepository,
    };
  };

  it('answers the cases and deaths of the persons read up front without asking again, with the cases as the transaction left them', async () => {
    const { repository, calls } = fakeRepository({ A: { snapshot: snapshot('A'), version: 1 } }, {});
    const f = facts({ P2: death });
    const work = new CaseWork({} as EntityManager, repository, f.repo);
    await work.prefetchPersons(['500111196804170022', 'P2', '500111196804170022']);
    work.save(snapshot('B'), 'e1');
    expect((await work.casesOfPerson('500111196804170022', 'disability-subsidy')).map((s) => s.caseId)).toEqual(['A', 'B']);
    expect(await work.deathOf('p2')).toEqual(death);
    expect(await work.deathOf('500111196804170022')).toBeUndefined();
    expect(calls).toEqual(['casesOfPersons 500111196804170022,P2']);
    expect(f.asked).toEqual(['deathsOf 500111196804170022,P2']);
  });

  it('asks for a person not read up front, and keeps a death remembered in the transaction', async () => {
    const { repository, calls } = fakeRepository({}, {});
    const f = facts({});
    const work = new CaseWork({} as EntityManager, repository, f.repo);
    await work.prefetchPersons(['P1']);
    await work.casesOfPerson('P9');
    expect(calls).toContain('casesOfPerson');
    work.noteDeath('P1', death);
    expect(await work.deathOf('P1')).toEqual(death);
    // The first death reported stays.
    work.noteDeath('P1', { deathDate: '2026-11-20', sourceCaseId: 'F-2' });
    expect(await work.deathOf('P1')).toEqual(death);
  });
});
