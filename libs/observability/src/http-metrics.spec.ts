import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import { httpMetrics } from './http-metrics';
import { JsonLogger } from './json-logger';

/** A request through the middleware: the route is matched (or not) by the time the answer is sent. */
function answer(registry: Registry, method: string, route: string | undefined, status: number, logger?: JsonLogger, caller?: string): void {
  const req: { method: string; route?: { path: string } } = { method };
  const res = Object.assign(new EventEmitter(), { statusCode: 200, locals: {} as { caller?: string } });
  httpMetrics(registry, logger)(req, res, () => undefined);
  if (caller) res.locals.caller = caller;
  if (route) req.route = { path: route };
  res.statusCode = status;
  res.emit('finish');
  res.emit('close');
}

describe('HTTP metrics', () => {
  it('counts and times requests by route pattern and status, once each, 4xx included', async () => {
    const registry = new Registry();
    answer(registry, 'GET', '/v1/cases/:caseId', 200);
    answer(registry, 'GET', '/v1/cases/:caseId', 404);
    answer(registry, 'POST', '/v1/events', 400);
    answer(registry, 'GET', undefined, 404);
    const text = await registry.metrics();
    expect(text).toContain('tongban_http_requests_total{method="GET",route="/v1/cases/:caseId",status="200"} 1');
    expect(text).toContain('tongban_http_requests_total{method="GET",route="/v1/cases/:caseId",status="404"} 1');
    expect(text).toContain('tongban_http_requests_total{method="POST",route="/v1/events",status="400"} 1');
    expect(text).toContain('tongban_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).toContain('tongban_http_request_duration_seconds_count{method="POST",route="/v1/events",status="400"} 1');
  });

  it('writes one access line per answer with route, status, duration and the calling system; probes and scrapes left out', () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = new JsonLogger('gateway', undefined, 'info', (line) => lines.push(JSON.parse(line)));
    const registry = new Registry();
    answer(registry, 'POST', '/v1/events', 403, logger, 'chengdu-civil-affairs');
    answer(registry, 'GET', '/v1/cases/:caseId', 503, logger);
    answer(registry, 'GET', '/health/ready', 200, logger);
    answer(registry, 'GET', '/metrics', 200, logger);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'http request', method: 'POST', route: '/v1/events', status: 403, caller: 'chengdu-civil-affairs' });
    expect(typeof lines[0].durationMs).toBe('number');
    expect(lines[1]).toMatchObject({ level: 'warn', route: '/v1/cases/:caseId', status: 503 });
    expect(lines[1]).not.toHaveProperty('caller');
  });
});
