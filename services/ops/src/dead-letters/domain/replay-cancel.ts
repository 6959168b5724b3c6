/**
 * Cancelling a bulk replay. The request is stored in the job's row, so whichever ops process runs the job
 * sees it between two letters and ends the job there; the letters sent so far keep their outcomes, the rest
 * are skipped. A job whose process stopped without ending it (its heartbeat is old) has nobody to see the
 * request: the request ends it at once.
 */
export type CancelDecision =
  | { kind: 'refuse'; reason: string }
  /** Store the request; the process running the job ends it at the next letter. */
  | { kind: 'request' }
  /** Store the request and end the job now: no process is running it. */
  | { kind: 'end-now' };

export interface CancelledJobFacts {
  state: string;
  /** When the process running the job last made progress (created_at before the first letter). */
  heartbeatAt: Date;
}

/** A job counts as abandoned when its process has made no progress for this long (a letter takes well under it). */
export const ABANDONED_AFTER_MS = 60_000;

export function decideCancel(job: CancelledJobFacts, now: Date, abandonedAfterMs = ABANDONED_AFTER_MS): CancelDecision {
  if (job.state === 'finished' || job.state === 'failed' || job.state === 'cancelled') {
    return {
      kind: 'refuse',
      reason: `the bulk replay has ${job.state === 'finished' ? 'finished' : job.state === 'failed' ? 'failed' : 'been cancelled'} already`,
    };
  }
  if (job.state !== 'running' && job.state !== 'waiting') return { kind: 'refuse', reason: `the bulk replay is ${job.state}` };
  return now.getTime() - job.heartbeatAt.getTime() > abandonedAfterMs ? { kind: 'end-now' } : { kind: 'request' };
}

/** Whether the process running a job stops before the next letter (or the next look for outcomes). */
export function stopsAt(job: { state: string; cancelRequested: boolean } | undefined): boolean {
  return !job || job.cancelRequested || job.state === 'cancelled';
}
