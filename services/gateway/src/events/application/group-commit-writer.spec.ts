import { OverloadedError, UnavailableError } from '@tongban/errors';
import { GroupCommitWriter, GroupFacts, GroupStore } from './group-commit-writer';

/** A request as the fake store sees it: `bad` spoils any transaction it is in. */
interface Item {
  id: string;
  key?: string;
  body?: string;
  bad?: boolean;
}

interface Answer {
  id: string;
  replayOf?: string;
}

class ConflictError extends Error {}
class DatabaseDown extends Error {}

/** A store that records each transaction and fails one that holds a bad item (or every one, when down). */
class FakeStore implements GroupStore<Item, Answer> {
  readonly transactions: string[][] = [];
  down = false;
  private gate?: Promise<void>;
  private open?: () => void;

  /** Holds the next transactions until `release()`. */
  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  async commit(items: Item[]): Promise<Array<PromiseSettledResult<Answer>>> {
    await this.gate;
    if (this.down) throw new DatabaseDown('connect ECONNREFUSED');
    if (items.some((i) => i.bad)) throw new Error(`row of ${items.find((i) => i.bad)?.id} refused`);
    this.transactions.push(items.map((i) => i.id));
    return items.map((i) => ({ status: 'fulfilled', value: { id: i.id } }));
  }
}

function writer(store: FakeStore, maxGroup = 64, maxQueue = 100) {
  return new GroupCommitWriter<Item, Answer>(store, {
    maxGroup,
    maxQueue,
    retryAfterSeconds: 2,
    idempotency: (i) => (i.key ? { key: i.key, hash: i.body ?? '' } : undefined),
    replayOf: (_i, first) => ({ id: first.id, replayOf: first.id }),
    conflictOf: () => new ConflictError('key used with another body'),
    failsEveryone: (e) => e instanceof DatabaseDown,
  });
}

/** Submits the first item alone, then the rest while it commits: they form the next group. */
async function submitGrouped(store: FakeStore, w: GroupCommitWriter<Item, Answer>, items: Item[]) {
  store.hold();
  const first = w.submit({ id: 'opener' });
  const rest = items.map((i) => w.submit(i));
  store.release();
  await first;
  return Promise.allSettled(rest);
}

