export * from './webhook/webhook-signature';
export * from './webhook/webhook-receiver';
export * from './webhook/example-webhook-server';
export * from './kafka/inbox-consumer.example';
