import { ConfigError } from '@tongban/config';
import { JsonLogger } from './json-logger';
import { defineService, runService, startService } from './run-service';

type Config = { infra: { shutdownTimeoutMs: number } };

describe('runService', () => {
  const lines: string[] = [];
  const logger = new JsonLogger('test', undefined, 'info', (line) => lines.push(line));
  let exits: number[];
  let stderr: string;
  const hooks = () => ({ exit: (code: number) => exits.push(code), stderr: (text: string) => (stderr += text), logger });
  const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeEach(() => {
    exits = [];
    stderr = '';
    lines.length = 0;
  });
  afterEach(() => {
    process.removeAllListeners('SIGTERM');
    process.removeAllListeners('SIGINT');
  });

  it('exits 2 naming the bad variable, and never creates the service, when the configuration is invalid', async () => {
    const create = jest.fn();
    await runService<Config>(
      {
        name: 'gateway',
        readConfig: () => {
          throw new ConfigError(['TONGBAN_GATEWAY_PORT: expected an integer, got "eighty"']);
        },
        create,
      },
      hooks(),
    );
    expect(exits).toEqual([2]);
    expect(stderr).toBe('gateway: invalid configuration:\n  - TONGBAN_GATEWAY_PORT: expected an integer, got "eighty"\n');
    expect(create).not.toHaveBeenCalled();
  });

  it('exits 1 with the cause when the service cannot start', async () => {
    await runService<Config>(
      { name: 'ops', readConfig: () => ({ infra: { shutdownTimeoutMs: 1000 } }), create: () => Promise.reject(new Error('database unreachable')) },
      hooks(),
    );
    expect(exits).toEqual([1]);
    expect(stderr).toMatch(/^ops failed to start: Error: database unreachable/);
  });

  it('logs one start line with the facts the service reports', async () => {
    await runService<Config>(
      {
        name: 'relay',
        readConfig: () => ({ infra: { shutdownTimeoutMs: 1000 } }),
        create: async () => ({ close: async () => undefined, facts: { port: 8099 } }),
      },
      hooks(),
    );
    const started = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'relay ready');
    expect(started).toEqual([expect.objectContaining({ port: 8099, shutdownTimeoutMs: 1000 })]);
    expect(exits).toEqual([]);
  });

  it('on SIGTERM closes the service and exits 0 when it closes within the deadline', async () => {
    const close = jest.fn(() => settle(20).then(() => undefined));
    await runService<Config>({ name: 'delivery', readConfig: () => ({ infra: { shutdownTimeoutMs: 500 } }), create: async () => ({ close }) }, hooks());
    process.emit('SIGTERM', 'SIGTERM');
    await settle(100);
    expect(close).toHaveBeenCalledTimes(1);
    expect(exits).toEqual([0]);
  });

  it('on SIGTERM exits 1 at the TONGBAN_SHUTDOWN_TIMEOUT_MS deadline when closing hangs', async () => {
    const started = Date.now();
    await runService<Config>(
      {
        name: 'region-node',
        readConfig: () => ({ infra: { shutdownTimeoutMs: 150 } }),
        create: async () => ({ close: () => new Promise<void>(() => undefined) }),
      },
      hooks(),
    );
    process.emit('SIGTERM', 'SIGTERM');
    await settle(100);
    expect(exits).toEqual([]);
    await settle(150);
    expect(exits).toEqual([1]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('starts a service through its main.ts: the definition is loaded only after tracing was considered, then run', async () => {
    const order: string[] = [];
    await startService(
      'gateway',
      async () => {
        order.push('loaded');
        return defineService<Config>({
          name: 'gateway',
          readConfig: () => ({ infra: { shutdownTimeoutMs: 1000 } }),
          create: async () => (order.push('created'), { close: async () => undefined }),
        });
      },
      hooks(),
    );
    expect(order).toEqual(['loaded', 'created']);
    // Without OTEL_* in the environment tracing stays off, and the start line says nothing of it.
    const started = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'gateway ready');
    expect(started).toBeDefined();
    expect(started).not.toHaveProperty('tracing');
  });

  it('exits 1 with the cause when the service’s modules fail to load', async () => {
    await startService('relay', () => Promise.reject(new Error('Cannot find module ./app')), hooks());
    expect(exits).toEqual([1]);
    expect(stderr).toMatch(/^relay failed to start: Error: Cannot find module \.\/app/);
  });
});
