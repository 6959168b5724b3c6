import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { HttpPoster } from './http-poster';

describe('HttpPoster', () => {
  let server: Server;
  let url: string;
  const seen: Array<{ method?: string; path?: string; type?: string; auth?: string; body: string; socket: unknown }> = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method, path: req.url, type: req.headers['content-type'], auth: req.headers.authorization, body, socket: req.socket });
        if (req.url === '/empty') {
          res.writeHead(204).end();
          return;
        }
        res.writeHead(req.url === '/busy' ? 503 : 202, { 'content-type': 'application/json', 'retry-after': '1' });
        res.end(JSON.stringify({ echoed: JSON.parse(body) }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('posts the body as JSON with the given headers and answers the status, headers and parsed body', async () => {
    const poster = new HttpPoster(url, 2);
    const answer = await poster.post('/v1/events', { caseId: '案-1' }, { authorization: 'Bearer k' });
    expect(answer).toMatchObject({ status: 202, body: { echoed: { caseId: '案-1' } } });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', path: '/v1/events', type: 'application/json', auth: 'Bearer k', body: '{"caseId":"案-1"}' });
    const busy = await poster.post('/busy', [1]);
    expect(busy.status).toBe(503);
    expect(busy.headers['retry-after']).toBe('1');
    expect((await poster.post('/empty', {})).body).toBeUndefined();
    poster.close();
  });

  it('keeps its connections open: requests one after the other share one socket', async () => {
    const poster = new HttpPoster(url, 1);
    const before = seen.length;
    for (let i = 0; i < 3; i++) await poster.post('/v1/events', { i });
    const sockets = new Set(seen.slice(before).map((s) => s.socket));
    expect(sockets.size).toBe(1);
    poster.close();
  });

  it('rejects when nothing answers', async () => {
    const poster = new HttpPoster('http://127.0.0.1:1', 1);
    await expect(poster.post('/v1/events', {})).rejects.toThrow();
    poster.close();
  });
});
