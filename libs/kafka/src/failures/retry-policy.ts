import { EnvReader } from '@tongban/config';

/**
 * How a consumer retries a message that failed with a retriable error: a few tries in place, then
 * one pass through each retry topic (`<topic>.retry.1`, `.retry.2`, …) after its delay, then the
 * dead-letter topic. An empty delay list sends a message to the dead-letter topic after the tries
 * in place.
 */
export interface RetryPolicy {
  /** Tries of one delivery before it is handed to the next retry topic (at least 1). */
  inPlaceAttempts: number;
  /** Pause before the second try in place; doubled for each further try. */
  inPlaceBackoffMs: number;
  /** Delay of each retry topic, in order: `delaysMs[0]` for `.retry.1`. */
  delaysMs: number[];
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  inPlaceAttempts: 3,
  inPlaceBackoffMs: 200,
  delaysMs: [5_000, 60_000, 600_000],
};

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `250ms`, `5s`, `1m`, `1.5h` → milliseconds. A bare number is refused: the unit is never guessed. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/i.exec(text);
  if (!m) throw new Error(`"${text}" is not a duration like 500ms, 5s, 1m or 2h`);
  return Math.round(Number(m[1]) * UNIT_MS[m[2].toLowerCase()]);
}

/** `5s,1m,10m` → [5000, 60000, 600000]; `none` → no retry topics. At most 10 levels. */
export function parseRetryDelays(text: string): number[] {
  if (/^\s*none\s*$/i.test(text)) return [];
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new Error('no delays given; write e.g. 5s,1m,10m, or none');
  if (parts.length > 10) throw new Error(`${parts.length} retry levels given, at most 10 are allowed`);
  return parts.map(parseDuration);
}

/**
 * Reads `TONGBAN_RETRY_DELAYS` (default `5s,1m,10m`), `TONGBAN_RETRY_IN_PLACE_ATTEMPTS` (3) and
 * `TONGBAN_RETRY_IN_PLACE_BACKOFF_MS` (200); a bad value throws a ConfigError naming the variable.
 */
export function readRetryPolicy(env: Record<string, string | undefined> = process.env): RetryPolicy {
  const r = new EnvReader(env);
  let delaysMs = DEFAULT_RETRY_POLICY.delaysMs;
  const raw = r.optional('TONGBAN_RETRY_DELAYS');
  if (raw !== undefined) {
    try {
      delaysMs = parseRetryDelays(raw);
    } catch (e) {
      r.fail(`TONGBAN_RETRY_DELAYS: ${(e as Error).message}`);
    }
  }
  const policy: RetryPolicy = {
    inPlaceAttempts: r.int('TONGBAN_RETRY_IN_PLACE_ATTEMPTS', DEFAULT_RETRY_POLICY.inPlaceAttempts, { min: 1, max: 20 }),
    inPlaceBackoffMs: r.int('TONGBAN_RETRY_IN_PLACE_BACKOFF_MS', DEFAULT_RETRY_POLICY.inPlaceBackoffMs, { min: 0, max: 60_000 }),
    delaysMs,
  };
  r.done();
  return policy;
}
