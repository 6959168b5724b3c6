import { admit, checkReleasable } from './hold-state';
import type { Hold, HoldStatus } from './hold-store.port';

const hold = (status: HoldStatus): Hold => ({
  caseKey: 'SUB-1',
  status,
  blockerRef: 't/0/5',
  blockerEventId: 'e-5',
  errorCode: 'UNEXPECTED',
  errorMessage: 'boom',
  forwardTopic: 't.retry.1',
  resolution: null,
  heldCount: 1,
  openedAt: new Date(),
  updatedAt: new Date(),
});

describe('admission of a message to its case', () => {
  it('processes a message of a case without a hold', () => {
    expect(admit(undefined, { ref: 't/0/9' })).toBe('process');
    expect(admit(hold('closed'), { ref: 't/0/9' })).toBe('process');
  });

  it.each<HoldStatus>(['forwarding', 'retrying', 'parked', 'releasing'])('holds a later message while the hold is %s', (status) => {
    expect(admit(hold(status), { ref: 't/0/9' })).toBe('hold');
  });

  it('lets the blocker itself through (a retry copy or a redelivery)', () => {
    expect(admit(hold('retrying'), { ref: 't/0/5' })).toBe('blocker');
  });

  it('lets an operator’s replay of the blocker through, named by place or by event id', () => {
    expect(admit(hold('parked'), { ref: 't/0/77', replayOf: 't/0/5' })).toBe('blocker');
    expect(admit(hold('parked'), { ref: 't/0/77', replayOf: 'e-5' })).toBe('blocker');
  });

  it('holds a replay of some other message', () => {
    expect(admit(hold('parked'), { ref: 't/0/77', replayOf: 't/0/6' })).toBe('hold');
  });
});

describe('releasing a hold by hand', () => {
  it('is allowed once the blocker is parked on the dead-letter topic', () => {
    expect(() => checkReleasable('SUB-1', hold('parked'))).not.toThrow();
  });

  it('is refused while the blocker is still retried', () => {
    expect(() => checkReleasable('SUB-1', hold('retrying'))).toThrow(expect.objectContaining({ code: 'HOLD.NOT_RELEASABLE' }));
  });

  it('answers not found for a case without an open hold', () => {
    expect(() => checkReleasable('SUB-1', undefined)).toThrow(expect.objectContaining({ code: 'HOLD.NOT_FOUND' }));
    expect(() => checkReleasable('SUB-1', hold('closed'))).toThrow(expect.objectContaining({ code: 'HOLD.NOT_FOUND' }));
  });
});
