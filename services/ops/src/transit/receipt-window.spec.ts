import { Arrival, batches, outcomeOf, ReceiptWindow } from './receipt-window';

const at = (s: number) => new Date(Date.UTC(2026, 10, 30, 3, 0, s)).toISOString();
const arrival = (id: string, s: number): Arrival => ({ eventId: id, caseId: `SUB-510104-2026-${id}`, node: '500000', outcome: 'APPLIED', at: at(s) });

describe('the receipt of a node outcome', () => {
  it.each([
    ['applied', 'APPLIED'],
    ['noted', 'APPLIED'],
    ['rejected', 'REJECTED'],
    ['duplicate', undefined],
    ['', undefined],
  ])('%j is %j', (outcome, receipt) => expect(outcomeOf(outcome)).toBe(receipt));
});

describe('receipt batches', () => {
  it.each([
    [0, 3, []],
    [1, 3, [1]],
    [3, 3, [3]],
    [7, 3, [3, 3, 1]],
    [1000, 500, [500, 500]],
  ])('%i receipts in batches of %i make batches of %j', (n, size, sizes) => {
    const items = Array.from({ length: n }, (_, i) => i);
    const out = batches(items, size);
    expect(out.map((b) => b.length)).toEqual(sizes);
    expect(out.flat()).toEqual(items);
  });

  it.each([[0], [-1], [1.5]])('refuses a batch size of %j', (size) => expect(() => batches([1], size)).toThrow('batch size'));
});

describe('the window of receipts sent from one source', () => {
  it('reads from the beginning before anything was sent', () => {
    const w = new ReceiptWindow(10_000);
    expect(w.readFrom.getTime()).toBe(0);
    expect(w.fresh([arrival('a', 1), arrival('b', 2)]).map((a) => a.eventId)).toEqual(['a', 'b']);
  });

  it('reads again from the overlap before the newest sent, and sends nothing twice', () => {
    const w = new ReceiptWindow(10_000);
    w.sent([arrival('a', 1), arrival('b', 30)]);
    expect(w.watermark).toBe(Date.parse(at(30)));
    expect(w.readFrom.toISOString()).toBe(at(20));
    // A transaction recorded at 25 s that committed after b was read: within the overlap, so it is found and sent.
    expect(w.fresh([arrival('late', 25), arrival('b', 30), arrival('c', 31)]).map((a) => a.eventId)).toEqual(['late', 'c']);
  });

  it('forgets what fell out of the overlap, and never moves the watermark back', () => {
    const w = new ReceiptWindow(10_000);
    w.sent([arrival('a', 1), arrival('b', 5)]);
    w.sent([arrival('c', 40)]);
    expect(w.remembered).toBe(1);
    w.sent([arrival('late', 35)]);
    expect(w.watermark).toBe(Date.parse(at(40)));
    expect(w.remembered).toBe(2);
  });

  it('takes one receipt per event from a read that repeats it', () => {
    const w = new ReceiptWindow(10_000);
    expect(w.fresh([arrival('a', 1), arrival('a', 1)])).toHaveLength(1);
  });

  it('starts after a restart from the stored watermark less the overlap, sending the overlap once more', () => {
    const w = new ReceiptWindow(10_000, Date.parse(at(30)));
    expect(w.readFrom.toISOString()).toBe(at(20));
    expect(w.fresh([arrival('b', 30)]).map((a) => a.eventId)).toEqual(['b']);
  });
});
