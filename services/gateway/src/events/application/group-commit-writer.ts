import { OverloadedError, UnavailableError } from '@tongban/errors';

/** Writes items in one transaction. */
export interface GroupStore<T, R> {
  /**
   * Writes every item in ONE transaction and commits it; throws (having written nothing) when the transaction
   * fails. Answers one outcome per item, in order: an item may still be refused alone after the commit (an
   * Idempotency-Key an earlier request already used with another body).
   */
  commit(items: T[]): Promise<Array<PromiseSettledResult<R>>>;
}

export interface GroupCommitOptions<T, R> {
  /** Most items in one transaction (TONGBAN_GATEWAY_GROUP_MAX). */
  maxGroup: number;
  /** Most items waiting for a transaction (TONGBAN_GATEWAY_QUEUE_MAX); beyond it a submission is refused with 503. */
  maxQueue: number;
  /** Seconds a refused client is asked to wait (Retry-After). */
  retryAfterSeconds?: number;
  /**
   * Longest a submission waits for a transaction to take it (the pool's acquire bound): while a group hangs on a
   * database that does not answer, the requests queued behind it are refused (503) rather than kept waiting.
   */
  maxWaitMs?: number;
  /**
   * The idempotency identity of an item (`key`: the caller and its Idempotency-Key; `hash`: of what it asks for),
   * or undefined when it has none. Items of one group with the same key are written once.
   */
  idempotency?: (item: T) => { key: string; hash: string } | undefined;
  /** The answer to a repeat of an item that was written with the answer `first` (same key, same body). */
  replayOf?: (item: T, first: R) => R;
  /** The refusal of a repeat with the same key and another body. */
  conflictOf?: (item: T) => unknown;
  /** Whether a failure is everyone's (the database is down): then items are not retried one by one. */
  failsEveryone?: (error: unknown) => boolean;
  /** Told of each queued group once it is written: how many items, how long each waited in the queue, the write's time. */
  onGroup?: (facts: GroupFacts) => void;
}

/** What a written group of the queue cost. */
export interface GroupFacts {
  size: number;
  /** Milliseconds each item of the group waited in the queue before its transaction began. */
  waitedMs: number[];
  /** Milliseconds of the group's transaction (retries item by item included), until its commit answered. */
  writeMs: number;
}

interface Waiting<T, R> {
  item: T;
  /** When it was queued (performance.now()). */
  queuedAt: number;
  resolve: (value: R) => void;
  reject: (reason: unknown) => void;
  timer?: NodeJS.Timeout;
}

/**
 * Group commit: requests submitted while a transaction is running wait in a bounded queue and are written
 * together by the next one (up to `maxGroup`), so N concurrent requests cost one transaction and one commit
 * rather than N. There is no waiting for a group to fill: the first request is written at once and the next
 * group forms while it commits. A failed group is retried item by item, so a bad item fails only itself.
 * Answers are given after the commit, in the order the items were submitted.
 */
export class GroupCommitWriter<T, R> {
  private readonly queue: Array<Waiting<T, R>> = [];
  private running = false;

  constructor(
    private readonly store: GroupStore<T, R>,
    private readonly options: GroupCommitOptions<T, R>,
  ) {
    if (!(options.maxGroup >= 1)) throw new Error('a group holds at least one item');
    if (!(options.maxQueue >= 1)) throw new Error('the queue holds at least one item');
  }

  /** Items waiting for a transaction (not counting the group being written). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Queues an item; answers its outcome once the transaction that wrote it has committed. */
  submit(item: T): Promise<R> {
    if (this.queue.length >= this.options.maxQueue) {
      return Promise.reject(new OverloadedError("the gateway's write queue", this.options.retryAfterSeconds ?? 1));
    }
    return new Promise<R>((resolve, reject) => {
      const waiting: Waiting<T, R> = { item, queuedAt: performance.now(), resolve, reject };
      const maxWaitMs = this.options.maxWaitMs;
      if (maxWaitMs !== undefined) {
        waiting.timer = setTimeout(() => {
          const at = this.queue.indexOf(waiting);
          if (at < 0) return;
          this.queue.splice(at, 1);
          reject(new UnavailableError(`the database (no transaction could take the request within ${maxWaitMs} ms)`));
        }, maxWaitMs);
        waiting.timer.unref();
      }
      this.queue.push(waiting);
      if (!this.running) void this.drain();
    });
  }

