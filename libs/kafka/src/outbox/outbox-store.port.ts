/** One outbox row as the relay reads it. */
export interface OutboxRow {
  id: string;
  lane: number;
  event_id: string;
  topic: string;
  message_key: string;
  value: Buffer;
  headers: string;
  /** How long the row had waited in the outbox when it was read, in microseconds (on the database's clock). */
  waited_us?: number | string;
}

/**
 * What the relay needs of the outbox's database: a session that owns lanes (a lock per lane that lives as long as
 * the session, so a relay that dies gives its lanes up), the oldest unsent rows of its lanes, marking rows sent
 * and purging sent rows. The MySQL store is the persistence side's (`MysqlOutboxStore` of `@tongban/persistence`).
 */
export interface OutboxRelayStore {
  /** Whether a session is open. */
  readonly connected: boolean;
  /** How often an idle session must be kept alive (`keepAlive`), in ms. */
  readonly keepAliveMs: number;
  /** Opens a fresh session, closing any old one: the old session's lanes are gone with it. */
  connect(): Promise<void>;
  /** Drops the session without releasing anything (its lanes go with it); a later `connect` opens a new one. */
  disconnect(): Promise<void>;
  /** Takes a lane for this session when nobody holds it; true when the session now owns it. */
  claimLane(lane: number): Promise<boolean>;
  /** Gives lanes back (a clean stop). */
  releaseLanes(lanes: readonly number[]): Promise<void>;
  /** Keeps an idle session from timing out. */
  keepAlive(): Promise<void>;
  /** The oldest unsent rows of these lanes, in id order, at most `limit`. */
  unsent(lanes: readonly number[], limit: number): Promise<OutboxRow[]>;
  markSent(ids: readonly string[]): Promise<void>;
  /** Deletes rows of these lanes sent more than `keepMicroseconds` ago, at most `limit`; answers how many. */
  purgeSent(lanes: readonly number[], keepMicroseconds: number, limit: number): Promise<number>;
}
