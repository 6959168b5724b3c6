import { Client, fictionalPerson, retryWait } from './chaos-support';
import { parseCycleArgs } from './chaos-cycles';

describe('chaos cycles: options', () => {
  it('reads cycles, components and rate, and bounds the receiver’s memory of ids', () => {
    const o = parseCycleArgs(['--cycles', '3', '--kill', 'mariadb,redis', '--rate', '100'], {});
    expect(o).toMatchObject({ cycles: 3, kill: ['mariadb', 'redis'], rate: 100, receiverMaxIds: 1_000_000 });
    expect(parseCycleArgs([], { TONGBAN_CHAOS_RECEIVER_MAX_IDS: '5000' }).receiverMaxIds).toBe(5000);
  });

  it('names a bad component and a bad bound', () => {
    expect(() => parseCycleArgs(['--kill', 'printer'], {})).toThrow(/"printer" is not one of/);
    expect(() => parseCycleArgs([], { TONGBAN_CHAOS_RECEIVER_MAX_IDS: 'all' })).toThrow(/TONGBAN_CHAOS_RECEIVER_MAX_IDS must be a whole number/);
  });

  it('reads a soak: minutes of streaming with no kill cycles, memory sampled', () => {
    expect(parseCycleArgs(['--soak', '30', '--rate', '50'], {})).toMatchObject({ soakMinutes: 30, cycles: 0, rate: 50, sampleSeconds: 30 });
    expect(parseCycleArgs(['--soak', '5', '--sample-seconds', '10'], {}).sampleSeconds).toBe(10);
    expect(parseCycleArgs(['--cycles', '2'], {})).toMatchObject({ soakMinutes: 0, cycles: 2 });
    expect(() => parseCycleArgs(['--soak', 'long'], {})).toThrow(/--soak must be a positive number/);
  });
});

describe('the chaos client’s fictional people', () => {
  it('never are born in the future and never repeat, however long a run streams', () => {
    const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    const seen = new Set<string>();
    for (const n of [0, 1, 28_999, 29_000, 31_747, 60_000, 200_000, 1_000_000]) {
      const p = fictionalPerson(n);
      expect(p.birth < today).toBe(true);
      expect(p.sequence).toMatch(/^\d{3}$/);
      seen.add(`${p.birth}${p.sequence}`);
    }
    expect(seen.size).toBe(8);
    expect(fictionalPerson(0)).toEqual({ birth: '19400101', sequence: '100' });
  });
});

describe('the chaos client’s waits between tries', () => {
  it.each([
    [1, undefined, 0.5, 250],
    [2, undefined, 0.5, 500],
    [5, undefined, 0.5, 4000],
    [9, undefined, 0.5, 5000],
    [3, 1000, 0.5, 1000],
    [3, 1000, 0, 500],
    [3, 1000, 0.999, 1499],
  ])('try %i, Retry-After %p ms, random %p: %i ms', (tries, retryAfterMs, r, ms) => {
    expect(retryWait(tries, retryAfterMs, () => r)).toBe(ms);
  });
});

describe('the chaos client against a gateway slower than the rate asked', () => {
  it('keeps at most its bound of requests in flight, waits there, and gets every request accepted', async () => {
    const { createServer } = await import('node:http');
    let open = 0;
    let peak = 0;
    let n = 0;
    // Answers each request after 150 ms: at 200 requests/s, about 30 would be in flight without a bound.
    const server = createServer((req, res) => {
      open++;
      peak = Math.max(peak, open);
      req.resume();
      req.on('end', () =>
        setTimeout(() => {
          open--;
          res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ eventId: `e-${n++}` }));
        }, 150),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as import('node:net').AddressInfo;
    try {
      const client = new Client(`http://127.0.0.1:${port}`, 'spec', 0, 5);
      await client.stream(200, Date.now() + 1500);
      await client.settle();
      expect(peak).toBeLessThanOrEqual(5);
      expect(client.peakInFlight).toBe(5);
      expect(client.heldBackMs).toBeGreaterThan(500);
      expect(client.requests.length).toBeGreaterThan(20);
      expect(client.requests.every((r) => r.eventId)).toBe(true);
    } finally {
      server.close();
    }
  });

  it('gives up the requests in flight when aborted, instead of retrying for ten minutes', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(503, { 'retry-after': '1' }).end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as import('node:net').AddressInfo;
    try {
      const client = new Client(`http://127.0.0.1:${port}`, 'spec', 0, 3);
      const streaming = client.stream(50, Date.now() + 60_000);
      await new Promise((r) => setTimeout(r, 300));
      client.abort();
      const t0 = Date.now();
      await streaming;
      await client.settle();
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(client.requests.filter((r) => r.eventId)).toHaveLength(0);
    } finally {
      server.close();
    }
  });
});

describe('the chaos client in uploads', () => {
  it('sends K events per batch, settles each item by its own result and sends again only the unsettled ones', async () => {
    const { createServer } = await import('node:http');
    const bodies: { idempotencyKey: string }[][] = [];
    let calls = 0;
    let id = 0;
    // The first upload is refused whole (503); in the next, the first item is refused (400) and the second answered
    // 500 (neither accepted nor final), the rest accepted; the third try carries only that second item.
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        calls++;
        const items = JSON.parse(Buffer.concat(chunks).toString()) as { idempotencyKey: string }[];
        bodies.push(items);
        if (calls === 1) return void res.writeHead(503, { 'retry-after': '1' }).end();
        const results = items.map((_, index) =>
          calls === 2 && index === 0
            ? { index, status: 400, problem: { code: 'X' } }
            : calls === 2 && index === 1
              ? { index, status: 500 }
              : { index, status: 202, eventId: `e-${id++}` },
        );
        res.writeHead(207, { 'content-type': 'application/json' }).end(JSON.stringify({ results }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as import('node:net').AddressInfo;
    try {
      const client = new Client(`http://127.0.0.1:${port}`, 'spec', 0, 10, 4);
      await client.stream(4, Date.now() + 200);
      await client.settle();
      expect(bodies.map((b) => b.length)).toEqual([4, 4, 1]);
      expect(bodies[2][0].idempotencyKey).toBe(bodies[0][1].idempotencyKey);
      expect(client.requests).toHaveLength(4);
      expect(client.requests[0].refused).toMatch(/^400/);
      expect(client.requests.slice(1).every((r) => r.eventId)).toBe(true);
    } finally {
      server.close();
    }
  });

  it('reads --batch and bounds it by the gateway’s 500', () => {
    expect(parseCycleArgs(['--rate', '100', '--batch', '10'], {})).toMatchObject({ batch: 10, maxInFlight: 50 });
    expect(parseCycleArgs([], {})).toMatchObject({ batch: 1, maxInFlight: 100 });
    expect(() => parseCycleArgs(['--batch', '501'], {})).toThrow(/at most 500/);
  });
});
