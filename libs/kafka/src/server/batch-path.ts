/** What decides whether a run of messages of one partition may be applied as one batch. */
export interface BatchPathInput {
  /** The application gave a batch handler. */
  handler: boolean;
  /** 0 on the inbox, n on `.retry.<n>`. */
  level: number;
  /** Open holds among the keys of the partition batch. */
  openHolds: number;
  /** The messages of the run: a replay of a dead letter may be the blocker of a hold. */
  messages: ReadonlyArray<{ replayOf?: string }>;
}

export type BatchPath = 'batch' | 'one-by-one';

/**
 * A run of inbox messages goes to the batch handler when nothing about it needs the per-message path: read from
 * the inbox (a retry copy is paced and counted per message), no case of the partition batch held (a held case
 * keeps its order message by message), no operator's replay among them, and more than one message.
 */
export function batchPath(input: BatchPathInput): BatchPath {
  if (!input.handler || input.level !== 0 || input.openHolds > 0 || input.messages.length < 2) return 'one-by-one';
  return input.messages.some((m) => m.replayOf) ? 'one-by-one' : 'batch';
}
