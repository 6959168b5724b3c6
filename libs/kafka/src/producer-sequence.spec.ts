import { sequenceLost } from './producer-sequence';

describe('sequenceLost', () => {
  it("finds the broker's error type in the causes kafkajs wraps it in, and nothing in other errors", () => {
    const protocol = Object.assign(new Error('The broker received an out of order sequence number'), { type: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(sequenceLost(Object.assign(new Error('retries exceeded'), { cause: protocol }))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(sequenceLost(Object.assign(new Error('batch not sent'), { cause: { originalError: { type: 'UNKNOWN_PRODUCER_ID' } } }))).toBe('UNKNOWN_PRODUCER_ID');
    expect(sequenceLost(Object.assign(new Error('x'), { type: 'NOT_LEADER_FOR_PARTITION' }))).toBeUndefined();
    expect(sequenceLost(new Error('Connection error'))).toBeUndefined();
    expect(sequenceLost(undefined)).toBeUndefined();
  });
});
