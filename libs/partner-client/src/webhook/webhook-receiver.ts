import type { Envelope } from '@tongban/avro';
import { DEFAULT_TOLERANCE_SECONDS, verifyWebhook, WebhookVerificationError } from './webhook-signature';

/** A tongban event as delivered by webhook: the envelope's facts and the minimised payload. */
export type DeliveredEvent = Omit<Envelope, 'producer'> & { payload: Record<string, unknown> };

/**
 * Remembers which event ids were applied. The in-memory one suits one process; a partner with
 * several replicas keeps the ids in its database, in the same transaction as the effect.
 */
export interface ProcessedEvents {
  has(eventId: string): Promise<boolean>;
  add(eventId: string): Promise<void>;
}

/**
 * Keeps the ids of the last `retainMs` (7 days), and never more than `maxIds` (100,000) of them: past
 * that the oldest are forgotten first, so memory stays bounded however many events arrive. Size
 * `maxIds` above the events tongban may still redeliver (its retry window's worth); an id forgotten
 * earlier would be applied again.
 */
export class InMemoryProcessedEvents implements ProcessedEvents {
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly retainMs = 7 * 86_400_000,
    private readonly maxIds = 100_000,
  ) {
    if (!Number.isInteger(maxIds) || maxIds < 1) throw new Error(`maxIds must be a whole number of at least 1, got ${maxIds}`);
  }

  get size(): number {
    return this.ids.size;
  }

  async has(eventId: string): Promise<boolean> {
    return this.ids.has(eventId);
  }

  async add(eventId: string): Promise<void> {
    const now = Date.now();
    this.ids.delete(eventId);
    this.ids.set(eventId, now);
    for (const [id, at] of this.ids) {
      if (now - at <= this.retainMs && this.ids.size <= this.maxIds) break;
      this.ids.delete(id);
    }
  }
}

export interface WebhookReceiverOptions {
  /** The signing secret answered once when the subscription was registered. */
  secret: string;
  /** The partner's effect; throw to have tongban deliver again later. */
  onEvent: (event: DeliveredEvent) => Promise<void> | void;
  processed?: ProcessedEvents;
  toleranceSeconds?: number;
}

export interface ReceiverAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * The reference receiver, independent of any HTTP framework: give it the headers and the raw body,
 * send back the status and body it answers. It verifies signature and timestamp, applies each event
 * id once (a delivery repeated after a late or lost 2xx is acknowledged without a second effect),
 * and answers 5xx when the effect failed so tongban retries.
 */
export class WebhookReceiver {
  private readonly processed: ProcessedEvents;
  private readonly inFlight = new Map<string, Promise<ReceiverAnswer>>();

  constructor(private readonly o: WebhookReceiverOptions) {
    this.processed = o.processed ?? new InMemoryProcessedEvents();
  }

  async handle(headers: Record<string, string | string[] | undefined>, body: string | Buffer): Promise<ReceiverAnswer> {
    let eventId: string;
    try {
      ({ eventId } = verifyWebhook({ secret: this.o.secret, headers, body, toleranceSeconds: this.o.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS }));
    } catch (e) {
      if (e instanceof WebhookVerificationError) return { status: 401, body: { error: e.reason, message: e.message } };
      throw e;
    }
    const running = this.inFlight.get(eventId);
    if (running) return running.then((a) => (a.status < 300 ? { status: 200, body: { eventId, duplicate: true } } : a));
    const work = this.apply(eventId, body).finally(() => this.inFlight.delete(eventId));
    this.inFlight.set(eventId, work);
    return work;
  }

  private async apply(eventId: string, body: string | Buffer): Promise<ReceiverAnswer> {
    if (await this.processed.has(eventId)) return { status: 200, body: { eventId, duplicate: true } };
    let event: DeliveredEvent;
    try {
      event = JSON.parse(body.toString()) as DeliveredEvent;
    } catch {
      return { status: 400, body: { error: 'BAD_BODY', message: 'body is not JSON' } };
    }
    if (event.eventId !== eventId) return { status: 400, body: { error: 'BAD_BODY', message: 'Tongban-Event-Id differs from the body' } };
    try {
      await this.o.onEvent(event);
    } catch (e) {
      return { status: 500, body: { error: 'NOT_APPLIED', message: (e as Error).message } };
    }
    await this.processed.add(eventId);
    return { status: 200, body: { eventId } };
  }
}
