import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendWebhook } from './webhook-sender';

/** A resolver that answers fixed addresses, so no name leaves this process. */
const fixed =
  (answers: Record<string, string>) =>
  (hostname: string, _o: unknown, cb: (err: NodeJS.ErrnoException | null, a: Array<{ address: string; family: number }>) => void) => {
    const address = answers[hostname];
    if (!address) return cb(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }), []);
    return cb(null, [{ address, family: address.includes(':') ? 6 : 4 }]);
  };

describe('sending a webhook', () => {
  let server: Server;
  let port: number;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      if (req.url === '/moved') res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      else res.writeHead(req.url === '/fail' ? 500 : 200).end('internal details the partner must not see');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const send = (url: string, allowLoopback: boolean, answers: Record<string, string> = {}) =>
    sendWebhook(url, { headers: {}, body: '{}', timeoutMs: 2000, policy: { allowLoopback }, resolve: fixed(answers) });

  it('delivers to an allowed receiver and keeps only the status of a failure', async () => {
    expect(await send(`http://127.0.0.1:${port}/ok`, true)).toEqual({ status: 200, error: null });
    expect(await send(`http://127.0.0.1:${port}/fail`, true)).toEqual({ status: 500, error: 'receiver answered 500' });
  });

  it('refuses a loopback literal when loopback is not enabled, without connecting', async () => {
    const before = hits;
    expect(await send(`http://127.0.0.1:${port}/ok`, false)).toEqual({ status: 0, error: 'refused: loopback address' });
    expect(await send(`http://[::ffff:127.0.0.1]:${port}/ok`, false)).toEqual({ status: 0, error: 'refused: loopback address' });
    expect(hits).toBe(before);
  });

  it('checks the address a name resolves to at connect time', async () => {
    const before = hits;
    expect(await send(`http://receiver.test:${port}/ok`, false, { 'receiver.test': '127.0.0.1' })).toEqual({ status: 0, error: 'refused: loopback address' });
    expect(await send('http://metadata.test/', true, { 'metadata.test': '169.254.169.254' })).toEqual({ status: 0, error: 'refused: metadata address' });
    expect(await send('http://intranet.test/', true, { 'intranet.test': '10.1.2.3' })).toEqual({ status: 0, error: 'refused: private address' });
    expect(await send(`http://receiver.test:${port}/ok`, true, { 'receiver.test': '127.0.0.1' })).toEqual({ status: 200, error: null });
    expect(hits).toBe(before + 1);
  });

  it('does not follow a redirect', async () => {
    expect(await send(`http://127.0.0.1:${port}/moved`, true)).toEqual({ status: 302, error: 'refused: redirect not followed' });
  });

  it('names a failure by a short category, not the system error', async () => {
    expect(await send('http://nowhere.test/', true)).toEqual({ status: 0, error: 'name not resolved' });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await send(`http://127.0.0.1:${closedPort}/`, true)).toEqual({ status: 0, error: 'connection failed' });
  });
});