describe('GroupCommitWriter', () => {
  const cases: Array<{
    name: string;
    items: Item[];
    expected: Array<string | { replayOf: string } | 'conflict' | 'refused'>;
    transactions: string[][];
  }> = [
    {
      name: 'writes requests that arrive while a transaction runs in one transaction, answering each',
      items: [{ id: 'a' }, { id: 'b' }, { id: 'c' }],
      expected: ['a', 'b', 'c'],
      transactions: [['opener'], ['a', 'b', 'c']],
    },
    {
      name: 'retries a failed group request by request, so only the bad one fails',
      items: [{ id: 'a' }, { id: 'b', bad: true }, { id: 'c' }],
      expected: ['a', 'refused', 'c'],
      transactions: [['opener'], ['a'], ['c']],
    },
    {
      name: 'writes a repeated idempotency key once and answers the repeat with the first answer',
      items: [{ id: 'a', key: 'k', body: 'x' }, { id: 'b' }, { id: 'a2', key: 'k', body: 'x' }],
      expected: ['a', 'b', { replayOf: 'a' }],
      transactions: [['opener'], ['a', 'b']],
    },
    {
      name: 'refuses a repeated key with another body as a conflict',
      items: [
        { id: 'a', key: 'k', body: 'x' },
        { id: 'a2', key: 'k', body: 'y' },
      ],
      expected: ['a', 'conflict'],
      transactions: [['opener'], ['a']],
    },
    {
      name: 'judges a repeat alone when the first with its key was refused',
      items: [{ id: 'a', key: 'k', body: 'x', bad: true }, { id: 'a2', key: 'k', body: 'x' }, { id: 'b' }],
      expected: ['refused', 'a2', 'b'],
      transactions: [['opener'], ['b'], ['a2']],
    },
    {
      name: 'splits what exceeds the group size into the following transactions, in order',
      items: [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }, { id: 'e' }],
      expected: ['a', 'b', 'c', 'd', 'e'],
      transactions: [['opener'], ['a', 'b'], ['c', 'd'], ['e']],
    },
  ];

  it.each(cases)('$name', async ({ name, items, expected, transactions }) => {
    const store = new FakeStore();
    const w = writer(store, name.startsWith('splits') ? 2 : 64);
    const outcomes = await submitGrouped(store, w, items);
    const seen = outcomes.map((o) => {
      if (o.status === 'fulfilled') return o.value.replayOf ? { replayOf: o.value.replayOf } : o.value.id;
      return o.reason instanceof ConflictError ? 'conflict' : 'refused';
    });
    expect(seen).toEqual(expected);
    expect(store.transactions).toEqual(transactions);
  });

  it('answers in the order the requests were submitted, after their commit', async () => {
    const store = new FakeStore();
    const w = writer(store);
    const order: string[] = [];
    store.hold();
    const all = ['opener', 'a', 'b', 'c'].map((id) => w.submit({ id }).then((r) => order.push(r.id)));
    expect(order).toEqual([]);
    store.release();
    await Promise.all(all);
    expect(order).toEqual(['opener', 'a', 'b', 'c']);
  });

  it('tells of each queued group: its size, how long each request waited for its transaction, and the transaction', async () => {
    const store = new FakeStore();
    const groups: GroupFacts[] = [];
    const w = new GroupCommitWriter<Item, Answer>(store, { maxGroup: 64, maxQueue: 100, onGroup: (g) => groups.push(g) });
    store.hold();
    const first = w.submit({ id: 'opener' });
    const rest = ['a', 'b', 'c'].map((id) => w.submit({ id }));
    // The opener's transaction is held for about 30 ms: the three behind it wait that long for theirs.
    await new Promise((r) => setTimeout(r, 30));
    store.release();
    await Promise.all([first, ...rest]);
    expect(groups.map((g) => g.size)).toEqual([1, 3]);
    expect(groups[0].waitedMs[0]).toBeLessThan(10);
    expect(groups[0].writeMs).toBeGreaterThanOrEqual(25);
    expect(groups[1].waitedMs).toHaveLength(3);
    for (const ms of groups[1].waitedMs) expect(ms).toBeGreaterThanOrEqual(25);
    expect(groups[1].writeMs).toBeLessThan(groups[0].writeMs);
  });

  it('refuses with 503 material (OVERLOADED, Retry-After) when the queue is full, and takes requests again once it drains', async () => {
    const store = new FakeStore();
    const w = writer(store, 64, 2);
    store.hold();
    const first = w.submit({ id: 'opener' }); // being written: not counted as waiting
    const queued = [w.submit({ id: 'a' }), w.submit({ id: 'b' })];
    expect(w.waiting).toBe(2);
    const refused = await w.submit({ id: 'c' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OverloadedError);
    expect(refused).toMatchObject({ code: 'SERVICE.OVERLOADED', retriable: true, retryAfterSeconds: 2 });
    store.release();
    await Promise.all([first, ...queued]);
    await expect(w.submit({ id: 'd' })).resolves.toEqual({ id: 'd' });
    expect(store.transactions).toEqual([['opener'], ['a', 'b'], ['d']]);
  });

  it('fails the whole group at once when the database is down, without retrying request by request', async () => {
    const store = new FakeStore();
    const w = writer(store);
    const commit = jest.spyOn(store, 'commit');
    store.down = true;
    store.hold();
    const all = Promise.allSettled(['opener', 'a', 'b', 'c'].map((id) => w.submit({ id })));
    store.release();
    const outcomes = await all;
    expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).constructor.name : 'accepted'))).toEqual([
      'DatabaseDown',
      'DatabaseDown',
      'DatabaseDown',
      'DatabaseDown',
    ]);
    expect(commit).toHaveBeenCalledTimes(2); // the opener's transaction and the group's, nothing more
  });

  it('refuses the requests queued behind a transaction that hangs once they waited maxWaitMs, and keeps the one being written', async () => {
    const store = new FakeStore();
    const w = new GroupCommitWriter<Item, Answer>(store, { maxGroup: 64, maxQueue: 100, maxWaitMs: 50 });
    store.hold(); // the database stops answering during the first transaction
    const first = w.submit({ id: 'opener' });
    const queued = await Promise.allSettled([w.submit({ id: 'a' }), w.submit({ id: 'b' })]);
    for (const q of queued) {
      expect(q.status).toBe('rejected');
      expect((q as PromiseRejectedResult).reason).toBeInstanceOf(UnavailableError);
      expect((q as PromiseRejectedResult).reason).toMatchObject({ code: 'DEPENDENCY.UNAVAILABLE', retriable: true });
    }
    expect(w.waiting).toBe(0);
    store.release();
    await expect(first).resolves.toEqual({ id: 'opener' });
    // A request taken into a group in time is not refused later by its timer.
    await expect(w.submit({ id: 'c' })).resolves.toEqual({ id: 'c' });
    await new Promise((r) => setTimeout(r, 80));
    expect(store.transactions).toEqual([['opener'], ['c']]);
  });

  describe('writeTogether (a batch request)', () => {
    it('writes every item in one transaction, however large, outside the queue and its group size', async () => {
      const store = new FakeStore();
      const w = writer(store, 2, 1);
      const items = Array.from({ length: 7 }, (_, i) => ({ id: `i${i}` }));
      const outcomes = await w.writeTogether(items);
      expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value.id : 'refused'))).toEqual(items.map((i) => i.id));
      expect(store.transactions).toEqual([items.map((i) => i.id)]);
      expect(w.waiting).toBe(0);
    });

    it('resolves a key repeated in the batch in memory: one row, the repeat a replay, another body a conflict', async () => {
      const store = new FakeStore();
      const outcomes = await writer(store).writeTogether([
        { id: 'a', key: 'k', body: 'x' },
        { id: 'b' },
        { id: 'a2', key: 'k', body: 'x' },
        { id: 'a3', key: 'k', body: 'y' },
      ]);
      expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : o.reason instanceof ConflictError ? 'conflict' : 'refused'))).toEqual([
        { id: 'a' },
        { id: 'b' },
        { id: 'a', replayOf: 'a' },
        'conflict',
      ]);
      expect(store.transactions).toEqual([['a', 'b']]);
    });

    it('fails every item, repeats of a key included, without trying one alone when the database is down', async () => {
      const store = new FakeStore();
      const commit = jest.spyOn(store, 'commit');
      store.down = true;
      const outcomes = await writer(store).writeTogether([{ id: 'a', key: 'k', body: 'x' }, { id: 'b' }, { id: 'a2', key: 'k', body: 'x' }]);
      expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).constructor.name : 'accepted'))).toEqual([
        'DatabaseDown',
        'DatabaseDown',
        'DatabaseDown',
      ]);
      expect(commit).toHaveBeenCalledTimes(1);
    });

    it('answers an empty batch without a transaction', async () => {
      const store = new FakeStore();
      expect(await writer(store).writeTogether([])).toEqual([]);
      expect(store.transactions).toEqual([]);
    });
  });
});
