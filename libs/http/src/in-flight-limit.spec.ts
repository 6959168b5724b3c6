import { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import { inFlightLimit } from './in-flight-limit';

class FakeResponse extends EventEmitter {
  statusCode = 200;
  headers: Record<string, string> = {};
  body: unknown;
  setHeader(name: string, value: string) {
    this.headers[name.toLowerCase()] = value;
    return this;
  }
  status(code: number) {
    this.statusCode = code;
    return this;
  }
  send(body: string) {
    this.body = JSON.parse(body);
    this.emit('finish');
    return this;
  }
}

function call(limit: ReturnType<typeof inFlightLimit>, url = '/v1/events') {
  const res = new FakeResponse();
  let passed = false;
  limit({ url } as Request, res as unknown as Response, () => (passed = true));
  return { res, passed };
}

describe('in-flight limit', () => {
  it('lets requests through up to the limit and answers the next one 503 with Retry-After', () => {
    const limit = inFlightLimit(2);
    expect(call(limit).passed).toBe(true);
    expect(call(limit).passed).toBe(true);
    const third = call(limit);
    expect(third.passed).toBe(false);
    expect(third.res.statusCode).toBe(503);
    expect(third.res.headers['retry-after']).toMatch(/^\d+$/);
    expect(third.res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(third.res.body).toMatchObject({ status: 503, code: 'SERVICE.OVERLOADED', error: { code: 'OVERLOADED' } });
    expect(limit.inFlight).toBe(2);
    expect(limit.refused).toBe(1);
  });

  it('frees a place when an answer is sent or the client goes away, once per request', () => {
    const limit = inFlightLimit(1);
    const first = call(limit);
    first.res.emit('finish');
    first.res.emit('close');
    expect(limit.inFlight).toBe(0);
    const second = call(limit);
    expect(second.passed).toBe(true);
    second.res.emit('close');
    expect(call(limit).passed).toBe(true);
  });

  it('always answers health and metrics', () => {
    const limit = inFlightLimit(1);
    call(limit);
    expect(call(limit, '/health').passed).toBe(true);
    expect(call(limit, '/health/live').passed).toBe(true);
    expect(call(limit, '/metrics').passed).toBe(true);
    expect(call(limit, '/healthz').passed).toBe(false);
  });

  it('refuses a limit below 1', () => {
    expect(() => inFlightLimit(0)).toThrow(/at least 1/);
  });
});
