/**
 * Order per case: while one message of a case (Kafka key = case id) is being retried or is parked on
 * the dead-letter topic, the later messages of the same case wait in a hold instead of overtaking it.
 * The transport reaches the hold storage through this port; `MysqlHoldStore` keeps it in the
 * consuming service's own database.
 */

/**
 * - `forwarding`: the blocker failed and its copy is being written to a retry or dead-letter topic
 * - `retrying`: the blocker waits in a retry topic
 * - `parked`: the blocker is on the dead-letter topic; an operator replays or discards it
 * - `releasing`: the blocker is done; the held messages are being processed in order
 * - `closed`: nothing held
 */
export const HOLD_STATUSES = ['forwarding', 'retrying', 'parked', 'releasing', 'closed'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

/** How a hold ended: its blocker was applied on a retry, replayed by an operator, or discarded by one. */
export const HOLD_RESOLUTIONS = ['applied', 'replayed', 'discarded'] as const;
export type HoldResolution = (typeof HOLD_RESOLUTIONS)[number];

export interface Hold {
  caseKey: string;
  status: HoldStatus;
  /** `originRef` of the message everything else waits for. */
  blockerRef: string;
  blockerEventId: string | null;
  errorCode: string;
  errorMessage: string | null;
  /** Where the blocker's failure copy went (`.retry.<n>` or `.dlq`). */
  forwardTopic: string;
  resolution: HoldResolution | null;
  heldCount: number;
  openedAt: Date;
  updatedAt: Date;
}

/** A failed message that blocks its case: its bytes, and the copy that goes to a retry or dead-letter topic. */
export interface Blocker {
  ref: string;
  eventId: string | null;
  topic: string;
  partition: number;
  offset: string;
  key: string;
  value: Buffer | null;
  /** The message's own headers, for a replay. */
  headers: Record<string, string>;
  forwardTopic: string;
  forwardHeaders: Record<string, string>;
  errorCode: string;
  errorMessage: string;
}

/** A message kept in a hold: its original place, bytes and headers, and the blocker it waits for. */
export interface HeldMessage {
  id: string;
  caseKey: string;
  ref: string;
  eventId: string | null;
  topic: string;
  partition: number;
  offset: string;
  value: Buffer | null;
  headers: Record<string, string>;
  waitsForRef: string;
  waitsForEventId: string | null;
  status: 'held' | 'blocking' | 'applied' | 'discarded';
  heldAt: Date;
}

export type NewHeldMessage = Omit<HeldMessage, 'id' | 'status' | 'heldAt' | 'caseKey'>;

export interface HoldStore {
  /** Open holds among these keys. */
  openHolds(keys: string[]): Promise<Map<string, Hold>>;
  get(caseKey: string): Promise<Hold | undefined>;
  list(options?: { includeClosed?: boolean; limit?: number }): Promise<Hold[]>;
  messages(caseKey: string, options?: { includeDone?: boolean; limit?: number }): Promise<HeldMessage[]>;
  /**
   * Appends a message behind the hold of its case, atomically with a check that the hold is open.
   * False when the hold has closed meanwhile (the caller then processes the message itself).
   */
  append(caseKey: string, message: NewHeldMessage): Promise<boolean>;
  /**
   * Opens the hold (or moves it to a new blocker) with status `forwarding`, before the blocker's copy is
   * written. `heldMessageId` marks the held message that became the blocker.
   */
  block(caseKey: string, blocker: Blocker, heldMessageId?: string): Promise<void>;
  /** The blocker's copy is written: `retrying` or `parked`. */
  forwarded(caseKey: string, blockerRef: string, status: 'retrying' | 'parked'): Promise<void>;
  /** The stored blocker, for a re-publish (a replay, or a `forwarding` hold left by a crash). */
  blocker(caseKey: string): Promise<Blocker | undefined>;
  /**
   * Takes the right to release the hold for `leaseMs`: its status must be one of `from` (and its
   * blocker `blockerRef`, when given), or `releasing` with an expired lease. False when someone else has it.
   */
  claimRelease(caseKey: string, o: { from: HoldStatus[]; blockerRef?: string; resolution: HoldResolution; leaseMs: number }): Promise<boolean>;
  renewLease(caseKey: string, leaseMs: number): Promise<void>;
  /** The first message still held, in arrival order. */
  nextHeld(caseKey: string): Promise<HeldMessage | undefined>;
  markHeld(id: string, status: 'applied' | 'discarded'): Promise<void>;
  /** Closes the hold if nothing is held any more (checked under the same lock as `append`). */
  closeIfEmpty(caseKey: string): Promise<boolean>;
  /** Holds a crash left half-way: `forwarding` longer than `olderThanMs`, or `releasing` past its lease. */
  stalled(olderThanMs: number): Promise<Hold[]>;
  /** Takes a hold stuck in `forwarding` to write its blocker's copy again; false when another instance took it. */
  claimStalledForward(caseKey: string, olderThanMs: number): Promise<boolean>;
}
