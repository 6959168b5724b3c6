import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of a tongban webhook delivery (HTTP header names are case-insensitive). */
export const WEBHOOK_HEADERS = {
  timestamp: 'tongban-timestamp',
  signature: 'tongban-signature',
  eventId: 'tongban-event-id',
} as const;

/**
 * The Standard Webhooks headers (standardwebhooks.com), sent beside tongban's own so that a partner can
 * verify a delivery with a stock library in any language.
 */
export const STANDARD_WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

export const DEFAULT_TOLERANCE_SECONDS = 300;

export type WebhookRejection = 'MISSING_HEADER' | 'BAD_TIMESTAMP' | 'STALE' | 'BAD_SIGNATURE';

export class WebhookVerificationError extends Error {
  constructor(
    readonly reason: WebhookRejection,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

/** `v1=<hex HMAC-SHA256 of "<timestamp>.<body>">` with the subscription's signing secret. */
export function signWebhook(secret: string, timestamp: number, body: string | Buffer): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return `v1=${mac}`;
}

/**
 * The HMAC key of a signing secret: `whsec_` followed by base64 (the Standard Webhooks form) is the
 * decoded bytes; base64url after `whsec_` (secrets issued before) likewise; anything else its UTF-8 bytes.
 */
export function signingKey(secret: string): Buffer {
  if (!secret.startsWith('whsec_')) return Buffer.from(secret, 'utf8');
  const encoded = secret.slice('whsec_'.length);
  return Buffer.from(encoded, /[-_]/.test(encoded) ? 'base64url' : 'base64');
}

/** `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`: a Standard Webhooks signature. */
export function signStandardWebhook(secret: string, id: string, timestamp: number, body: string | Buffer): string {
  const mac = createHmac('sha256', signingKey(secret)).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

export interface VerifyInput {
  secret: string;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body exactly as received: never a re-serialised JSON object. */
  body: string | Buffer;
  toleranceSeconds?: number;
  /** Milliseconds since the epoch; for tests. */
  now?: number;
}

function header(headers: VerifyInput['headers'], name: string): string | undefined {
  const direct = headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(direct) ? direct[0] : direct;
}

/**
 * Checks a delivery: the signature over timestamp and body, and that the timestamp is within the
 * tolerance of this clock (a replayed old delivery is refused). Returns the event id and timestamp.
 */
export function verifyWebhook(input: VerifyInput): { eventId: string; timestamp: number } {
  if (header(input.headers, STANDARD_WEBHOOK_HEADERS.signature) !== undefined) return verifyStandardWebhook(input);
  const ts = header(input.headers, WEBHOOK_HEADERS.timestamp);
  const sig = header(input.headers, WEBHOOK_HEADERS.signature);
  const eventId = header(input.headers, WEBHOOK_HEADERS.eventId);
  if (!ts || !sig || !eventId) throw new WebhookVerificationError('MISSING_HEADER', 'Tongban-Timestamp, Tongban-Signature and Tongban-Event-Id are required');
  if (!/^\d{1,12}$/.test(ts)) throw new WebhookVerificationError('BAD_TIMESTAMP', 'Tongban-Timestamp must be seconds since the epoch');
  const timestamp = Number(ts);
  checkFresh(timestamp, input);
  const expected = Buffer.from(signWebhook(input.secret, timestamp, input.body));
  // Several signatures may be sent while a secret is rotated: any v1 one may match.
  const candidates = sig
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1='));
  const ok = candidates.some((c) => {
    const given = Buffer.from(c);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!ok) throw new WebhookVerificationError('BAD_SIGNATURE', 'signature does not match the body and timestamp');
  return { eventId, timestamp };
}

/** A replayed old delivery is refused: the timestamp must be within the tolerance of this clock. */
function checkFresh(timestamp: number, input: VerifyInput): void {
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = Math.floor((input.now ?? Date.now()) / 1000);
  if (Math.abs(now - timestamp) > tolerance) {
    throw new WebhookVerificationError('STALE', `timestamp ${timestamp} is more than ${tolerance} s from now (${now})`);
  }
}

/** Checks a delivery by its Standard Webhooks headers; the message id is the event id. */
function verifyStandardWebhook(input: VerifyInput): { eventId: string; timestamp: number } {
  const id = header(input.headers, STANDARD_WEBHOOK_HEADERS.id);
  const ts = header(input.headers, STANDARD_WEBHOOK_HEADERS.timestamp);
  const sig = header(input.headers, STANDARD_WEBHOOK_HEADERS.signature);
  if (!id || !ts || !sig) throw new WebhookVerificationError('MISSING_HEADER', 'webhook-id, webhook-timestamp and webhook-signature are required');
  if (!/^\d{1,12}$/.test(ts)) throw new WebhookVerificationError('BAD_TIMESTAMP', 'webhook-timestamp must be seconds since the epoch');
  const timestamp = Number(ts);
  checkFresh(timestamp, input);
  const expected = Buffer.from(signStandardWebhook(input.secret, id, timestamp, input.body));
  // Space-separated while a secret is rotated: any v1 signature may match.
  const ok = sig
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .some((c) => {
      const given = Buffer.from(c);
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
  if (!ok) throw new WebhookVerificationError('BAD_SIGNATURE', 'signature does not match the id, timestamp and body');
  return { eventId: id, timestamp };
}
