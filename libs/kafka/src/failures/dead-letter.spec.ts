import { refusingKafka } from '../refusing-kafka.testing';
import { FailurePublisher } from './dead-letter';

describe('FailurePublisher', () => {
  it('sends the copy again with a new producer when the broker no longer accepts the sequence numbers of the first', async () => {
    const k = refusingKafka((call) => (call === 1 ? 'OUT_OF_ORDER_SEQUENCE_NUMBER' : 'ok'));
    const publisher = new FailurePublisher(k.kafka);
    await publisher.connect();
    await publisher.send('t.500000.inbox.retry-1', 'case-1', Buffer.from('x'), {});
    expect(k.stored).toEqual([{ producer: 2, topic: 't.500000.inbox.retry-1' }]);
    expect(k.disconnected).toEqual([1]);
    expect(publisher.renewed).toBe(1);
    // The new producer goes on being used.
    await publisher.send('t.500000.inbox.dlq', 'case-2', Buffer.from('y'), {});
    expect(k.stored.map((s) => s.producer)).toEqual([2, 2]);
  });

  it('throws any other refusal as it is and keeps its producer (the caller retries)', async () => {
    const k = refusingKafka((call) => (call === 1 ? 'NOT_ENOUGH_REPLICAS' : 'ok'));
    const publisher = new FailurePublisher(k.kafka);
    await publisher.connect();
    await expect(publisher.send('t.500000.inbox.dlq', 'case-1', Buffer.from('x'), {})).rejects.toThrow('send failed');
    await publisher.send('t.500000.inbox.dlq', 'case-1', Buffer.from('x'), {});
    expect(k.producers()).toBe(1);
    expect(publisher.renewed).toBe(0);
  });

  it('throws when the new producer is refused too', async () => {
    const k = refusingKafka(() => 'UNKNOWN_PRODUCER_ID');
    const publisher = new FailurePublisher(k.kafka);
    await publisher.connect();
    await expect(publisher.send('t.500000.inbox.dlq', 'case-1', Buffer.from('x'), {})).rejects.toThrow('send failed');
    expect(k.producers()).toBe(2);
    expect(k.stored).toEqual([]);
  });
});
