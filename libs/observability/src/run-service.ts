import { ConfigError } from '@tongban/config';
import { JsonLogger } from './json-logger';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS, stopOnSignals } from './shutdown';
import { startTracing, stopTracing, tracingServiceName } from './tracing/start-tracing';

/** A service once it has started: how to stop it, and what its start log line reports. */
export interface RunningService {
  close(): Promise<void>;
  /** Facts for the start log line (port, URL, database...). */
  facts?: Record<string, unknown>;
}

/** What a service's `main.ts` says about itself; everything else is the same for every service. */
export interface ServiceDefinition<C> {
  /** Service name, as it appears on every log line and error message. */
  name: string;
  /** Reads and validates the configuration; throws ConfigError naming every bad variable. */
  readConfig(): C;
  /** Builds and starts the service. */
  create(config: C, logger: JsonLogger): Promise<RunningService>;
  /** The region the logger names, when the service belongs to one. */
  region?(config: C): string | undefined;
}

/** Where the process is touched, so that a spec can run a service without ending the test run. */
export interface ProcessHooks {
  exit(code: number): void;
  stderr(text: string): void;
  logger?: JsonLogger;
}

const realProcess: ProcessHooks = {
  exit: (code) => process.exit(code),
  stderr: (text) => process.stderr.write(text),
};

/** A service's definition, typed by its configuration (for the module its `main.ts` loads). */
export function defineService<C extends object>(service: ServiceDefinition<C>): ServiceDefinition<C> {
  return service;
}

/** Exit code for a configuration the service refuses to start with. */
export const CONFIG_ERROR_EXIT_CODE = 2;

/**
 * Starts a service the way every tongban service starts: configuration read first (a bad value stops
 * the process with exit code 2, naming the variable), one start log line, and on SIGTERM or SIGINT a
 * stop that finishes the work in flight within TONGBAN_SHUTDOWN_TIMEOUT_MS or exits anyway.
 */
export async function runService<C extends object>(service: ServiceDefinition<C>, hooks: ProcessHooks = realProcess): Promise<void> {
  let config: C;
  try {
    config = service.readConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      hooks.stderr(`${service.name}: ${e.message}\n`);
      hooks.exit(CONFIG_ERROR_EXIT_CODE);
      return;
    }
    return failedToStart(service.name, e, hooks);
  }
  const logger = hooks.logger ?? new JsonLogger(service.name, service.region?.(config));
  const timeoutMs = shutdownTimeoutMs(config);
  let running: RunningService;
  try {
    running = await service.create(config, logger);
  } catch (e) {
    return failedToStart(service.name, e, hooks);
  }
  const tracing = tracingServiceName();
  logger.event('info', `${service.name} ready`, { ...running.facts, pid: process.pid, shutdownTimeoutMs: timeoutMs, ...(tracing ? { tracing } : {}) });
  // The spans of the last requests are sent before the process ends (nothing to do when tracing is off).
  stopOnSignals(logger, timeoutMs, () => running.close().finally(() => stopTracing()), hooks.exit);
}

/**
 * The whole of a service's `main.ts`: tracing started first when the OTEL_* variables switch it on (see
 * `startTracing`), then the service's own modules loaded by `load` (so that the instrumentations patch kafkajs,
 * mysql2, ioredis and express as they are required), then `runService`.
 */
export async function startService<C extends object>(
  name: string,
  load: () => Promise<ServiceDefinition<C>>,
  hooks: ProcessHooks = realProcess,
): Promise<void> {
  let service: ServiceDefinition<C>;
  try {
    await startTracing(name);
    service = await load();
  } catch (e) {
    return failedToStart(name, e, hooks);
  }
  return runService(service, hooks);
}

/** TONGBAN_SHUTDOWN_TIMEOUT_MS as read into the service's `infra` configuration, else the default. */
function shutdownTimeoutMs(config: object): number {
  const infra = (config as { infra?: { shutdownTimeoutMs?: number } }).infra;
  return infra?.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
}

function failedToStart(name: string, e: unknown, hooks: ProcessHooks): void {
  hooks.stderr(`${name} failed to start: ${(e as Error)?.stack ?? e}\n`);
  hooks.exit(1);
}
