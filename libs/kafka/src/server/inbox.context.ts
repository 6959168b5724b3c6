import { BaseRpcContext } from '@nestjs/microservices';

export interface InboxMessageMeta {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  schemaId: number;
  eventType: string;
  headers: Record<string, string>;
}

/** What an event handler may know about the Kafka message it is handling. */
export class InboxContext extends BaseRpcContext<[InboxMessageMeta]> {
  get meta(): InboxMessageMeta {
    return this.args[0];
  }
}
