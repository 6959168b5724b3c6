import { TongbanError } from '@tongban/errors';
import type { Hold, HoldResolution } from './hold-store.port';

export type Admission = 'process' | 'blocker' | 'hold';

/** What arrives for a case: its own reference, and the reference it replays, if it is a replay. */
export interface Arrival {
  ref: string;
  replayOf?: string;
}

/**
 * Whether a message may be processed now. With no open hold on its case it may; the blocker itself
 * (a retry copy, a redelivery, or an operator's replay of it) goes through; anything else waits.
 */
export function admit(hold: Hold | undefined, arrival: Arrival): Admission {
  if (!hold || hold.status === 'closed') return 'process';
  if (arrival.ref === hold.blockerRef) return 'blocker';
  if (arrival.replayOf && (arrival.replayOf === hold.blockerRef || arrival.replayOf === hold.blockerEventId)) return 'blocker';
  return 'hold';
}

export class HoldNotFoundError extends TongbanError {
  constructor(caseKey: string) {
    super('HOLD.NOT_FOUND', `no open hold for ${caseKey}`);
  }
}

export class HoldNotReleasableError extends TongbanError {
  constructor(message: string) {
    super('HOLD.NOT_RELEASABLE', message);
  }
}

export const RESOLUTIONS: readonly HoldResolution[] = ['replayed', 'discarded'];

/**
 * An operator may release a hold only once its blocker is parked on the dead-letter topic; while it is
 * still being retried the transport releases the hold by itself when a retry succeeds.
 */
export function checkReleasable(caseKey: string, hold: Hold | undefined): void {
  if (!hold || hold.status === 'closed') throw new HoldNotFoundError(caseKey);
  if (hold.status !== 'parked') {
    throw new HoldNotReleasableError(`the hold of ${caseKey} is ${hold.status}: only a hold whose blocker is on the dead-letter topic can be released by hand`);
  }
}
