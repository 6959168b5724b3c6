/**
 * Answers of a broker that mean the idempotent producer's sequence numbers no longer match what the broker holds for
 * it. kafkajs 2.2.4 does not recover from them (the Java client resets its producer id): every later send to the
 * partition fails the same way, so the relay and the failure publisher start a new producer.
 */
const SEQUENCE_LOST = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING']);

/** The broker's error type that says the producer's sequence is lost, found anywhere in `error`'s causes. */
export function sequenceLost(error: unknown, depth = 0): string | undefined {
  if (!error || typeof error !== 'object' || depth > 5) return undefined;
  const e = error as { type?: unknown; cause?: unknown; originalError?: unknown };
  if (typeof e.type === 'string' && SEQUENCE_LOST.has(e.type)) return e.type;
  return sequenceLost(e.cause, depth + 1) ?? sequenceLost(e.originalError, depth + 1);
}