  /**
   * Writes `items` as one group at once, outside the queue (a batch request: its own transaction), with the
   * same handling of repeated keys and of a spoilt group as a queued group. Answers one outcome per item, in
   * order; never throws.
   */
  writeTogether(items: T[]): Promise<Array<PromiseSettledResult<R>>> {
    return this.write(items);
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, this.options.maxGroup);
        for (const w of group) clearTimeout(w.timer);
        const began = performance.now();
        let outcomes: Array<PromiseSettledResult<R>>;
        try {
          outcomes = await this.write(group.map((w) => w.item));
        } catch (error) {
          outcomes = group.map(() => ({ status: 'rejected', reason: error }));
        }
        this.options.onGroup?.({ size: group.length, waitedMs: group.map((w) => began - w.queuedAt), writeMs: performance.now() - began });
        group.forEach((w, i) => {
          const o = outcomes[i];
          if (o.status === 'fulfilled') w.resolve(o.value);
          else w.reject(o.reason);
        });
      }
    } finally {
      this.running = false;
    }
  }

  /** Outcomes of a group, in order; never throws. */
  private async write(items: T[]): Promise<Array<PromiseSettledResult<R>>> {
    // A repeated idempotency key is written once, by its first item; the others follow its answer.
    const firstOf = new Map<string, number>();
    const leaders: number[] = [];
    const followerOf = new Map<number, number>();
    items.forEach((item, i) => {
      const id = this.options.idempotency?.(item);
      const first = id ? firstOf.get(id.key) : undefined;
      if (first !== undefined) followerOf.set(i, first);
      else {
        if (id) firstOf.set(id.key, i);
        leaders.push(i);
      }
    });

    const outcomes: Array<PromiseSettledResult<R> | undefined> = new Array(items.length);
    const written = await this.commitOrRetryAlone(leaders.map((i) => items[i]));
    leaders.forEach((i, n) => (outcomes[i] = written[n]));

    for (const [i, first] of followerOf) {
      const leader = outcomes[first];
      const item = items[i];
      if (leader?.status === 'fulfilled' && this.options.replayOf) {
        // As if it had come after the first one's commit: the same body is answered alike, another is a conflict.
        const same = this.options.idempotency?.(item)?.hash === this.options.idempotency?.(items[first])?.hash;
        outcomes[i] = same
          ? { status: 'fulfilled', value: this.options.replayOf(item, leader.value) }
          : { status: 'rejected', reason: this.options.conflictOf ? this.options.conflictOf(item) : new Error('idempotency conflict') };
      } else if (leader?.status === 'rejected' && this.options.failsEveryone?.(leader.reason)) {
        // The database failed the first one: this one is not tried alone against it.
        outcomes[i] = leader;
      } else {
        // The first one was refused: this one is judged by the database like any later request.
        [outcomes[i]] = await this.commitOrRetryAlone([item]);
      }
    }
    return outcomes as Array<PromiseSettledResult<R>>;
  }

  private async commitOrRetryAlone(items: T[]): Promise<Array<PromiseSettledResult<R>>> {
    if (items.length === 0) return [];
    try {
      return await this.store.commit(items);
    } catch (error) {
      if (items.length === 1 || this.options.failsEveryone?.(error)) return items.map(() => ({ status: 'rejected', reason: error }));
    }
    // One item spoiled the group: each alone, so only that one fails.
    const outcomes: Array<PromiseSettledResult<R>> = [];
    for (const item of items) {
      try {
        outcomes.push(...(await this.store.commit([item])));
      } catch (error) {
        outcomes.push({ status: 'rejected', reason: error });
      }
    }
    return outcomes;
  }
}
