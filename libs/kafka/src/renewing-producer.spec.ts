import { refusingKafka } from './refusing-kafka.testing';
import { RenewingProducer } from './renewing-producer';

const record = (topic: string) => ({ topic, acks: -1, messages: [{ key: 'k', value: 'v' }] });

describe('RenewingProducer', () => {
  it('sends again with a new producer when the broker no longer accepts the sequence numbers, and keeps the new one', async () => {
    const k = refusingKafka((call) => (call === 1 ? 'OUT_OF_ORDER_SEQUENCE_NUMBER' : 'ok'));
    const renewals: string[] = [];
    const producer = new RenewingProducer(k.kafka, undefined, (refusal) => renewals.push(refusal));
    await producer.connect();
    await expect(producer.send(record('t.500000.inbox'))).resolves.toEqual([{ topicName: 't.500000.inbox', partition: 0, errorCode: 0 }]);
    await producer.send(record('t.510000.inbox'));
    expect(k.stored).toEqual([
      { producer: 2, topic: 't.500000.inbox' },
      { producer: 2, topic: 't.510000.inbox' },
    ]);
    expect(k.disconnected).toEqual([1]);
    expect(producer.renewed).toBe(1);
    expect(renewals).toEqual(['OUT_OF_ORDER_SEQUENCE_NUMBER']);
  });

  it('renews once for sends that meet the refusal together', async () => {
    // Producer 1 refuses everything; producer 2 takes everything.
    const k = refusingKafka((_call, producer) => (producer === 1 ? 'UNKNOWN_PRODUCER_ID' : 'ok'), 5);
    const producer = new RenewingProducer(k.kafka);
    await producer.connect();
    await Promise.all([producer.send(record('a')), producer.send(record('b')), producer.send(record('c'))]);
    expect(k.producers()).toBe(2);
    expect(producer.renewed).toBe(1);
    expect(k.stored.map((s) => s.producer)).toEqual([2, 2, 2]);
    expect(k.stored.map((s) => s.topic).sort()).toEqual(['a', 'b', 'c']);
  });

  it('throws any other refusal as it is and keeps its producer', async () => {
    const k = refusingKafka((call) => (call === 1 ? 'NOT_ENOUGH_REPLICAS' : 'ok'));
    const producer = new RenewingProducer(k.kafka);
    await producer.connect();
    await expect(producer.send(record('a'))).rejects.toThrow('send failed');
    await producer.send(record('a'));
    expect(k.producers()).toBe(1);
    expect(producer.renewed).toBe(0);
  });

  it('throws when the new producer is refused too, and refuses sends before it is connected', async () => {
    const k = refusingKafka(() => 'INVALID_PRODUCER_EPOCH');
    const producer = new RenewingProducer(k.kafka);
    await expect(producer.send(record('a'))).rejects.toThrow('not connected');
    await producer.connect();
    await expect(producer.send(record('a'))).rejects.toThrow('send failed');
    expect(k.producers()).toBe(2);
    expect(k.stored).toEqual([]);
  });
});
