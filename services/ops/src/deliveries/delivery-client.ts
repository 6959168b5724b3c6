import type { DeliveryLinkConfig } from '../ops.config';

/** An answer of the delivery service as it came: its status and parsed body. */
export interface DeliveryAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * The delivery service's operator API as ops uses it, with the delivery's admin token ops is configured with
 * (TONGBAN_OPS_DELIVERY_TOKEN): the operator's token stays in ops, and the browser never holds delivery's.
 */
export class DeliveryClient {
  constructor(
    private readonly link: DeliveryLinkConfig,
    private readonly timeoutMs = 5000,
  ) {}

  get url(): string {
    return this.link.url;
  }

  /** `GET /v1/deliveries?…`; throws when the delivery service does not answer. */
  list(query: URLSearchParams): Promise<DeliveryAnswer> {
    return this.call('GET', `/v1/deliveries${query.size ? `?${query}` : ''}`);
  }

  /** `POST /v1/deliveries/:id/redeliver`; throws when the delivery service does not answer. */
  redeliver(id: string): Promise<DeliveryAnswer> {
    return this.call('POST', `/v1/deliveries/${encodeURIComponent(id)}/redeliver`);
  }

  private async call(method: 'GET' | 'POST', path: string): Promise<DeliveryAnswer> {
    const res = await fetch(`${this.link.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.link.token}` },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    let body: Record<string, unknown>;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      body = { detail: text.slice(0, 200) };
    }
    return { status: res.status, body };
  }
}
