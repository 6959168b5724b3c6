import type { JsonLogger } from './json-logger';

/** How long a service may take to stop by default (TONGBAN_SHUTDOWN_TIMEOUT_MS). */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Stops the process on SIGTERM or SIGINT: `close` finishes what is in flight; if it has not finished
 * within `timeoutMs` (a dependency hangs), the process exits anyway with code 1. Work that did not
 * finish has not committed its offset or its transaction, so it is done again by the next owner.
 */
export function stopOnSignals(
  logger: JsonLogger,
  timeoutMs: number,
  close: () => Promise<void>,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.event('info', 'stopping: finishing the work in flight', { signal, timeoutMs });
    const deadline = setTimeout(() => {
      logger.event('error', 'stop deadline passed: exiting with work unfinished (it is done again after the restart)', { timeoutMs });
      exit(1);
    }, timeoutMs);
    close().then(
      () => {
        clearTimeout(deadline);
        exit(0);
      },
      (e) => {
        clearTimeout(deadline);
        logger.event('error', 'stopping failed', { error: (e as Error)?.message });
        exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
