import { ABANDONED_AFTER_MS, decideCancel, stopsAt } from './replay-cancel';

const now = new Date('2026-11-30T08:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);

describe('decideCancel', () => {
  it.each([
    ['a running job with a live process', 'running', 2_000, 'request'],
    ['a job waiting for outcomes with a live process', 'waiting', 500, 'request'],
    ['a running job just at the limit', 'running', ABANDONED_AFTER_MS, 'request'],
    ['a running job whose process is gone', 'running', ABANDONED_AFTER_MS + 1, 'end-now'],
    ['a waiting job whose process is gone', 'waiting', 10 * ABANDONED_AFTER_MS, 'end-now'],
    ['a finished job', 'finished', 0, 'refuse'],
    ['a failed job', 'failed', 0, 'refuse'],
    ['a cancelled job', 'cancelled', 0, 'refuse'],
    ['a state this version does not know', 'paused', 0, 'refuse'],
  ])('%s: %s', (_name, state, age, kind) => {
    expect(decideCancel({ state, heartbeatAt: ago(age) }, now).kind).toBe(kind);
  });

  it('says why it refuses', () => {
    expect(decideCancel({ state: 'finished', heartbeatAt: now }, now)).toEqual({ kind: 'refuse', reason: 'the bulk replay has finished already' });
  });

  it('takes another limit', () => {
    expect(decideCancel({ state: 'running', heartbeatAt: ago(1_500) }, now, 1_000).kind).toBe('end-now');
  });
});

describe('stopsAt', () => {
  it.each([
    [{ state: 'running', cancelRequested: false }, false],
    [{ state: 'waiting', cancelRequested: false }, false],
    [{ state: 'running', cancelRequested: true }, true],
    [{ state: 'cancelled', cancelRequested: false }, true],
    [undefined, true],
  ])('%j → %s', (job, stops) => expect(stopsAt(job)).toBe(stops));
});
