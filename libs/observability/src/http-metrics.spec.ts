import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import { httpMetrics } from './http-metrics';

/** A request through the middleware: the route is matched (or not) by the time the answer is sent. */
function answer(registry: Registry, method: string, route: string | undefined, status: number): void {
  const req: { method: string; route?: { path: string } } = { method };
  const res = Object.assign(new EventEmitter(), { statusCode: 200 });
  httpMetrics(registry)(req, res, () => undefined);
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
});
