import { BaseRpcContext } from '@nestjs/microservices';

export interface InboxMessageMeta {
  /** Where the message was first written (a retry copy or a held message reports its original place). */
  topic: string;
  partition: number;
  offset: string;
  key: string;
  schemaId: number;
  eventType: string;
  headers: Record<string, string>;
  /** Tries so far, this one included, over every retry topic. */
  attempt?: number;
  /** 0 on the inbox, n on `.retry.<n>`. */
  retryLevel?: number;
  /** Set when this delivery is an operator's replay of a dead letter. */
  replayOf?: string;
  /** True when the message waited in a hold behind an earlier message of its case. */
  released?: boolean;
  /** The record's Kafka timestamp (ms); on an inbox, when the event was accepted. */
  timestamp?: number;
  /** For a message sent on to a retry topic or the dead letters: the error's code (`<AREA>.<REASON>`). */
  errorCode?: string;
}

/** What an event handler may know about the Kafka message it is handling. */
export class InboxContext extends BaseRpcContext<[InboxMessageMeta]> {
  get meta(): InboxMessageMeta {
    return this.args[0];
  }
}
