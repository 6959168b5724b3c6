import { InMemoryProcessedEvents } from './webhook-receiver';

describe('the reference receiver’s memory of applied event ids', () => {
  it('keeps at most maxIds ids, forgetting the oldest first', async () => {
    const ids = new InMemoryProcessedEvents(86_400_000, 3);
    for (const id of ['a', 'b', 'c', 'd', 'e']) await ids.add(id);
    expect(ids.size).toBe(3);
    expect(await ids.has('a')).toBe(false);
    expect(await ids.has('b')).toBe(false);
    expect(await ids.has('e')).toBe(true);
  });

  it('counts an id added again as new, so a recent redelivery is not the first forgotten', async () => {
    const ids = new InMemoryProcessedEvents(86_400_000, 2);
    await ids.add('a');
    await ids.add('b');
    await ids.add('a');
    await ids.add('c');
    expect(await ids.has('a')).toBe(true);
    expect(await ids.has('b')).toBe(false);
  });

  it('forgets ids older than its retention', async () => {
    const ids = new InMemoryProcessedEvents(1000, 10);
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
    await ids.add('old');
    now.mockReturnValue(1_002_000);
    await ids.add('new');
    now.mockRestore();
    expect(await ids.has('old')).toBe(false);
    expect(await ids.has('new')).toBe(true);
  });

  it('refuses a bound below 1', () => {
    expect(() => new InMemoryProcessedEvents(1000, 0)).toThrow(/at least 1/);
  });
});
